// Named sequences (e.g. case references per year), incremented atomically with $inc + upsert so
// two requests never get the same number.
import { Schema, model } from 'mongoose';

const counterSchema = new Schema(
  {
    _id: { type: String, required: true },
    seq: { type: Number, required: true, default: 0 },
  },
  { versionKey: false },
);

export const Counter = model('Counter', counterSchema);

/** The next value of a named sequence (1, 2, 3, ...). */
export async function nextSequence(name: string): Promise<number> {
  const doc = await Counter.findOneAndUpdate({ _id: name }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }).lean();
  return doc!.seq;
}

/** Whether a job run once per database (a back-fill at start) has left its mark: it is done. */
export async function hasMark(name: string): Promise<boolean> {
  return (await Counter.exists({ _id: name })) !== null;
}

/** Leaves a once-per-database job's mark, after its last write (twice is harmless). */
export async function setMark(name: string): Promise<void> {
  await Counter.updateOne({ _id: name }, { $setOnInsert: { seq: 1 } }, { upsert: true });
}
