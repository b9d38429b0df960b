// Catalog commands: list, create, drop and rename databases and collections, and their statistics.
import { calculateObjectSize } from 'bson';
import { Collection, compileFilter, type Doc } from '../collection.ts';
import { CommandError } from '../errors.ts';
import { bsonTypeName, isNumeric, isPlainObject, setOwn, toNumber } from '../compare.ts';
import { collationSpec } from '../collation.ts';
import { validDbName, validName } from './args.ts';
import type { CommandContext, Handler } from './context.ts';

function listDatabases(ctx: CommandContext, cmd: Doc): Doc {
  const databases = [...ctx.catalog.dbs.entries()].map(([name, colls]) => {
    let size = 0;
    for (const c of colls.values()) for (const d of c.docs.values()) size += calculateObjectSize(d);
    return { name, sizeOnDisk: size, empty: colls.size === 0 };
  });
  const filtered = cmd.filter && isPlainObject(cmd.filter) ? databases.filter(compileFilter(cmd.filter as Doc)) : databases;
  if (cmd.nameOnly) return { databases: filtered.map((d) => ({ name: d.name })), ok: 1 };
  return { databases: filtered, totalSize: filtered.reduce((s, d) => s + d.sizeOnDisk, 0), ok: 1 };
}

function listCollections(ctx: CommandContext, db: string, cmd: Doc): Doc {
  const colls = [...(ctx.catalog.db(db)?.values() ?? [])];
  let infos: Doc[] = colls.map((c) =>
    cmd.nameOnly
      ? { name: c.name, type: 'collection' }
      : { name: c.name, type: 'collection', options: c.options, info: { readOnly: false }, idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } },
  );
  if (isPlainObject(cmd.filter)) infos = infos.filter(compileFilter(cmd.filter as Doc));
  return ctx.cursors.reply(`${db}.$cmd.listCollections`, infos, cmd.cursor);
}

// The command's generic fields: they are not collection options.
const GENERIC = new Set(['create', '$db', 'lsid', '$clusterTime', '$readPreference', 'writeConcern', 'apiVersion', 'apiStrict', 'apiDeprecationErrors', 'maxTimeMS', 'comment', '$audit', '$client']);
const KNOWN = new Set(['capped', 'size', 'max', 'autoIndexId', 'idIndex', 'storageEngine', 'indexOptionDefaults', 'collation', 'flags', 'temp',
  'validator', 'validationLevel', 'validationAction', 'viewOn', 'pipeline', 'timeseries', 'clusteredIndex', 'expireAfterSeconds', 'encryptedFields', 'changeStreamPreAndPostImages', 'recordPreImages']);
// Options MongoDB knows that this server does not implement: refused, never stored and ignored.
const UNSUPPORTED = new Map<string, string>(Object.entries({
  viewOn: 'views', pipeline: 'views', timeseries: 'time-series collections', clusteredIndex: 'clustered collections',
  expireAfterSeconds: 'clustered or time-series collections', encryptedFields: 'queryable encryption',
  validator: 'document validation', validationLevel: 'document validation', validationAction: 'document validation',
  changeStreamPreAndPostImages: 'change streams', recordPreImages: 'change streams',
}));

/** The collection options of a create command, validated as MongoDB 7.0 does. */
function createOptions(cmd: Doc): Doc {
  const options: Doc = {};
  for (const k of Object.keys(cmd)) {
    if (GENERIC.has(k)) continue;
    if (!KNOWN.has(k)) throw new CommandError('Location40415', `BSON field 'create.${k}' is an unknown field.`);
    const v = cmd[k];
    const unsupported = UNSUPPORTED.get(k);
    const empty = v === undefined || v === null || v === false || (isPlainObject(v) && Object.keys(v).length === 0) || (k === 'changeStreamPreAndPostImages' && isPlainObject(v) && v.enabled === false);
    if (unsupported && !empty) throw new CommandError('NotImplemented', `the '${k}' option (${unsupported}) is not supported by this server (embedded-mongo)`);
    setOwn(options, k, v);
  }
  for (const k of ['size', 'max'] as const) {
    if (options[k] !== undefined && options[k] !== null && !isNumeric(options[k])) {
      throw new CommandError('TypeMismatch', `BSON field 'create.${k}' is the wrong type '${bsonTypeName(options[k])}', expected types '[long, int, decimal, double]'`);
    }
  }
  const capped = options.capped === true || (isNumeric(options.capped) && toNumber(options.capped) !== 0);
  const size = isNumeric(options.size) ? toNumber(options.size) : 0;
  const max = isNumeric(options.max) ? toNumber(options.max) : 0;
  if (capped && !size) throw new CommandError('InvalidOptions', "the 'size' field is required when 'capped' is true");
  if (!capped && (size || max)) throw new CommandError('InvalidOptions', "the 'capped' field needs to be true when either the 'size' or 'max' fields are present");
  if (capped && size < 0) throw new CommandError('BadValue', "BSON field 'size' value must be >= 1");
  if (options.collation !== undefined) setOwn(options, 'collation', collationSpec(options.collation));
  return options;
}

async function create(ctx: CommandContext, db: string, cmd: Doc): Promise<Doc> {
  const name = validName(cmd.create, 'collection');
  validDbName(db);
  if (ctx.catalog.coll(db, name)) throw new CommandError('NamespaceExists', `Collection ${db}.${name} already exists.`);
  const options = createOptions(cmd);
  ctx.catalog.ensureCollection(db, name, options);
  await ctx.journal.commit([{ op: 'createCollection', db, coll: name, options }]);
  return { ok: 1 };
}

async function drop(ctx: CommandContext, db: string, cmd: Doc): Promise<Doc> {
  const name = validName(cmd.drop, 'collection');
  const coll = ctx.catalog.coll(db, name);
  // Since MongoDB 7.0 (the version this server reports), dropping a missing collection succeeds.
  if (!coll) return { ns: `${db}.${name}`, ok: 1 };
  const nIndexesWas = coll.indexes.size;
  ctx.catalog.dropCollection(db, name);
  ctx.cursors.dropFor(`${db}.${name}`);
  await ctx.journal.commit([{ op: 'dropCollection', db, coll: name }]);
  return { ns: `${db}.${name}`, nIndexesWas, ok: 1 };
}

async function dropDatabase(ctx: CommandContext, db: string): Promise<Doc> {
  if (ctx.catalog.dropDatabase(db)) await ctx.journal.commit([{ op: 'dropDatabase', db }]);
  return { dropped: db, ok: 1 };
}

async function renameCollection(ctx: CommandContext, cmd: Doc): Promise<Doc> {
  const from = String(cmd.renameCollection ?? '');
  const to = String(cmd.to ?? '');
  const [fromDb, ...fr] = from.split('.');
  const [toDb, ...tr] = to.split('.');
  const fromColl = fr.join('.');
  const toColl = tr.join('.');
  if (!fromDb || !fromColl || !toDb || !toColl) throw new CommandError('InvalidNamespace', 'Invalid namespace specified');
  validName(toColl, 'collection');
  const source = ctx.catalog.coll(fromDb, fromColl);
  if (!source) throw new CommandError('NamespaceNotFound', `Source collection ${from} does not exist`);
  const target = ctx.catalog.coll(toDb, toColl);
  if (target && !cmd.dropTarget) throw new CommandError('NamespaceExists', 'target namespace exists');
  ctx.catalog.dropCollection(fromDb, fromColl);
  // The documents move as they are (already valid), so the indexes are rebuilt in one pass.
  const moved = new Collection(toDb, toColl, source.options);
  moved.load(source.docs.values(), [...source.indexes.values()].map((i) => i.spec));
  ctx.catalog.put(toDb, toColl, moved);
  ctx.cursors.dropFor(from);
  await ctx.journal.commit([{ op: 'renameCollection', db: fromDb, coll: fromColl, toDb, toColl, dropTarget: Boolean(cmd.dropTarget) }]);
  return { ok: 1 };
}

function collStats(ctx: CommandContext, db: string, cmd: Doc): Doc {
  const coll = ctx.catalog.coll(db, String(cmd.collStats));
  let size = 0;
  for (const d of coll?.docs.values() ?? []) size += calculateObjectSize(d);
  const count = coll?.docs.size ?? 0;
  return {
    ns: `${db}.${String(cmd.collStats)}`,
    count,
    size,
    avgObjSize: count ? Math.round(size / count) : 0,
    storageSize: size,
    nindexes: coll?.indexes.size ?? 0,
    indexSizes: Object.fromEntries([...(coll?.indexes.keys() ?? [])].map((n) => [n, 0])),
    totalIndexSize: 0,
    ok: 1,
  };
}

function dbStats(ctx: CommandContext, db: string): Doc {
  const colls = [...(ctx.catalog.db(db)?.values() ?? [])];
  let objects = 0;
  let dataSize = 0;
  let indexes = 0;
  for (const c of colls) {
    objects += c.docs.size;
    indexes += c.indexes.size;
    for (const d of c.docs.values()) dataSize += calculateObjectSize(d);
  }
  return { db, collections: colls.length, views: 0, objects, avgObjSize: objects ? dataSize / objects : 0, dataSize, storageSize: dataSize, indexes, indexSize: 0, totalSize: dataSize, scaleFactor: 1, ok: 1 };
}

export const catalogCommands: Array<[string, Handler]> = [
  ['listDatabases', (ctx, _db, cmd) => listDatabases(ctx, cmd)],
  ['listCollections', (ctx, db, cmd) => listCollections(ctx, db, cmd)],
  ['create', (ctx, db, cmd) => create(ctx, db, cmd)],
  ['drop', (ctx, db, cmd) => drop(ctx, db, cmd)],
  ['dropDatabase', (ctx, db) => dropDatabase(ctx, db)],
  ['renameCollection', (ctx, _db, cmd) => renameCollection(ctx, cmd)],
  ['collStats', (ctx, db, cmd) => collStats(ctx, db, cmd)],
  ['dbStats', (ctx, db) => dbStats(ctx, db)],
];
