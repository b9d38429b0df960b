// Texts stored in one language before they had two: a call's research field (Call.field) and the
// HR office's address and hours (Institute.hrContact), each once a single string. Once per database
// (a counter marks it done), at start: "X" becomes {vi: "X", en: "X"}, as the admin forms then show
// it (both boxes filled), for administrators to correct the language it was not written in. Until it
// has run, every reader takes a string as the same text in both languages (server/support/localized.ts),
// so no page waits for it.
//
// Each write is conditional on the value still being that string: a save through the admin forms
// meanwhile wins, and a start killed midway finds no mark and runs again over what is left (a value
// already turned is no longer a string, so nothing is written twice).
import { Call } from '../../models/call.ts';
import { hasMark, setMark } from '../../models/counter.ts';
import { Institute } from '../../models/institute.ts';

/** The mark that the backfill has run on this database. */
export const BILINGUAL_BACKFILL = 'backfill:bilingual-field-contact';

const both = (text: string) => ({ vi: text, en: text });

/** Turns the one-string texts into {vi, en} (see the file comment); the number of documents written. */
export async function backfillBilingualTexts(opts: { batchSize?: number } = {}): Promise<number> {
  if (await hasMark(BILINGUAL_BACKFILL)) return 0;
  let written = 0;
  // The driver's collections: the models' casts would read a string field as no field at all.
  const calls = Call.collection.find({ field: { $type: 'string' } }, { projection: { field: 1 }, batchSize: opts.batchSize ?? 500 });
  try {
    for await (const c of calls) {
      const res = await Call.collection.updateOne({ _id: c._id, field: c.field }, { $set: { field: both(String(c.field)) } });
      written += res.modifiedCount;
    }
  } finally {
    await calls.close();
  }
  const institutes = Institute.collection.find({ $or: [{ 'hrContact.address': { $type: 'string' } }, { 'hrContact.hours': { $type: 'string' } }] }, { projection: { hrContact: 1 } });
  try {
    for await (const i of institutes) {
      const contact = (i.hrContact ?? {}) as Record<string, unknown>;
      const set: Record<string, unknown> = {};
      const still: Record<string, unknown> = { _id: i._id };
      for (const k of ['address', 'hours'] as const) {
        const v = contact[k];
        if (typeof v !== 'string') continue;
        // An empty string was "no address": it goes rather than becoming {vi: '', en: ''}.
        set[`hrContact.${k}`] = v.trim() ? both(v) : undefined;
        still[`hrContact.${k}`] = v;
      }
      const unset = Object.keys(set).filter((k) => set[k] === undefined);
      for (const k of unset) delete set[k];
      const res = await Institute.collection.updateOne(still, { ...(Object.keys(set).length ? { $set: set } : {}), ...(unset.length ? { $unset: Object.fromEntries(unset.map((k) => [k, ''])) } : {}) });
      written += res.modifiedCount;
    }
  } finally {
    await institutes.close();
  }
  await setMark(BILINGUAL_BACKFILL);
  return written;
}
