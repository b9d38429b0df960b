// The catalog: databases → collections in memory. Creating, finding, listing and removing them;
// the commands that change it (commands/catalog.ts) journal what they do.
import { Collection, type Doc } from './collection.ts';
import { CommandError } from './errors.ts';
import { validDbName, validName } from './commands/args.ts';
import type { JournalOp, CatalogSnapshot, CollectionSnapshot } from './storage/types.ts';

export class Catalog {
  readonly dbs = new Map<string, Map<string, Collection>>();

  db(name: string): Map<string, Collection> | undefined {
    return this.dbs.get(name);
  }

  coll(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  ensureCollection(db: string, name: string, options: Doc = {}): Collection {
    let colls = this.dbs.get(db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(db, colls);
    }
    let coll = colls.get(name);
    if (!coll) {
      coll = new Collection(db, name, options);
      colls.set(name, coll);
    }
    return coll;
  }

  /** The collection, created (and journaled into `ops`) when missing, as MongoDB does on first write. */
  writable(db: string, name: string, ops: JournalOp[]): Collection {
    validDbName(db);
    validName(name, 'collection');
    // admin.system.users: where the authentication layer keeps users (auth/users.ts), as MongoDB does
    if (name.startsWith('system.') && !['system.js', 'system.views'].includes(name) && !(db === 'admin' && name === 'system.users')) {
      throw new CommandError('InvalidNamespace', `cannot write to '${db}.${name}'`);
    }
    const existing = this.coll(db, name);
    if (existing) return existing;
    ops.push({ op: 'createCollection', db, coll: name, options: {} });
    return this.ensureCollection(db, name);
  }

  dropCollection(db: string, name: string): void {
    this.dbs.get(db)?.delete(name);
  }

  dropDatabase(db: string): boolean {
    return this.dbs.delete(db);
  }

  /** Puts `coll` under (db, name), creating the database entry when it is new. */
  put(db: string, name: string, coll: Collection): void {
    let colls = this.dbs.get(db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(db, colls);
    }
    colls.set(name, coll);
  }

  *collections(): Generator<[string, Collection]> {
    for (const [db, colls] of this.dbs) for (const coll of colls.values()) yield [db, coll];
  }

  /** Snapshot of the current state (document arrays are copied, documents are never mutated in place). */
  snapshot(): CatalogSnapshot {
    const collections: CollectionSnapshot[] = [];
    for (const [db, colls] of this.dbs) {
      for (const [name, coll] of colls) {
        collections.push({
          db,
          coll: name,
          options: coll.options,
          indexes: [...coll.indexes.values()].filter((i) => i.name !== '_id_').map((i) => i.spec),
          docs: [...coll.snapshotDocs()] as Doc[], // still-undecoded documents go to disk as their bytes
        });
      }
    }
    return { collections };
  }

  counts(): { collections: number; documents: number } {
    let collections = 0;
    let documents = 0;
    for (const [, c] of this.collections()) { collections++; documents += c.docs.size; }
    return { collections, documents };
  }
}
