// One side of bench/upload-ab.ts: the app of the checkout at <root> (its own modules, loaded from
// there), serving uploads in a process of its own with the same set-up as bench/upload.ts (an
// applicant's case with a list item of 25 MB). Prints one JSON line {url, cookie, token}, then
// serves until its stdin ends.
//
//   node --import tsx bench/support/upload-ab-server.ts <root> <disk|gridfs> <mongodb uri> <work dir>
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, storage, uri, work] = process.argv.slice(2);
if (!root || !storage || !uri || !work) throw new Error('usage: upload-ab-server.ts <root> <disk|gridfs> <mongodb uri> <work dir>');
const from = <T>(file: string): Promise<T> => import(pathToFileURL(path.join(root, file)).href) as Promise<T>;

/* eslint-disable @typescript-eslint/no-explicit-any -- modules of another checkout, loaded by path */
const [{ default: mongoose }, { loadConfig }, { createLogger }, { createMailer }, { createApp }, factories, caseFactories, support, { default: request }] = await Promise.all([
  import('mongoose'),
  from<any>('server/config.ts'),
  from<any>('server/logger.ts'),
  from<any>('server/mail/mailer.ts'),
  from<any>('server/http/app.ts'),
  from<any>('test/support/factories.ts'),
  from<any>('test/support/case-factories.ts'),
  from<any>('test/documents/support.ts'),
  import('supertest'),
]);

await mongoose.connect(uri);
const server = http.createServer();
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as net.AddressInfo).port;
const config = loadConfig({
  NODE_ENV: 'test',
  PORT: String(port),
  APP_URL: `http://127.0.0.1:${port}`,
  SESSION_SECRET: 'bench-session-secret-that-is-long-enough-123',
  LOG_LEVEL: 'silent',
  DATA_DIR: path.join(work, 'data'),
  UPLOAD_DIR: path.join(work, 'uploads'),
  UPLOAD_STORAGE: storage,
  UPLOAD_RATE_PER_HOUR: '100000',
});
const db = { connection: mongoose.connection, uri, embedded: false, ping: async () => true, close: async () => {} };
const app = createApp({ config, logger: createLogger('silent'), db, mailer: createMailer({ mailDir: config.mailDir, from: config.mailFrom }) });
server.on('request', app);

const institute = await factories.createInstitute();
const call = await caseFactories.createCall({ institute, checklist: [{ type: 'recommendation_letter', phase: 'application', required: false, multiple: true, maxMb: 25 }] });
const applicant = await factories.createUser({ role: 'applicant', locale: 'en' });
const c = await caseFactories.createCase({ applicant, call, stage: 'screening' });
const a = request.agent(app);
await factories.signIn(a, applicant);
const token: string = await support.tokenOf(a);
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/cases/${c._id}/documents`, cookie: support.cookieHeader(a), token })}\n`);

process.stdin.resume();
process.stdin.on('end', () => {
  server.closeAllConnections();
  server.close();
  void mongoose.disconnect().then(() => process.exit(0));
});
