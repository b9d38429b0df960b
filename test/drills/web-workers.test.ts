// Drill: the app as `npm start` runs it with two web processes (server/web-workers.ts). Checked
// over HTTP and through the processes themselves:
//   - new connections are served by both web processes (their access-log lines name them);
//   - a change made through one is on the pages of the other at once, not after its kept reads
//     expire (an officer renames themself; the queue of every process shows the new name);
//   - a web process SIGKILLed is replaced, and the site answers meanwhile through the other;
//   - the primary SIGKILLed takes its web processes with it (no process left holding the port);
//   - SIGTERM while the app starts stops it cleanly once started.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processTree } from '../../scripts/support/process-tree.ts';
import { WebClient, csrfIn } from '../../scripts/support/web-client.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import type { Seeded } from './support/seed.ts';
import { getOnNewConnection, servedBy } from './support/web-processes.ts';

/** The server's web processes: the descendants of the process npm start's command runs. */
const webProcesses = (primary: number) => processTree(primary).slice(1);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('drill: two web processes on one database', function () {
  this.timeout(180_000);
  let dataDir: string;
  let app: AppProcess | undefined;

  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-drill-web-'));
  });
  after(async () => {
    await app?.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves from both, shows a change made through one on the other at once, replaces a killed one, and ends with the primary', async () => {
    const env = drillEnv(dataDir, { WEB_WORKERS: '2' });
    const seeded = JSON.parse(await runScript(path.join(import.meta.dirname, 'support/seed.ts'), [JSON.stringify({ applicants: 2, stage: 'submitted' })], env)) as Seeded;
    app = startApp(env);
    await waitReady(app);
    await app.waitForLog(/"msg":"web processes serving"/);
    const primary = app.child.pid!;
    // npm start's command is node itself (start-flags), so the web processes are its children.
    const web = webProcesses(primary);
    expect(web, 'two web processes').to.have.length(2);

    const hr = new WebClient(app.url, 10_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const account = await hr.get('/account');
    const oldName = /name="name"[^>]*value="([^"]*)"/.exec(account.text)?.[1] ?? /value="([^"]*)"[^>]*name="name"/.exec(account.text)?.[1];
    expect(oldName, 'the officer name on the account page').to.be.a('string').and.not.equal('');

    // Both processes read the officers of the institute (kept 5 s each) for the queue.
    let mark = app.output().length;
    for (let i = 0; i < 4; i += 1) {
      const page = await getOnNewConnection(app.url, '/cases', hr.cookieHeader());
      expect(page.status).to.equal(200);
      expect(page.text).to.include(oldName!);
    }
    await until('the access log names both web processes', 5_000, () => servedBy(app!.output(), mark, '/cases').size === 2);

    // The officer renames themself through one process; every process's queue shows it at once.
    const newName = `Renamed Officer ${Date.now()}`;
    const saved = await hr.postForm('/account', csrfIn(account.text), { name: newName, locale: 'en' });
    expect(saved.status, 'profile saved').to.equal(303);
    mark = app.output().length;
    for (let i = 0; i < 4; i += 1) {
      const page = await getOnNewConnection(app.url, '/cases', hr.cookieHeader());
      expect(page.status).to.equal(200);
      expect(page.text, `queue page ${i + 1} after the rename`).to.include(newName);
    }
    await until('the access log names both web processes', 5_000, () => servedBy(app!.output(), mark, '/cases').size === 2);

    // A web process killed: the site still answers, and a new one takes its place.
    process.kill(web[0]!, 'SIGKILL');
    await app.waitForLog(/a web process stopped unexpectedly/);
    for (let i = 0; i < 3; i += 1) expect((await getOnNewConnection(app.url, '/readyz', '')).status).to.equal(200);
    await app.waitForLog(/"msg":"a new web process is serving"/);
    await until('a replacement web process', 20_000, () => {
      const now = webProcesses(primary);
      return now.length === 2 && !now.includes(web[0]!);
    });
    const replaced = webProcesses(primary);
    mark = app.output().length;
    for (let i = 0; i < 4; i += 1) expect((await getOnNewConnection(app.url, '/cases', hr.cookieHeader())).status).to.equal(200);
    await until('both web processes serve again', 5_000, () => servedBy(app!.output(), mark, '/cases').size === 2);

    // The primary killed: its web processes exit, and no process is left holding the port (bound
    // here and let go; the next start binds a port of its own, not one freed for it a moment before).
    const port = Number(new URL(app.url).port);
    await app.kill9();
    await until('the web processes exit with the primary', 10_000, () => replaced.every((pid) => !alive(pid)));
    await new Promise<void>((resolve, reject) => {
      const probe = net.createServer().once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
    app = startApp(env);
    await waitReady(app);
    expect((await getOnNewConnection(app.url, '/readyz', '')).status).to.equal(200);
    expect(await app.stop(), 'clean exit on SIGTERM').to.equal(0);
    expect(app.output()).to.include('"msg":"stopped"');

    // SIGTERM while starting (the database open, the web processes not yet serving): it starts, then stops cleanly.
    app = startApp(env);
    await app.waitForLog(/"msg":"embedded database started"/);
    const starting = app;
    starting.child.kill('SIGTERM');
    expect(await starting.exited, starting.output().slice(-2000)).to.equal(0);
    expect(starting.output()).to.include('stopping once started');
    expect(starting.output()).to.include('"msg":"stopped"');
  });
});
