// The write path: insert, update, delete and findAndModify. Each command collects its changes as
// journal ops and commits them once (one durable record) before replying.
import { ObjectId, calculateObjectSize } from 'bson';
import { Collection, type Doc } from '../collection.ts';
import { CommandError, errorReply } from '../errors.ts';
import { applyOperatorUpdate, applyReplacement, applyPipelineUpdate, isOperatorUpdate, seedFromQuery } from '../update/index.ts';
import { isPlainObject, valuesEqual } from '../compare.ts';
import { idKey } from '../storage/id-key.ts';
import { MAX_BSON_SIZE } from '../cursors.ts';
import { asInt, validName } from './args.ts';
import { effectiveCollation } from '../collation.ts';
import { MAX_WRITE_BATCH } from './admin.ts';
import { project } from './read.ts';
import type { JournalOp } from '../storage/types.ts';
import type { CommandContext, Handler } from './context.ts';

export function checkDocument(doc: unknown): Doc {
  if (!isPlainObject(doc)) throw new CommandError('BadValue', 'document must be an object');
  for (const k of Object.keys(doc)) {
    if (k.startsWith('$')) throw new CommandError('BadValue', `Document can't have $ prefixed field names: ${k}`);
  }
  if (calculateObjectSize(doc) > MAX_BSON_SIZE) throw new CommandError('BSONObjectTooLarge', 'object to insert too large');
  return doc;
}

function writeError(index: number, err: unknown): Doc {
  const reply = errorReply(err);
  const out: Doc = { index, code: reply.code, errmsg: reply.errmsg };
  if (reply.keyPattern) out.keyPattern = reply.keyPattern;
  if (reply.keyValue) out.keyValue = reply.keyValue;
  return out;
}

async function insert(ctx: CommandContext, db: string, cmd: Doc): Promise<Doc> {
  const name = validName(cmd.insert, 'collection');
  const docs = cmd.documents;
  if (!Array.isArray(docs)) throw new CommandError('BadValue', 'insert needs an array of documents');
  if (docs.length > MAX_WRITE_BATCH) throw new CommandError('InvalidLength', `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH}. Got ${docs.length} operations.`);
  const ordered = cmd.ordered !== false;
  const ops: JournalOp[] = [];
  const coll = ctx.catalog.writable(db, name, ops);
  const writeErrors: Doc[] = [];
  let n = 0;
  for (let i = 0; i < docs.length; i++) {
    try {
      const doc = checkDocument(docs[i]);
      if (doc._id === undefined) {
        // _id goes first, as MongoDB stores it
        const withId = { _id: new ObjectId(), ...doc };
        coll.insert(withId);
        ops.push({ op: 'insert', db, coll: name, doc: withId });
      } else {
        // MongoDB stores _id first even when the client (the driver does) appended it last
        const stored = Object.keys(doc)[0] === '_id' ? doc : { _id: doc._id, ...doc };
        coll.insert(stored);
        ops.push({ op: 'insert', db, coll: name, doc: stored });
      }
      n++;
    } catch (err) {
      writeErrors.push(writeError(i, err));
      if (ordered) break;
    }
  }
  ctx.opCounters.insert += n;
  for (const d of coll.trimCapped()) ops.push({ op: 'delete', db, coll: name, id: d._id });
  await ctx.journal.commit(ops);
  return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
}

/** Applies one update statement; returns counts and adds its journal ops. */
function updateOne(ctx: CommandContext, db: string, coll: Collection, stmt: Doc, ops: JournalOp[]): { n: number; nModified: number; upserted?: unknown } {
  const q = (stmt.q ?? {}) as Doc;
  const u = stmt.u;
  if (!isPlainObject(q)) throw new CommandError('TypeMismatch', 'q must be an object');
  const multi = stmt.multi === true;
  const upsert = stmt.upsert === true;
  const arrayFilters = Array.isArray(stmt.arrayFilters) ? (stmt.arrayFilters as Doc[]) : undefined;
  const pipeline = Array.isArray(u);
  if (!pipeline && !isPlainObject(u)) throw new CommandError('FailedToParse', 'Update argument must be either an object or an array');
  const operator = !pipeline && isOperatorUpdate(u as Doc);
  if (multi && !operator && !pipeline) throw new CommandError('FailedToParse', 'multi update is not supported for replacement-style update');
  const sort = isPlainObject(stmt.sort) ? (stmt.sort as Doc) : undefined;
  const collation = effectiveCollation(stmt.collation, coll.options.collation);
  const { docs: matched } = coll.find(q, { sort, limit: multi ? 0 : 1, collation });
  const now = ctx.now();
  const compute = (doc: Doc, inserting: boolean): Doc => {
    if (pipeline) return applyPipelineUpdate(doc, u as Doc[], now);
    if (operator) return applyOperatorUpdate(doc, u as Doc, { query: q, arrayFilters, inserting, now });
    return applyReplacement(doc, u as Doc);
  };
  if (matched.length === 0) {
    if (!upsert) return { n: 0, nModified: 0 };
    const seed = operator || pipeline ? seedFromQuery(q) : {};
    if (!operator && !pipeline && q._id !== undefined && !isPlainObject(q._id)) seed._id = q._id;
    let doc = compute(seed, true);
    if (!operator && !pipeline && seed._id !== undefined) doc._id = seed._id;
    if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
    else if (Object.keys(doc)[0] !== '_id') doc = { _id: doc._id, ...doc };
    checkDocument(doc);
    coll.insert(doc);
    ops.push({ op: 'insert', db: coll.db, coll: coll.name, doc });
    return { n: 1, nModified: 0, upserted: doc._id };
  }
  let nModified = 0;
  for (const doc of matched) {
    const next = compute(doc, false);
    if (valuesEqual(next, doc) && Object.keys(next).join() === Object.keys(doc).join()) continue;
    checkDocument(next);
    coll.replace(doc, next);
    ops.push({ op: 'replace', db, coll: coll.name, id: doc._id, doc: next });
    nModified++;
  }
  return { n: matched.length, nModified };
}

async function update(ctx: CommandContext, db: string, cmd: Doc): Promise<Doc> {
  const name = validName(cmd.update, 'collection');
  const updates = cmd.updates;
  if (!Array.isArray(updates)) throw new CommandError('BadValue', 'update needs an array of updates');
  const ordered = cmd.ordered !== false;
  const ops: JournalOp[] = [];
  const coll = ctx.catalog.writable(db, name, ops);
  let n = 0;
  let nModified = 0;
  const upserted: Doc[] = [];
  const writeErrors: Doc[] = [];
  for (let i = 0; i < updates.length; i++) {
    try {
      const r = updateOne(ctx, db, coll, updates[i] as Doc, ops);
      n += r.n;
      nModified += r.nModified;
      if (r.upserted !== undefined) upserted.push({ index: i, _id: r.upserted });
    } catch (err) {
      writeErrors.push(writeError(i, err));
      if (ordered) break;
    }
  }
  ctx.opCounters.update += updates.length;
  await ctx.journal.commit(ops);
  return { n, nModified, ...(upserted.length ? { upserted } : {}), ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
}

async function remove(ctx: CommandContext, db: string, cmd: Doc): Promise<Doc> {
  const name = validName(cmd.delete, 'collection');
  const deletes = cmd.deletes;
  if (!Array.isArray(deletes)) throw new CommandError('BadValue', 'delete needs an array of deletes');
  const ordered = cmd.ordered !== false;
  const coll = ctx.catalog.coll(db, name);
  const ops: JournalOp[] = [];
  let n = 0;
  const writeErrors: Doc[] = [];
  for (let i = 0; i < deletes.length; i++) {
    try {
      const stmt = deletes[i] as Doc;
      if (!isPlainObject(stmt.q)) throw new CommandError('TypeMismatch', 'q must be an object');
      const limit = asInt(stmt.limit, 'limit', 0);
      if (limit !== 0 && limit !== 1) throw new CommandError('BadValue', 'The limit field in delete objects must be 0 or 1');
      if (!coll) continue;
      const { docs } = coll.find(stmt.q as Doc, { limit, collation: effectiveCollation(stmt.collation, coll.options.collation) });
      for (const d of docs) {
        coll.remove(d);
        ops.push({ op: 'delete', db, coll: name, id: d._id });
        n++;
      }
    } catch (err) {
      writeErrors.push(writeError(i, err));
      if (ordered) break;
    }
  }
  ctx.opCounters.delete += n;
  await ctx.journal.commit(ops);
  return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
}

async function findAndModify(ctx: CommandContext, db: string, cmd: Doc): Promise<Doc> {
  const name = validName(cmd.findAndModify ?? cmd.findandmodify, 'collection');
  const query = (cmd.query ?? {}) as Doc;
  if (!isPlainObject(query)) throw new CommandError('TypeMismatch', 'query must be an object');
  const sort = isPlainObject(cmd.sort) ? (cmd.sort as Doc) : undefined;
  const fields = isPlainObject(cmd.fields) && Object.keys(cmd.fields).length ? (cmd.fields as Doc) : undefined;
  const ops: JournalOp[] = [];
  if (cmd.remove === true) {
    if (cmd.update !== undefined) throw new CommandError('FailedToParse', 'Cannot specify both an update and remove=true');
    const coll = ctx.catalog.coll(db, name);
    const doc = coll?.find(query, { sort, limit: 1, collation: effectiveCollation(cmd.collation, coll.options.collation) }).docs[0];
    if (coll && doc) {
      coll.remove(doc);
      ops.push({ op: 'delete', db, coll: name, id: doc._id });
      await ctx.journal.commit(ops);
    }
    return { lastErrorObject: { n: doc ? 1 : 0 }, value: doc ? project([doc], fields, query)[0] : null, ok: 1 };
  }
  if (cmd.update === undefined) throw new CommandError('FailedToParse', 'Either an update or remove=true must be specified');
  const coll = ctx.catalog.writable(db, name, ops);
  const before = coll.find(query, { sort, limit: 1, collation: effectiveCollation(cmd.collation, coll.options.collation) }).docs[0];
  const r = updateOne(ctx, db, coll, { q: query, u: cmd.update, upsert: cmd.upsert === true, arrayFilters: cmd.arrayFilters, sort, collation: cmd.collation }, ops);
  await ctx.journal.commit(ops);
  let value: Doc | null = null;
  if (r.upserted !== undefined) value = cmd.new === true ? coll.docs.get(idKey(r.upserted)) ?? null : null;
  else if (before) value = cmd.new === true ? coll.docs.get(idKey(before._id)) ?? null : before;
  const lastErrorObject: Doc = { n: r.n, updatedExisting: r.upserted === undefined && r.n > 0 };
  if (r.upserted !== undefined) lastErrorObject.upserted = r.upserted;
  return { lastErrorObject, value: value ? project([value], fields, query)[0] : null, ok: 1 };
}

export const writeCommands: Array<[string, Handler]> = [
  ['insert', (ctx, db, cmd) => insert(ctx, db, cmd)],
  ['update', (ctx, db, cmd) => update(ctx, db, cmd)],
  ['delete', (ctx, db, cmd) => remove(ctx, db, cmd)],
  ['findAndModify', (ctx, db, cmd) => findAndModify(ctx, db, cmd)],
  ['findandmodify', (ctx, db, cmd) => findAndModify(ctx, db, cmd)],
];
