import { expect } from 'chai';
import { KeptReads, forgetKeptReads } from '../../server/support/kept-reads.ts';
import { testDatabase } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { User } from '../../models/user.ts';
import { hrOfficers } from '../../server/cases/people.ts';
import { shownCall } from '../../server/calls/kept.ts';
import { Call } from '../../models/call.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { loadQueue, parseQueueQuery } from '../../server/cases/queue.ts';
import { announceWrites, writtenElsewhere } from '../../models/watch-writes.ts';
import { SavedFilter } from '../../models/saved-filter.ts';
import { listSavedFilters } from '../../server/cases/saved-filters.ts';
import { systemContext } from '../../server/context.ts';

/** A read that resolves when told to, counting its calls. */
function gatedRead<V>(value: () => V) {
  let calls = 0;
  const gates: Array<() => void> = [];
  return {
    read: () => {
      calls += 1;
      return new Promise<V>((resolve) => gates.push(() => resolve(value())));
    },
    open: () => gates.splice(0).forEach((g) => g()),
    get calls() {
      return calls;
    },
  };
}

describe('platform: reads kept in memory for a few seconds (KeptReads)', () => {
  it('shares one read among concurrent callers and keeps its value, per key', async () => {
    const kept = new KeptReads<{ n: number }>(60_000);
    let n = 0;
    const r = gatedRead(() => ({ n: ++n }));
    const a = kept.get('k', r.read);
    const b = kept.get('k', r.read);
    r.open();
    expect(await a).to.equal(await b);
    expect(r.calls).to.equal(1);
    expect(await kept.get('k', r.read)).to.deep.equal({ n: 1 });
    const other = kept.get('other', r.read);
    r.open();
    expect(await other).to.deep.equal({ n: 2 });
    expect(r.calls).to.equal(2);
  });

  it('reads again after forget(), and does not keep a read that was in flight when it was called', async () => {
    const kept = new KeptReads<number>(60_000);
    let n = 0;
    const r = gatedRead(() => ++n);
    const inFlight = kept.get('k', r.read);
    kept.forget(); // a write landed while the read was on its way
    r.open();
    expect(await inFlight).to.equal(1); // its caller still gets it
    const next = kept.get('k', r.read);
    r.open();
    expect(await next).to.equal(2);
    expect(await kept.get('k', r.read)).to.equal(2); // kept now
    forgetKeptReads(); // every instance
    const again = kept.get('k', r.read);
    r.open();
    expect(await again).to.equal(3);
  });

  it('reads again once the value is older than its time to live, and keeps no failed read', async () => {
    const kept = new KeptReads<number>(30);
    let n = 0;
    expect(await kept.get('k', async () => ++n)).to.equal(1);
    expect(await kept.get('k', async () => ++n)).to.equal(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(await kept.get('k', async () => ++n)).to.equal(2);
    const failing = new KeptReads<number>(60_000);
    let err: unknown;
    await failing.get('k', () => Promise.reject(new Error('database down'))).catch((e: unknown) => (err = e));
    expect((err as Error).message).to.equal('database down');
    expect(await failing.get('k', async () => 7)).to.equal(7);
  });

  it('does not make newcomers wait on a read unanswered for longer than the time to live', async () => {
    const kept = new KeptReads<number>(30);
    const stuck = gatedRead(() => 1); // never opened: a reply that never comes
    void kept.get('k', stuck.read);
    expect(kept.get('k', stuck.read)).to.be.an.instanceOf(Promise); // still shared while young
    expect(stuck.calls).to.equal(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(await kept.get('k', async () => 2)).to.equal(2);
    expect(await kept.get('k', async () => 3)).to.equal(2); // kept
  });

  it('holds at most maxKeys keys, dropping the one read longest ago', async () => {
    const kept = new KeptReads<string>(60_000, { maxKeys: 2 });
    for (const k of ['a', 'b', 'c']) await kept.get(k, async () => k);
    let reads = 0;
    const count = (k: string) => async () => (reads++, `${k}!`);
    expect(await kept.get('c', count('c'))).to.equal('c');
    expect(await kept.get('b', count('b'))).to.equal('b');
    expect(await kept.get('a', count('a'))).to.equal('a!');
    expect(reads).to.equal(1);
  });

  it("follows writes through the User model at once: an institute's HR officers", async () => {
    await testDatabase();
    const institute = await createInstitute();
    const names = async () => (await hrOfficers(institute._id)).map((o) => o.name);
    const first = await createUser({ role: 'hr_officer', institute: institute._id, name: 'An Officer' });
    expect(await names()).to.deep.equal(['An Officer']);
    await createUser({ role: 'hr_officer', institute: institute._id, name: 'Binh Officer' });
    await createUser({ role: 'leader', institute: institute._id, name: 'Chi Leader' });
    expect(await names()).to.deep.equal(['An Officer', 'Binh Officer']);
    await User.updateOne({ _id: first._id }, { $set: { disabledAt: new Date() } });
    expect(await names()).to.deep.equal(['Binh Officer']);
    // Behind the model's back (another app instance): seen once the kept list expires or is forgotten.
    await User.collection.updateOne({ _id: first._id }, { $unset: { disabledAt: '' } });
    expect(await names()).to.deep.equal(['Binh Officer']);
    forgetKeptReads();
    expect(await names()).to.deep.equal(['An Officer', 'Binh Officer']);
  });

  it("follows writes through the Call model at once: the call the case pages show", async () => {
    await testDatabase();
    const institute = await createInstitute();
    const call = await createCall({ institute: institute._id, checklist: [{ type: 'cv', phase: 'application', required: true }] });
    const types = async () => (await shownCall(call._id))?.checklist?.map((i) => i.type);
    expect(await types()).to.deep.equal(['cv']);
    expect(await shownCall(String(call._id))).to.equal(await shownCall(call._id)); // kept, one read
    await Call.updateOne({ _id: call._id }, { $push: { checklist: { type: 'passport', phase: 'application', required: true } } });
    expect(await types()).to.deep.equal(['cv', 'passport']);
    await Call.deleteOne({ _id: call._id });
    expect(await shownCall(call._id)).to.equal(null);
    expect(await shownCall('not-an-id')).to.equal(null);
    expect(await shownCall({ $ne: null })).to.equal(null); // an operator object is no id
  });

  it("follows writes through the Case model at once: the queue's total", async () => {
    await testDatabase();
    const institute = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute: institute._id });
    const applicant = await createUser({ role: 'applicant' });
    const call = await createCall({ institute: institute._id });
    const q = parseQueueQuery({ stage: 'screening' });
    const total = async () => (await loadQueue(hr, q, new Date())).total;
    await createCase({ applicant, call, stage: 'screening' });
    expect(await total()).to.equal(1);
    expect(await total()).to.equal(1); // kept
    const second = await createCase({ applicant, call, stage: 'submitted' });
    expect(await total()).to.equal(1);
    await Case.updateOne({ _id: second._id }, { $set: { stage: 'screening' } });
    expect(await total()).to.equal(2);
    // Behind the model's back: the kept count stands until forgotten (or 5 s).
    await Case.collection.updateOne({ _id: second._id }, { $set: { stage: 'submitted' } });
    expect(await total()).to.equal(2);
    forgetKeptReads();
    expect(await total()).to.equal(1);
  });

  it('announces each write through a watched model once it is done, and forgets on a write announced by another process', async () => {
    await testDatabase();
    const institute = await createInstitute();
    const first = await createUser({ role: 'hr_officer', institute: institute._id, name: 'An Officer' });
    const names = async () => (await hrOfficers(institute._id)).map((o) => o.name);
    const announced: string[] = [];
    announceWrites((name) => announced.push(name));
    try {
      expect(await names()).to.deep.equal(['An Officer']);
      await User.updateOne({ _id: first._id }, { $set: { name: 'Anh Officer' } });
      expect(announced, 'after the write, not before').to.deep.equal(['User']);
      expect(await names()).to.deep.equal(['Anh Officer']);
      // Another process's write (behind this process's models): forgotten when announced.
      await User.collection.updateOne({ _id: first._id }, { $set: { name: 'Bao Officer' } });
      expect(await names()).to.deep.equal(['Anh Officer']);
      expect(writtenElsewhere('User')).to.equal(true);
      expect(await names()).to.deep.equal(['Bao Officer']);
      // A name no model is watched under (a hostile or newer message) does nothing.
      for (const name of ['__proto__', 'constructor', 'toString', 'Nothing']) expect(writtenElsewhere(name), name).to.equal(false);
      expect(announced).to.deep.equal(['User']);
    } finally {
      announceWrites(undefined);
    }
  });

  it("follows writes through the SavedFilter model at once: an officer's saved filters", async () => {
    await testDatabase();
    const institute = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute: institute._id });
    const other = await createUser({ role: 'hr_officer', institute: institute._id });
    const ctx = systemContext({ now: new Date(), actor: hr.toObject() });
    const names = async () => (await listSavedFilters({ ctx })).map((f) => f.name);
    expect(await names()).to.deep.equal([]);
    await SavedFilter.create({ user: hr._id, name: 'Due this week', nameKey: 'due this week', query: '/cases?due=week' });
    expect(await names()).to.deep.equal(['Due this week']);
    expect(await listSavedFilters({ ctx })).to.equal(await listSavedFilters({ ctx })); // kept, one read
    await SavedFilter.create({ user: other._id, name: 'Mine', nameKey: 'mine', query: '/cases' });
    expect(await names(), "another officer's filter is not listed").to.deep.equal(['Due this week']);
    await SavedFilter.deleteOne({ user: hr._id });
    expect(await names()).to.deep.equal([]);
  });
});
