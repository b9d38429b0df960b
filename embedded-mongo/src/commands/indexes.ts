// Index commands: createIndexes (with MongoDB's conflict rules), listIndexes, dropIndexes.
import { CommandError } from '../errors.ts';
import { isPlainObject, isNumeric, toNumber, valuesEqual } from '../compare.ts';
import { indexNameFor, type IndexSpec } from '../indexes.ts';
import { validName } from './args.ts';
import { collationSpec } from '../collation.ts';
import { isTextKey, textIndexSpec } from '../text.ts';
import type { Doc } from '../collection.ts';
import type { JournalOp } from '../storage/types.ts';
import type { CommandContext, Handler } from './context.ts';

async function createIndexes(ctx: CommandContext, db: string, cmd: Doc): Promise<Doc> {
  const name = validName(cmd.createIndexes, 'collection');
  if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) throw new CommandError('BadValue', 'Must specify at least one index to create');
  const ops: JournalOp[] = [];
  const created = !ctx.catalog.coll(db, name);
  const coll = ctx.catalog.writable(db, name, ops);
  const before = coll.indexes.size;
  for (const raw of cmd.indexes as Doc[]) {
    if (!isPlainObject(raw) || !isPlainObject(raw.key) || Object.keys(raw.key).length === 0) {
      throw new CommandError('BadValue', 'Index spec must contain a non-empty key document');
    }
    const name0 = typeof raw.name === 'string' ? raw.name : indexNameFor(raw.key as Doc);
    const spec: IndexSpec = isTextKey(raw.key as Doc) ? ({ v: 2, ...textIndexSpec(raw as Doc, name0) } as IndexSpec) : { v: 2, ...(raw as Doc), key: raw.key as IndexSpec['key'], name: name0 };
    for (const v of Object.values(spec.key)) {
      if (v === '2d' || v === '2dsphere' || v === 'geoHaystack') {
        // Refused rather than built as a plain index that $near/$geoWithin would then ignore.
        throw new CommandError('CannotCreateIndex', `Error in specification ${JSON.stringify(raw)} :: caused by :: Unknown index plugin '${v}': geospatial indexes are not supported by this server (embedded-mongo)`);
      }
      if (!(isNumeric(v) && toNumber(v) !== 0) && !['text', 'hashed'].includes(String(v))) {
        throw new CommandError('CannotCreateIndex', `Error in specification ${JSON.stringify(raw)} :: caused by :: Unknown index plugin '${String(v)}'`);
      }
    }
    // An index has its own collation, else the collection's default (as MongoDB records it).
    if (raw.collation !== undefined) spec.collation = collationSpec(raw.collation);
    else if (coll.options.collation !== undefined && collationSpec(coll.options.collation).locale !== 'simple') spec.collation = coll.options.collation;
    if (spec.expireAfterSeconds !== undefined && !isNumeric(spec.expireAfterSeconds)) throw new CommandError('BadValue', 'TTL index \'expireAfterSeconds\' option must be numeric');
    const sameName = coll.indexes.get(spec.name);
    if (sameName) {
      if (!valuesEqual(sameName.spec.key, spec.key)) {
        throw new CommandError('IndexKeySpecsConflict', `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName.spec)}`);
      }
      if (Boolean(sameName.spec.unique) !== Boolean(spec.unique) || Boolean(sameName.spec.sparse) !== Boolean(spec.sparse) || toNumber(sameName.spec.expireAfterSeconds ?? -1) !== toNumber(spec.expireAfterSeconds ?? -1)) {
        throw new CommandError('IndexOptionsConflict', `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName.spec)}`);
      }
      continue;
    }
    const sameKey = [...coll.indexes.values()].find((i) => valuesEqual(i.spec.key, spec.key) && valuesEqual(i.spec.partialFilterExpression ?? null, spec.partialFilterExpression ?? null) && valuesEqual(i.spec.collation ?? null, spec.collation ?? null));
    if (sameKey) {
      throw new CommandError('IndexOptionsConflict', `Index already exists with a different name: ${sameKey.name}`);
    }
    coll.addIndex(spec);
    ops.push({ op: 'createIndex', db, coll: name, spec });
  }
  await ctx.journal.commit(ops);
  return { createdCollectionAutomatically: created, numIndexesBefore: before, numIndexesAfter: coll.indexes.size, ok: 1 };
}

function listIndexes(ctx: CommandContext, db: string, cmd: Doc): Doc {
  const coll = ctx.catalog.coll(db, String(cmd.listIndexes));
  if (!coll) throw new CommandError('NamespaceNotFound', `ns does not exist: ${db}.${String(cmd.listIndexes)}`);
  const specs = [...coll.indexes.values()].map((i) => ({ ...i.spec, v: 2 }));
  return ctx.cursors.reply(`${db}.${coll.name}`, specs, cmd.cursor);
}

async function dropIndexes(ctx: CommandContext, db: string, cmd: Doc): Promise<Doc> {
  const name = String(cmd.dropIndexes ?? cmd.deleteIndexes);
  const coll = ctx.catalog.coll(db, name);
  if (!coll) throw new CommandError('NamespaceNotFound', `ns not found ${db}.${name}`);
  const nIndexesWas = coll.indexes.size;
  const which = cmd.index;
  let names: string[];
  if (which === '*') names = [...coll.indexes.keys()].filter((n) => n !== '_id_');
  else if (typeof which === 'string') names = [which];
  else if (Array.isArray(which)) names = which.map(String);
  else if (isPlainObject(which)) {
    const found = [...coll.indexes.values()].find((i) => valuesEqual(i.spec.key, which));
    if (!found) throw new CommandError('IndexNotFound', `can't find index with key: ${JSON.stringify(which)}`);
    names = [found.name];
  } else throw new CommandError('BadValue', 'index must be a string, array or key pattern');
  for (const n of names) {
    if (n === '_id_') throw new CommandError('InvalidOptions', 'cannot drop _id index');
    if (!coll.indexes.has(n)) throw new CommandError('IndexNotFound', `index not found with name [${n}]`);
  }
  const ops: JournalOp[] = [];
  for (const n of names) {
    coll.indexes.delete(n);
    ops.push({ op: 'dropIndex', db, coll: name, name: n });
  }
  await ctx.journal.commit(ops);
  return { nIndexesWas, ok: 1 };
}

export const indexCommands: Array<[string, Handler]> = [
  ['createIndexes', (ctx, db, cmd) => createIndexes(ctx, db, cmd)],
  ['listIndexes', (ctx, db, cmd) => listIndexes(ctx, db, cmd)],
  ['dropIndexes', (ctx, db, cmd) => dropIndexes(ctx, db, cmd)],
  ['deleteIndexes', (ctx, db, cmd) => dropIndexes(ctx, db, cmd)],
];
