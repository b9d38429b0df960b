// Reads of plain records through the driver (Model.collection) for the hot pages, where a Mongoose
// lean read gives the same objects at a higher cost: building and casting the query, and walking
// the whole schema on every read for its `select: false` paths (Mongoose's applyPaths). Measured at
// 100,000 cases (bench/case-read.ts, process CPU per read): the case page's case 515 → 336 µs, its
// documents 291 → 197 µs. Only for models with no read middleware (a find hook would be skipped),
// and with filters already of stored types (nothing is cast: an id must be an ObjectId).
import { Types, type Model, type Schema } from 'mongoose';
import { isIdText } from './object-id.js';

const unselected = new WeakMap<Schema, Readonly<Record<string, 0>>>();

/**
 * The projection Mongoose adds to a read of `model` that names no fields: every path whose schema
 * says `select: false`, nested schemas included (computed once per schema).
 */
export function unselectedPaths(model: Pick<Model<unknown>, 'schema'>): Readonly<Record<string, 0>> {
  let out = unselected.get(model.schema);
  if (!out) {
    const paths: Record<string, 0> = {};
    const walk = (schema: Schema, prefix: string) => {
      schema.eachPath((path, type) => {
        const full = prefix + path;
        if ((type.options as { select?: unknown } | undefined)?.select === false) paths[full] = 0;
        else if ((type as { schema?: Schema }).schema) walk((type as { schema: Schema }).schema, `${full}.`);
      });
    };
    walk(model.schema, '');
    out = Object.freeze(paths);
    unselected.set(model.schema, out);
  }
  return out;
}

/** An id as stored (ObjectId), from an ObjectId or its 24-hex string; undefined for anything else. */
export function storedId(id: unknown): Types.ObjectId | undefined {
  if (id instanceof Types.ObjectId) return id;
  return isIdText(id) ? new Types.ObjectId(id) : undefined;
}
