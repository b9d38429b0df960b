// Read commands: find, count, distinct, aggregate and explain. A leading $match/$sort/$limit of a
// pipeline uses the collection's indexes; the rest runs natively (fast-pipeline.ts) or in mingo.
import { Aggregator, ProcessingMode } from '../mingo.ts';
import { compileProjection } from '../projection.ts'; // BSON-aware numeric comparisons
import { runFastPrefix } from '../fast-pipeline.ts';
import type { Doc, Plan } from '../collection.ts';
import { CommandError } from '../errors.ts';
import { isPlainObject, compareValues, cloneDeep, setOwn } from '../compare.ts';
import { guardFilter, hasWhere } from '../query-guard.ts';
import { valuesAtPath } from '../paths.ts';
import { idKey } from '../storage/id-key.ts';
import { asInt, validName } from './args.ts';
import { VERSION } from './admin.ts';
import type { CommandContext, Handler } from './context.ts';
import { CollatedKeys, effectiveCollation, type Collation } from '../collation.ts';

const SAFE_STAGES = new Set(['$match', '$group', '$sort', '$limit', '$skip', '$count', '$sortByCount', '$unwind', '$project', '$bucket', '$sample']);

/** Applies a find projection to documents already matched; the filter is needed only by a positional `a.$` projection. */
export function project(docs: Doc[], projection: Doc | undefined, filter: Doc, scores?: Map<Doc, number>): Doc[] {
  if (!projection) return docs;
  return docs.map(compileProjection(projection, { filter, textScore: scores ? (d) => scores.get(d) ?? 0 : undefined }));
}

function findDocs(ctx: CommandContext, db: string, cmd: Doc, collName: string): { docs: Doc[]; plan: Plan } {
  const coll = ctx.catalog.coll(db, collName);
  const filter = (cmd.filter ?? {}) as Doc;
  if (!isPlainObject(filter)) throw new CommandError('TypeMismatch', "BSON field 'FindCommandRequest.filter' is the wrong type, expected type 'object'");
  const sort = isPlainObject(cmd.sort) && Object.keys(cmd.sort).length ? (cmd.sort as Doc) : undefined;
  const skip = asInt(cmd.skip, 'skip', 0);
  let limit = asInt(cmd.limit, 'limit', 0);
  if (skip < 0) throw new CommandError('BadValue', 'skip value must be non-negative');
  if (limit < 0) limit = -limit;
  const collation = effectiveCollation(cmd.collation, coll?.options.collation);
  if (!coll) return { docs: [], plan: { stage: 'COLLSCAN', sorted: true, docsExamined: 0 } };
  const r = coll.find(filter, { sort, skip, limit, collation });
  ctx.opCounters.query++;
  const projection = isPlainObject(cmd.projection) && Object.keys(cmd.projection).length ? (cmd.projection as Doc) : undefined;
  return { docs: projection ? project(r.docs, projection, filter, r.scores) : r.docs, plan: r.plan };
}

function find(ctx: CommandContext, db: string, cmd: Doc): Doc {
  const name = validName(cmd.find, 'collection');
  const { docs } = findDocs(ctx, db, cmd, name);
  const single = cmd.singleBatch === true || (typeof cmd.limit === 'number' && cmd.limit < 0);
  const batchSize = cmd.batchSize !== undefined ? asInt(cmd.batchSize, 'batchSize', 101) : 101;
  return ctx.cursors.reply(`${db}.${name}`, docs, { batchSize }, single);
}

function count(ctx: CommandContext, db: string, cmd: Doc): Doc {
  const coll = ctx.catalog.coll(db, validName(cmd.count, 'collection'));
  if (!coll) return { n: 0, ok: 1 };
  const query = (cmd.query ?? {}) as Doc;
  const skip = asInt(cmd.skip, 'skip', 0);
  const limit = Math.abs(asInt(cmd.limit, 'limit', 0));
  const collation = effectiveCollation(cmd.collation, coll.options.collation);
  return { n: coll.count(query, collation, skip, limit), ok: 1 };
}

function distinct(ctx: CommandContext, db: string, cmd: Doc): Doc {
  const coll = ctx.catalog.coll(db, validName(cmd.distinct, 'collection'));
  if (typeof cmd.key !== 'string') throw new CommandError('TypeMismatch', "BSON field 'distinct.key' is missing or not a string");
  const values: unknown[] = [];
  if (coll) {
    const collation = effectiveCollation(cmd.collation, coll.options.collation);
    const { docs } = coll.find((cmd.query ?? {}) as Doc, { collation });
    const seen = new Map<string, unknown>();
    // Under a collation, values equal by it are one value (the first met).
    const keys = collation ? new CollatedKeys(collation) : undefined;
    for (const d of docs) {
      for (const v of valuesAtPath(d, cmd.key)) {
        for (const x of Array.isArray(v) ? v : [v]) {
          if (x === undefined) continue;
          const k = keys ? keys.key(x) : idKey(x);
          if (!seen.has(k)) seen.set(k, x);
        }
      }
    }
    values.push(...[...seen.values()].sort(collation ? collation.compare : compareValues));
  }
  return { values, ok: 1 };
}

function aggregate(ctx: CommandContext, db: string, cmd: Doc): Doc {
  const pipeline = cmd.pipeline;
  if (!Array.isArray(pipeline)) throw new CommandError('TypeMismatch', "'pipeline' option must be specified as an array");
  if (cmd.cursor === undefined && cmd.explain !== true) throw new CommandError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  const collName = cmd.aggregate;
  if (typeof collName !== 'string') throw new CommandError('InvalidNamespace', 'aggregate on a database (aggregate: 1) is not supported');
  validName(collName, 'collection');
  const out = pipeline.length ? pipeline[pipeline.length - 1] : undefined;
  const outStage = isPlainObject(out) && ('$out' in out || '$merge' in out);
  if (outStage) throw new CommandError('IllegalOperation', '$out and $merge are not supported by this server');
  for (const st of pipeline) {
    const name = isPlainObject(st) ? Object.keys(st)[0] : undefined;
    if (name === '$collStats' || name === '$indexStats' || name === '$currentOp' || name === '$changeStream') {
      throw new CommandError('IllegalOperation', `${name} is not supported by this server`);
    }
  }
  const collation = effectiveCollation(cmd.collation, ctx.catalog.coll(db, collName)?.options.collation);
  const docs = runPipeline(ctx, db, collName, pipeline as Doc[], collation);
  return ctx.cursors.reply(`${db}.${collName}`, docs, cmd.cursor);
}

/** Runs a pipeline; a leading $match (and $sort/$limit) use the collection's indexes. */
export function runPipeline(ctx: CommandContext, db: string, collName: string, pipeline: Doc[], collation?: Collation): Doc[] {
  const coll = ctx.catalog.coll(db, collName);
  let i = 0;
  let filter: Doc = {};
  let sort: Doc | undefined;
  let limit = 0;
  let skip = 0;
  // Leading $match stages (often one for the scope, one for the figure) become one filter, so
  // the planner sees every predicate and the scan matches once.
  const matches: Doc[] = [];
  // $text is allowed in the first $match only (as in MongoDB); later ones are refused by the guard.
  while (pipeline[i] && isPlainObject(pipeline[i]!.$match) && (i === 0 || !('$text' in (pipeline[i]!.$match as Doc)))) {
    matches.push(pipeline[i]!.$match as Doc);
    i++;
  }
  if (matches.length === 1) filter = matches[0]!;
  else if (matches.length > 1) filter = { $and: matches };
  if (pipeline[i] && isPlainObject(pipeline[i]!.$sort)) {
    sort = pipeline[i]!.$sort as Doc;
    i++;
    while (pipeline[i] && (pipeline[i]!.$skip !== undefined || pipeline[i]!.$limit !== undefined)) {
      if (pipeline[i]!.$skip !== undefined) {
        if (limit) break;
        skip += asInt(pipeline[i]!.$skip, '$skip', 0);
      } else limit = asInt(pipeline[i]!.$limit, '$limit', 0);
      i++;
    }
  }
  if (hasWhere(filter)) guardFilter(filter, 'match');
  // countDocuments, counted without reading the documents when an index covers the filter.
  const counter = i === matches.length ? countDocumentsTail(pipeline.slice(i)) : undefined;
  if (counter && !('$text' in filter)) {
    const n = coll ? coll.count(filter, collation, counter.skip, counter.limit) : 0;
    if (n === 0) return [];
    const out: Doc = { _id: counter.id };
    setOwn(out, counter.field, n);
    return [out];
  }
  const found = coll ? coll.find(filter, { sort, skip, limit: limit ? limit : 0, collation }) : { docs: [] as Doc[], scores: undefined };
  let input = found.docs;
  let rest = pipeline.slice(i);
  if (rest.length === 0) return input;
  const scores = found.scores;
  if (scores) {
    // { $meta: 'textScore' } in later stages reads a field no document can have (a NUL in its
    // name), added to copies here and removed from the output.
    input = input.map((d) => { const c = { ...d }; setOwn(c, SCORE, scores.get(d) ?? 0); return c; });
    rest = rest.map((st) => withScoreField(st) as Doc);
    const out = runPipelineRest(ctx, db, input, rest, collation);
    return out.map((d) => { if (isPlainObject(d) && Object.prototype.hasOwnProperty.call(d, SCORE)) { const c = { ...d }; delete c[SCORE]; return c; } return d; });
  }
  return runPipelineRest(ctx, db, input, rest, collation);
}

/**
 * What countDocuments sends after its $match: an optional { $skip }, an optional { $limit }, then
 * { $group: { _id: <constant>, <field>: { $sum: 1 } } }. Undefined for any other pipeline.
 */
function countDocumentsTail(stages: Doc[]): { id: unknown; field: string; skip: number; limit: number } | undefined {
  let at = 0;
  const only = (name: string) => isPlainObject(stages[at]) && Object.keys(stages[at]!).length === 1 && stages[at]![name] !== undefined;
  const skip = only('$skip') ? asInt(stages[at++]!.$skip, '$skip', 0) : 0;
  const limit = only('$limit') ? asInt(stages[at++]!.$limit, '$limit', 0) : 0;
  if (at !== stages.length - 1 || skip < 0 || limit < 0) return undefined;
  const group = countGroup(stages[at]);
  return group && { ...group, skip, limit };
}

/** `{ $group: { _id: <constant>, <field>: { $sum: 1 } } }`, or undefined. */
function countGroup(stage: Doc | undefined): { id: unknown; field: string } | undefined {
  if (!isPlainObject(stage) || Object.keys(stage).length !== 1 || !isPlainObject(stage.$group)) return undefined;
  const g = stage.$group as Doc;
  const keys = Object.keys(g);
  if (keys.length !== 2 || keys[0] !== '_id') return undefined;
  const id = g._id;
  const constant = id === null || typeof id === 'number' || typeof id === 'boolean' || (typeof id === 'string' && !id.startsWith('$'));
  const field = keys[1]!;
  const acc = g[field];
  if (!constant || field.includes('.') || field.startsWith('$') || !isPlainObject(acc) || Object.keys(acc).length !== 1 || acc.$sum !== 1) return undefined;
  return { id, field };
}

const SCORE = '\u0000textScore';

function withScoreField(v: unknown, inSort = false): unknown {
  // inSort: v is a $sort specification, whose { $meta } values become a descending key
  if (Array.isArray(v)) return v.map((x) => withScoreField(x));
  if (!isPlainObject(v)) return v;
  if (v.$meta === 'textScore' && Object.keys(v).length === 1) return `$${SCORE}`;
  const out: Doc = {};
  for (const k of Object.keys(v)) {
    const sortKey = inSort && isPlainObject(v[k]) && (v[k] as Doc).$meta === 'textScore';
    setOwn(out, sortKey ? SCORE : k, sortKey ? -1 : withScoreField(v[k], k === '$sort'));
  }
  return out;
}

function runPipelineRest(ctx: CommandContext, db: string, input: Doc[], rest: Doc[], collation?: Collation): Doc[] {
  const fast = runFastPrefix(input, rest, collation);
  rest = rest.slice(fast.consumed);
  if (rest.length === 0) return fast.docs;
  input = fast.docs;
  // Stages that change documents get copies; ours, since mingo's copy would turn a field named
  // __proto__ into the copy's prototype.
  const mutating = rest.some((st) => !SAFE_STAGES.has(Object.keys(st)[0] ?? ''));
  if (mutating) input = input.map(cloneDeep);
  const agg = new Aggregator(rest as never, {
    processingMode: ProcessingMode.CLONE_OFF,
    ...(collation ? { collation: collation.spec } : {}),
    collectionResolver: (name: string) => [...(ctx.catalog.coll(db, name)?.docs.values() ?? [])],
  } as never);
  // MongoDB keeps _id first in stage output; mingo's $project appends it last.
  return (agg.run(input) as Doc[]).map(idFirst);
}

function explain(ctx: CommandContext, db: string, cmd: Doc): Doc {
  const inner = cmd.explain;
  if (!isPlainObject(inner)) throw new CommandError('BadValue', 'explain needs a command document');
  const kind = Object.keys(inner)[0];
  let plan: Plan = { stage: 'COLLSCAN', sorted: true, docsExamined: 0 };
  let n = 0;
  let ns = db;
  if (kind === 'find' || kind === 'count' || kind === 'distinct') {
    const name = String(inner[kind]);
    ns = `${db}.${name}`;
    const r = findDocs(ctx, db, { ...inner, filter: inner.filter ?? inner.query }, name);
    plan = r.plan;
    n = r.docs.length;
  } else if (kind === 'aggregate') {
    const name = String(inner.aggregate);
    ns = `${db}.${name}`;
    const pipeline = (inner.pipeline ?? []) as Doc[];
    const first = pipeline[0] && isPlainObject(pipeline[0].$match) ? (pipeline[0].$match as Doc) : {};
    const coll = ctx.catalog.coll(db, name);
    if (coll) {
      const r = coll.find(first);
      plan = r.plan;
      n = r.docs.length;
    }
  } else if (kind === 'update' || kind === 'delete' || kind === 'findAndModify') {
    const name = String(inner[kind]);
    ns = `${db}.${name}`;
    const q = (kind === 'findAndModify' ? inner.query : ((inner.updates ?? inner.deletes) as Doc[] | undefined)?.[0]?.q) ?? {};
    const coll = ctx.catalog.coll(db, name);
    if (coll) {
      const r = coll.find(q as Doc);
      plan = r.plan;
      n = r.docs.length;
    }
  } else throw new CommandError('BadValue', `explain of ${kind} is not supported`);
  const inputStage = plan.stage === 'COLLSCAN' ? { stage: 'COLLSCAN', direction: 'forward' } : { stage: plan.stage === 'IDHACK' ? 'IDHACK' : 'IXSCAN', indexName: plan.index };
  const winningPlan = plan.stage === 'COLLSCAN' ? inputStage : { stage: 'FETCH', inputStage };
  return {
    queryPlanner: { namespace: ns, winningPlan, rejectedPlans: [] },
    executionStats: { executionSuccess: true, nReturned: n, totalDocsExamined: plan.docsExamined, totalKeysExamined: plan.stage === 'COLLSCAN' ? 0 : plan.docsExamined, executionStages: winningPlan },
    serverInfo: { host: '127.0.0.1', version: VERSION },
    ok: 1,
  };
}

function idFirst(doc: Doc): Doc {
  if (!isPlainObject(doc) || !('_id' in doc) || Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

export const readCommands: Array<[string, Handler]> = [
  ['find', (ctx, db, cmd) => find(ctx, db, cmd)],
  ['count', (ctx, db, cmd) => count(ctx, db, cmd)],
  ['distinct', (ctx, db, cmd) => distinct(ctx, db, cmd)],
  ['aggregate', (ctx, db, cmd) => aggregate(ctx, db, cmd)],
  ['explain', (ctx, db, cmd) => explain(ctx, db, cmd)],
];
