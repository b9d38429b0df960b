// What every command handler is given: the catalog, cursors, the journal, the clock and counters.
import type { Catalog } from '../catalog.ts';
import type { CursorTable } from '../cursors.ts';
import type { Journal } from '../journal.ts';
import type { Doc } from '../collection.ts';

export interface ConnectionInfo {
  id: number;
  remote: string;
}

export interface OpCounters {
  insert: number;
  query: number;
  update: number;
  delete: number;
  getmore: number;
  command: number;
}

export interface CommandContext {
  readonly catalog: Catalog;
  readonly cursors: CursorTable;
  readonly journal: Journal;
  readonly opCounters: OpCounters;
  readonly startedAt: number;
  readonly connections: number;
  now(): Date;
  compact(): Promise<{ before: number; after: number }>;
  stats(): { journalBytes: number; diskBytes: number; collections: number; documents: number };
}

export type Handler = (ctx: CommandContext, db: string, cmd: Doc, conn: ConnectionInfo) => Doc | Promise<Doc>;

/** A command table: a Map, so a command named `__proto__` or `constructor` is just unknown. */
export type HandlerTable = ReadonlyMap<string, Handler>;
