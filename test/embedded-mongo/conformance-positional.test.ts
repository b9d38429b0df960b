// Positional updates as the workflow and outbox use them: the position comes from the query's match
// on the document before the update, even when the same update changes a filtered field.
import { expect } from 'chai';
import { collName, useDatabase, type AnyDoc } from './conformance-support.ts';

describe('embedded-mongo conformance: positional $ with optimistic concurrency', () => {
  const m = useDatabase('conf_positional');

  it('keeps the matched position when the update also increments the version in the filter', async () => {
    const col = m.db.collection<AnyDoc>(collName('pos'));
    await col.insertOne({ _id: 1, version: 3, outbox: [{ key: 'a', status: 'pending' }, { key: 'b', status: 'pending' }] });
    const after = await col.findOneAndUpdate(
      { _id: 1, version: 3, 'outbox.key': 'b' },
      { $inc: { version: 1 }, $set: { 'outbox.$.status': 'sent', 'outbox.$.sentBy': 'x' } },
      { returnDocument: 'after' },
    );
    expect(after?.version).to.equal(4);
    expect(after?.outbox).to.deep.equal([{ key: 'a', status: 'pending' }, { key: 'b', status: 'sent', sentBy: 'x' }]);
  });

  it('returns the updated document even when the update makes $elemMatch stop matching', async () => {
    const col = m.db.collection<AnyDoc>(collName('pos'));
    await col.insertOne({ _id: 2, outbox: [{ key: 'a', status: 'pending' }] });
    const after = await col.findOneAndUpdate(
      { outbox: { $elemMatch: { key: 'a', status: 'pending' } } },
      { $set: { 'outbox.$.status': 'sent' } },
      { returnDocument: 'after' },
    );
    expect(after?.outbox).to.deep.equal([{ key: 'a', status: 'sent' }]);
    const stale = await col.updateOne({ _id: 2, outbox: { $elemMatch: { key: 'a', status: 'pending' } } }, { $set: { 'outbox.$.status': 'dead' } });
    expect(stale.matchedCount).to.equal(0);
  });
});
