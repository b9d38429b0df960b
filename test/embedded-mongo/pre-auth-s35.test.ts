// Security review s35 of the embedded server's bound on failed authentications (server.ts settle):
// the connection was closed after 5 failures only while it had no credentials. A client holding one
// account's password (the app's, a read-only user's) authenticated first, then guessed another
// account's password (the administrator's) on the same connection without end: a failed saslStart
// does not log the connection out, so the bound never applied.
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';

describe('embedded-mongo: failed authentications on an authenticated connection, security review s35', function () {
  this.timeout(30_000);
  let server: EmbeddedMongo;
  const logger = { info() {}, error() {}, warn() {} };

  beforeEach(async () => {
    server = await startEmbeddedMongo({ port: 0, dbPath: null, auth: true, logger });
  });
  afterEach(async () => {
    await server.stop();
  });

  it('closes an authenticated connection too after 5 failed authentications (no endless guessing behind a valid login)', async () => {
    const client = new MongoClient(server.uri('admin', server.credentials!), { maxPoolSize: 1, minPoolSize: 0, serverSelectionTimeoutMS: 4000, retryReads: false, retryWrites: false });
    const closed: string[] = [];
    client.on('connectionClosed', (e) => closed.push(e.reason));
    try {
      await client.db('admin').command({ ping: 1 });
      const answers: unknown[] = [];
      for (let i = 0; i < 8; i++) {
        try {
          const r = await client.db('admin').command({ saslStart: 1, mechanism: 'SCRAM-SHA-256' });
          answers.push(r.ok);
        } catch (err) {
          answers.push((err as { code?: number; name?: string }).code ?? (err as Error).name);
        }
        if (closed.length) break;
      }
      // Each guess is refused (18, AuthenticationFailed) and the fifth closes the connection: the
      // driver sees the pool's connection go (a new one must authenticate again, from the start).
      expect(answers.slice(0, 5), JSON.stringify(answers)).to.deep.equal([18, 18, 18, 18, 18]);
      for (let i = 0; i < 20 && !closed.length; i++) await new Promise((r) => setTimeout(r, 50));
      expect(closed, 'the connection was closed after the fifth failure').to.have.length.greaterThan(0);
      // The client itself goes on working on a new, authenticated connection.
      expect((await client.db('admin').command({ ping: 1 })).ok).to.equal(1);
    } finally {
      await client.close();
    }
  });
});
