// The drill harness's ports. The CI flake it fixes: the harness picked a "free" port for the app
// (bound and let go), then the app's embedded database, asking for port 0, was given that same port
// before the app bound it: the app's HTTP requests reached the database ("invalid message length
// 542393671" is "GET " read as a length), then EADDRINUSE. Here the database is given that port on
// purpose (EMBEDDED_DB_PORT), as the OS did: the old way fails, the harness's way (the app binds
// port 0 and says which it got) does not. And the external database of the restart drills: on a
// port of its own pick, restarted on the same one.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../scripts/support/free-port.ts';
import { startCommand } from '../../scripts/support/start-flags.ts';
import { root } from './support/app-process.ts';
import { useExternalDatabase } from './support/database-process.ts';
import { useDrill } from './support/drill.ts';

describe('drill harness: ports', function () {
  this.timeout(120_000);

  describe('the app beside its embedded database', () => {
    const drill = useDrill('ports');

    it('starts when the database is given the port an old-style harness would have picked for the app, where the old way fails', async () => {
      const picked = await freePort();
      const env = drill.env({ EMBEDDED_DB_PORT: String(picked), WEB_WORKERS: '0' });

      // The old way: PORT set to the picked port, which the database holds by then.
      const old = spawn(process.execPath, startCommand(root), { cwd: root, env: { ...env, PORT: String(picked), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let oldOut = '';
      old.stdout!.on('data', (d: Buffer) => (oldOut += d.toString()));
      old.stderr!.on('data', (d: Buffer) => (oldOut += d.toString()));
      const [code] = (await once(old, 'close')) as [number | null];
      expect(code, oldOut.slice(-2000)).to.equal(1);
      expect(oldOut).to.include('EADDRINUSE');
      expect(oldOut).to.include(`"port":${picked},"msg":"embedded database started"`);

      // The harness: the app binds a port of its own.
      await drill.boot(env);
      const app = drill.app();
      expect(app.dbPort(), 'the database did get the picked port').to.equal(picked);
      const appPort = Number(new URL(app.url).port);
      expect(appPort).to.be.above(0).and.not.equal(picked);
      const signin = await fetch(`${app.url}/signin`);
      expect(signin.status).to.equal(200);
      expect(await signin.text()).to.include('name="password"');
      expect(await drill.db().collection('holidays').countDocuments(), 'the database answers the driver').to.be.above(10);
      expect(await app.stop()).to.equal(0);
    });
  });

  describe('the external database fixture', () => {
    const database = useExternalDatabase('ports-db');

    it('listens on a port of its own pick, and a restart comes back on the same port and files', async () => {
      const port = database.process().port;
      expect(port).to.be.above(0);
      expect(database.uri).to.include(`@127.0.0.1:${port}/talent?`);
      await (await database.connect()).db().collection('marks').insertOne({ mark: 1 });
      await database.kill9();
      await database.restart();
      expect(database.process().port).to.equal(port);
      const again = await database.connect();
      expect(await again.db().collection('marks').countDocuments({ mark: 1 }), 'the data kept across the restart').to.equal(1);
    });
  });
});
