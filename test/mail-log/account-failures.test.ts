// A failed account e-mail (an invitation the receiving server refused) is shown where administrators
// look: counted on /admin and /admin/outbox (whose case-outbox counts do not include it), flagged on
// the account's row beside "send the invitation again", and explained on the mail log in the page's
// language with what to do, the server's raw text kept as details, and a link to the account.
import { expect } from 'chai';
import { useTestApp, resetDatabase, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn, uniqueEmail } from '../support/factories.ts';
import { postForm } from '../accounts/helpers.ts';
import { MailLog } from '../../models/mail-log.ts';
import { User } from '../../models/user.ts';
import { explainFailure, failureKind } from '../../server/mail-log/failures.ts';
import { givesUpAround } from '../../server/outbox/index.ts';
import { translator } from '../../server/i18n/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForLogged(to: string, status: string) {
  for (let i = 0; i < 100; i++) {
    const row = await MailLog.findOne({ to, status } as never).lean();
    if (row) return row;
    await sleep(100);
  }
  throw new Error(`no ${status} mail-log row for ${to}`);
}

describe('mail log: failed account e-mails are counted, flagged on the account and explained', function () {
  this.timeout(30_000);
  let t!: TestApp;
  useTestApp((app) => (t = app));
  before(resetDatabase);

  it('tells the kind of failure from the recorded text (nodemailer and outbox formats)', () => {
    expect(failureKind("550 EENVELOPE Can't send mail - all recipients were rejected: 550 550 mailbox unavailable")).to.equal('refused');
    expect(failureKind('EENVELOPE No recipients defined')).to.equal('refused');
    expect(failureKind('452 EENVELOPE Mailbox full, try later')).to.equal('temporary');
    expect(failureKind('ETIMEDOUT Greeting never received')).to.equal('temporary');
    expect(failureKind('535 EAUTH Invalid login: 535 Authentication failed')).to.equal('config');
    expect(failureKind('ESOCKET connect ECONNREFUSED 127.0.0.1:25')).to.equal('config');
    expect(failureKind('render: unknown helper')).to.equal('template');
    expect(failureKind('not sent: replaced by a newer invitation')).to.equal('withdrawn');
    expect(failureKind('something odd')).to.equal('unknown');
    expect(failureKind(undefined)).to.equal(undefined);
    // Default backoff 30 s doubling, 8 attempts: after the first failure, 30+60+…+1920 s later.
    const at = new Date('2026-12-05T10:00:00Z');
    expect(givesUpAround(at, 1).getTime() - at.getTime()).to.equal((30 + 60 + 120 + 240 + 480 + 960 + 1920) * 1000);
    const vi = translator('vi') as never;
    const retrying = explainFailure(vi, { status: 'pending', lastError: '451 Try later', attempts: 1, at }, () => '5/12/2026 11:03');
    expect(retrying?.advice).to.include('tự động thử lại đến khoảng 5/12/2026 11:03');
  });

  it('an invitation the SMTP server refused (550): counted on /admin and /admin/outbox, flagged on the user row, explained in Vietnamese with the raw text as details', async () => {
    const admin = await createUser({ role: 'admin', locale: 'vi' });
    const institute = await createInstitute();
    const a: Agent = agent(t.app);
    await signIn(a, admin);
    const before = (await a.get('/admin').set('Accept', 'text/html')).text;
    expect(before, 'nothing failed yet').not.to.include('id="account-mail-failed"');
    expect((await a.get('/admin/outbox').set('Accept', 'text/html')).text).to.include('Không có thư về tài khoản (lời mời, đặt lại mật khẩu…) nào gửi thất bại.');

    const email = uniqueEmail('refused-invitee');
    t.smtp.decide = (address) => (address === email ? 'permfail' : undefined);
    try {
      const res = await postForm(a, '/admin/users/invite', '/admin/users/invite', { email, name: 'Refused Invitee', role: 'hr_officer', institute: String(institute._id), locale: 'vi' });
      expect(res.status).to.equal(303);
      await waitForLogged(email, 'dead');
    } finally {
      t.smtp.decide = undefined;
    }
    const row = (await MailLog.findOne({ to: email }).lean())!;
    expect(row.lastError).to.match(/^550 .*Mailbox unavailable/);

    const index = (await a.get('/admin').set('Accept', 'text/html')).text;
    expect(index).to.match(/id="account-mail-failed"><a class="badge err" href="\/mail-log\?status=dead">1 thư về tài khoản \(lời mời, đặt lại mật khẩu…\) không gửi được: xem lý do trong nhật ký thư</);
    const outbox = (await a.get('/admin/outbox').set('Accept', 'text/html')).text;
    expect(outbox).to.include('1 thư về tài khoản (lời mời, đặt lại mật khẩu…) không gửi được');

    const users = (await a.get(`/admin/users?q=${encodeURIComponent(email)}`).set('Accept', 'text/html')).text;
    const userRow = users.slice(users.indexOf(email));
    expect(userRow).to.include('Lời mời chưa gửi được');
    expect(userRow).to.include(`href="/mail-log/${String(row._id)}">xem lý do</a>`);
    expect(userRow).to.include('Gửi lại lời mời');

    const list = (await a.get(`/mail-log?to=${encodeURIComponent(email)}`).set('Accept', 'text/html')).text;
    expect(list).to.include('Máy chủ thư của người nhận đã từ chối địa chỉ này');
    expect(list).to.include('Chi tiết: 550');
    // Handlebars escapes "=" in attributes (the browser reads it back).
    expect(list).to.include(`href="/admin/users?q&#x3D;${encodeURIComponent(email)}"`);
    const shown = (await a.get(`/mail-log/${String(row._id)}`).set('Accept', 'text/html')).text;
    expect(shown).to.match(/id="mail-failure-advice">Máy chủ thư của người nhận đã từ chối địa chỉ này[^<]*kiểm tra địa chỉ/);
    expect(shown).to.include('Chi tiết: 550');
    expect(shown).to.include(`id="mail-account" href="/admin/users?q&#x3D;${encodeURIComponent(email)}"`);

    // Sent again and delivered: no longer counted nor flagged.
    const user = (await User.findOne({ email }).lean())!;
    const page = await a.get('/admin/users').set('Accept', 'text/html');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const resent = await a.post(`/admin/users/${String(user._id)}/resend-invitation`).type('form').set('Accept', 'text/html').send({ _csrf: csrf });
    expect(resent.status).to.equal(303);
    await t.smtp.waitForTo(email);
    await waitForLogged(email, 'sent');
    expect((await a.get('/admin').set('Accept', 'text/html')).text).not.to.include('id="account-mail-failed"');
    expect((await a.get(`/admin/users?q=${encodeURIComponent(email)}`).set('Accept', 'text/html')).text).not.to.include('Lời mời chưa gửi được');
  });

  it('in English too, and an invitation withdrawn on purpose is not a failure', async () => {
    const admin = await createUser({ role: 'admin', locale: 'en' });
    const a: Agent = agent(t.app);
    await signIn(a, admin);
    const withdrawn = await MailLog.create({ source: 'account', key: `k-${Date.now()}`, template: 'invitation', to: uniqueEmail('withdrawn'), locale: 'en', status: 'dead', at: new Date(), lastError: 'not sent: replaced by a newer invitation' });
    const index = (await a.get('/admin').set('Accept', 'text/html')).text;
    expect(index, index.slice(index.indexOf('account-mail-failed') - 20, index.indexOf('account-mail-failed') + 300)).not.to.include('id="account-mail-failed"');
    const shown = (await a.get(`/mail-log/${String(withdrawn._id)}`).set('Accept', 'text/html')).text;
    expect(shown).to.include('Not sent on purpose: a newer invitation replaced it.');
    const refused = await MailLog.create({ source: 'account', key: `k2-${Date.now()}`, template: 'password_reset', to: uniqueEmail('auth'), locale: 'en', status: 'dead', at: new Date(), lastError: '535 EAUTH Invalid login' });
    const page = (await a.get(`/mail-log/${String(refused._id)}`).set('Accept', 'text/html')).text;
    expect(page).to.include('tell the administrator of the mail server');
    expect(page).to.include('Details: 535 EAUTH Invalid login');
    expect((await a.get('/admin').set('Accept', 'text/html')).text).to.include('1 account e-mail (invitation, password reset…) could not be sent');
  });
});
