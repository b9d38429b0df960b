// Shared setup for the conformance suites: one MongoClient per suite on a database of its own,
// from the project's test database helper (MONGODB_URI, else mongod on PATH, else the embedded server),
// so the same assertions check real MongoDB whenever one is available.
import { MongoClient, MongoServerError, type Db } from 'mongodb';
import { expect } from 'chai';
import { testMongoKind, testMongoUri, type TestMongoKind } from '../support/mongo.ts';

export interface Conformance {
  uri: string;
  client: MongoClient;
  db: Db;
  kind: TestMongoKind;
}

/** Registers before/after hooks in the calling describe(); fields are filled in `before`. */
export function useDatabase(label: string): Conformance {
  const ctx = {} as Conformance;
  before(async function () {
    this.timeout(60_000);
    ctx.uri = await testMongoUri(label);
    ctx.kind = await testMongoKind();
    ctx.client = new MongoClient(ctx.uri);
    await ctx.client.connect();
    ctx.db = ctx.client.db();
  });
  after(async function () {
    this.timeout(30_000);
    if (!ctx.client) return;
    await ctx.db.dropDatabase().catch(() => {});
    await ctx.client.close();
  });
  return ctx;
}

/** Runs `fn`, expects a MongoServerError (or a bulk write error) carrying `code`, and returns it. */
export async function expectCode(fn: () => Promise<unknown>, code: number): Promise<MongoServerError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected an error with code ${code}`).to.be.instanceOf(Error);
  const e = caught as MongoServerError;
  expect(e.code, `code of: ${e.message}`).to.equal(code);
  return e;
}

/** Sequential unique names inside a suite's database. */
let n = 0;
export function collName(prefix: string): string {
  n += 1;
  return `${prefix}_${n}`;
}

/** Documents whose _id may be any BSON value (the driver's default typing insists on ObjectId). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDoc = { _id?: string | number | object; [key: string]: any };
