import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startTestApp, testDatabase, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { createUser, uniqueEmail } from '../support/factories.ts';
import { User } from '../../models/user.ts';
import { postForm } from './helpers.ts';

const run = promisify(execFile);

describe('accounts: npm run create-admin', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t.close();
  });

  async function createAdmin(...args: string[]) {
    const db = await testDatabase();
    return run(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', ...args], {
      env: { ...process.env, MONGODB_URI: db.uri, APP_URL: t.baseUrl, NODE_ENV: 'development', LOG_LEVEL: 'error' },
    });
  }

  it('creates an administrator and prints a one-time set-up link when not run in a terminal', async () => {
    const email = uniqueEmail('first-admin');
    const { stdout } = await createAdmin('--email', email, '--name', 'First Admin', '--locale', 'en');
    const link = /(http:\/\/\S+\/invitations\/[A-Za-z0-9_-]+)/.exec(stdout)?.[1];
    expect(link, stdout).to.be.a('string');
    const user = await User.findOne({ email }).lean();
    expect(user).to.include({ role: 'admin', name: 'First Admin', locale: 'en' });

    const a = agent(t.app);
    const path = new URL(link!).pathname;
    const res = await postForm(a, path, path, { name: 'First Admin', password: 'copper tundra whistle 99' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/account/second-factor');
  });

  it('refuses an address that already has an account, and bad arguments', async () => {
    const existing = await createUser();
    await createAdmin('--email', existing.email, '--name', 'Again').then(
      () => expect.fail('should exit non-zero'),
      (err: { code: number; stderr: string; stdout: string }) => {
        expect(err.code).to.equal(1);
        expect(err.stderr).to.include('already exists');
      },
    );
    expect((await User.findById(existing._id).lean())?.role).to.equal('applicant');
    // An invited admin who never set a password is given a new link instead.
    const email = uniqueEmail('pending');
    await createAdmin('--email', email, '--name', 'Pending');
    const again = await createAdmin('--email', email, '--name', 'Pending');
    expect(again.stdout).to.include('/invitations/');
    expect(await User.countDocuments({ email })).to.equal(1);
    await createAdmin('--name', 'No Email').then(
      () => expect.fail('should exit non-zero'),
      (err: { code: number; stderr: string }) => {
        expect(err.code).to.equal(2);
        expect(err.stderr).to.include('usage');
      },
    );
  });
});
