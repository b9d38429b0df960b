// Drill (security review s33): a flood of connections without credentials at the database under the
// running app. The app runs as `npm start` does against the embedded database run on its own
// (`npm run db`, its default bounds: embedded-mongo/src/pre-auth-limits.ts), HR signed in. For
// 35 s (past the 30 s handshake deadline) raw sockets come from twenty other loopback addresses
// (127.0.0.2-21, standing for other hosts): half send nothing, half a hello and then idle, as the
// driver's monitors do; hundreds more every half second. Throughout, HR's pages answer 200 and
// notes are written (303); the app's driver logs no failed heartbeat and no cleared pool (its
// monitor never authenticates and is never cut); the flood is refused past the cap, and its
// silent sockets are closed at the deadline.
import { expect } from 'chai';
import net from 'node:net';
import { ObjectId } from 'mongodb';
import { WebClient, csrfIn } from '../../scripts/support/web-client.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { drillEnv, runScript, startApp, waitReady, type AppProcess } from './support/app-process.ts';
import { useExternalDatabase } from './support/database-process.ts';
import type { Seeded } from './support/seed.ts';
import { opMsg } from '../embedded-mongo/support/op-msg.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FLOOD_MS = 35_000;
const HEARTBEAT_MS = 1000;

// OP_MSG { hello: 1, $db: 'admin' }, as a monitor's heartbeat.
const helloFrame = (): Buffer => opMsg({ hello: 1, $db: 'admin' }, 7);

interface FloodSocket {
  socket: net.Socket;
  answered: boolean;
  closedByServer: boolean;
  openedAt: number;
  closedAt?: number;
  spoke: boolean;
}

describe('drill: a flood of connections without credentials at the database, under the app', function () {
  this.timeout(240_000);
  let app: AppProcess | undefined;
  let smtp: TestSmtp;
  const flood: FloodSocket[] = [];
  const external = useExternalDatabase('preauth', {
    beforeRemoval: async () => {
      for (const f of flood) f.socket.destroy();
      await app?.kill9();
      await smtp?.stop();
    },
  });

  before(async () => {
    smtp = await startTestSmtp();
  });

  it('serves pages and writes throughout 35 s of flood; the driver keeps its monitor and pool; the flood is refused past the cap', async () => {
    const env = drillEnv(external.dataDir, { MONGODB_URI: external.uri, SMTP_URL: smtp.url, DB_HEARTBEAT_MS: String(HEARTBEAT_MS) });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 2, stage: 'submitted' })], env)).trim().split('\n').at(-1)!) as Seeded;
    const caseId = seeded.applicants[0]!.caseId;
    app = startApp(env);
    await waitReady(app);
    const hr = new WebClient(app.url, 60_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const port = Number(new URL(external.uri.replace(/^mongodb:/, 'http:')).port);
    const hello = helloFrame();

    let flooding = true;
    let attempts = 0;
    const open = (address: string, speak: boolean) => {
      attempts++;
      const f: FloodSocket = { socket: net.connect({ host: '127.0.0.1', port, localAddress: address }), answered: false, closedByServer: false, openedAt: Date.now(), spoke: speak };
      f.socket.on('error', () => {});
      f.socket.on('data', () => (f.answered = true));
      f.socket.on('end', () => (f.closedByServer = true));
      f.socket.on('close', () => (f.closedAt ??= Date.now()));
      if (speak) f.socket.once('connect', () => f.socket.write(hello));
      flood.push(f);
    };
    const flooder = (async () => {
      for (let round = 0; flooding; round++) {
        for (let i = 0; i < 300; i++) open(`127.0.0.${2 + ((round * 300 + i) % 20)}`, i % 2 === 1);
        await sleep(500);
      }
    })();

    const statuses = new Map<string, number>();
    const tally = (what: string, status: number) => statuses.set(`${what} ${status}`, (statuses.get(`${what} ${status}`) ?? 0) + 1);
    const started = Date.now();
    let notes = 0;
    let slowest = 0;
    // A new client in the thick of the flood (an app restarting, a web worker starting): its
    // monitor and handshakes come from the app's address, which keeps its reserve.
    let direct: Awaited<ReturnType<typeof external.connect>> | undefined;
    let directMs = 0;
    while (Date.now() - started < FLOOD_MS) {
      if (!direct && Date.now() - started > FLOOD_MS / 2) {
        const t = Date.now();
        direct = await external.connect();
        await direct.db().collection('cases').findOne({ _id: new ObjectId(caseId) });
        directMs = Date.now() - t;
      }
      const t = Date.now();
      tally('queue', (await hr.get('/cases')).status);
      const page = await hr.get(`/cases/${caseId}`);
      tally('case', page.status);
      if (page.status === 200) {
        const r = await hr.postForm(`/cases/${caseId}/notes`, csrfIn(page.text), { note: `flood ${notes}` });
        tally('note', r.status);
        if (r.status === 303) notes++;
      }
      slowest = Math.max(slowest, Date.now() - t);
      await sleep(200);
    }
    flooding = false;
    await flooder;
    await sleep(1000);

    const admitted = flood.filter((f) => f.answered).length;
    const refused = flood.filter((f) => f.closedByServer && !f.answered && f.closedAt! - f.openedAt < 5000).length;
    const silentClosed = flood.filter((f) => !f.spoke && f.closedByServer && f.closedAt! - f.openedAt >= 25_000);
    const spokenOpen = flood.filter((f) => f.spoke && f.answered && !f.closedByServer).length;
    const troubles = app.output().split('\n').filter((l) => /a heartbeat failed|connection pool was cleared|unhandled error/.test(l));

    const stored = await direct!.db().collection('cases').findOne({ _id: new ObjectId(caseId) });
    const storedNotes = ((stored?.notes ?? []) as Array<{ text?: string }>).filter((n) => /^flood \d+$/.test(String(n.text))).length;

    process.stdout.write(
      `      drill figures: ${attempts} flood connections in ${(FLOOD_MS / 1000).toFixed(0)} s from 20 addresses; ${refused} refused at once, ${admitted} answered a hello, ` +
        `${spokenOpen} of those still open at the end, ${silentClosed.length} silent ones closed at the deadline; HR: ${[...statuses].map(([k, v]) => `${k}×${v}`).join(', ')}, ` +
        `slowest round ${slowest} ms; a new client mid-flood connected and read in ${directMs} ms; notes stored ${storedNotes}/${notes}; driver trouble lines ${troubles.length}\n`,
    );
    expect([...statuses.keys()].sort(), 'every page 200 and every note 303').to.deep.equal(['case 200', 'note 303', 'queue 200']);
    expect(notes).to.be.above(10);
    expect(storedNotes).to.equal(notes);
    expect(troubles, 'no failed heartbeat, no pool cleared').to.deep.equal([]);
    expect(refused, 'the flood refused past the cap').to.be.above(1000);
    expect(admitted, 'no more admitted at once than the total cap, over the run').to.be.above(100);
    expect(silentClosed.length, 'silent sockets closed at the handshake deadline').to.be.above(0);
    expect(spokenOpen, 'idle sockets that spoke are not evicted').to.be.above(0);
    expect(app.child.exitCode).to.equal(null);
  });
});
