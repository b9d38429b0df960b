// Drill (s35 #5): an applicant's data export (server/privacy/export.ts, which now lists the case
// e-mails sent to them) while the database restarts. The app runs as `npm start` does against the
// embedded database run on its own (support/database-process.ts); the kill hook holds the app just
// before it reads the mail log for the export (support/app-kill-hook.mjs 'stall') and the database
// is SIGKILLed meanwhile, then restarted:
//   - the download answers 503 with the page saying, in the applicant's language (Vietnamese here),
//     that the database is not answering: no attachment, no JSON, nothing half; no export audited;
//   - once the database is back the same download is the whole export (parsed as JSON), with the
//     hold's e-mail as sent, audited once.
import { expect } from 'chai';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { holdReviewDay } from '../support/hold.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { useExternalDatabase } from './support/database-process.ts';
import { appKillEnv } from './support/kill-point.ts';
import { useDrillSmtp } from './support/crash-drill.ts';
import type { Seeded } from './support/seed.ts';

describe('drill s35: the data export while the database restarts', function () {
  this.timeout(240_000);
  let app: AppProcess | undefined;
  const database = useExternalDatabase('export-s35', { beforeRemoval: async () => app?.kill9() });
  const smtp = useDrillSmtp();

  it('answers a clear message in the applicant’s language or the whole export, never half a file', async () => {
    const env = drillEnv(database.dataDir, { MONGODB_URI: database.uri, SMTP_URL: smtp().url, DISPATCH_INTERVAL_MS: '200' });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 1, stage: 'screening', locale: 'vi' })], env)).trim().split('\n').at(-1)!) as Seeded;
    const { caseId, email } = seeded.applicants[0]!;
    app = startApp(env);
    await waitReady(app);
    const db = (await database.connect()).db();

    // An e-mail to list: HR holds the case, the applicant is told.
    const hr = new WebClient(app.url, 30_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const page = await hr.get(`/cases/${caseId}`);
    const HR_REASON = 'Viện đang chờ quyết định ngân sách.';
    expect((await hr.postForm(`/cases/${caseId}/actions/put_on_hold/confirm`, csrfIn(page.text), { version: hiddenValue(page.text, 'version')!, reason: HR_REASON, reviewBy: holdReviewDay() })).status).to.equal(303);
    await smtp().waitForTo(email, undefined, 30_000);
    await until('the mail log row sent', 30_000, async () => (await db.collection('mail_log').countDocuments({ to: email.toLowerCase(), status: 'sent' })) === 1);
    expect(await app.stop()).to.equal(0);

    // The app again, held before the export's read of the mail log.
    app = startApp({ ...env, ...appKillEnv('mail_log.find:*', 'stall'), DRILL_STALL_MS: '3000' });
    await waitReady(app);
    const applicant = new WebClient(app.url, 30_000);
    await applicant.signIn(email, seeded.password);
    const download = () => fetch(`${app!.url}/account/export`, { headers: { accept: 'text/html', cookie: applicant.cookieHeader() }, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    const answer = download();
    await until('the app holding the export’s read', 30_000, () => /stalled at write: mail_log\.find/.test(app!.output()));
    await database.kill9();
    const refused = await answer;
    const refusedBody = await refused.text();
    expect(refused.status, refusedBody.slice(0, 300)).to.equal(503);
    expect(refused.headers.get('content-disposition'), 'no file').to.equal(null);
    expect(refused.headers.get('content-type')).to.match(/^text\/html/);
    expect(refusedBody, 'said in Vietnamese').to.include('Cơ sở dữ liệu hiện không phản hồi. Vui lòng thử lại sau ít phút.');
    expect(refusedBody, 'nothing of the export').not.to.include('"format"');
    await database.restart();
    await until('the database answering the app again', 60_000, async () => (await fetch(`${app!.url}/readyz`).catch(() => undefined))?.status === 200);
    const db2 = (await database.connect()).db();
    expect(await db2.collection('auditevents').countDocuments({ action: 'privacy.exported' }), 'the refused export not audited').to.equal(0);

    // Again, whole.
    const whole = await download();
    expect(whole.status).to.equal(200);
    expect(whole.headers.get('content-disposition')).to.match(/^attachment; filename="my-data-\d{4}-\d{2}-\d{2}\.json"$/);
    const data = JSON.parse(await whole.text()) as { cases: Array<{ emails: Array<{ status: string; text?: string }> }> };
    expect(data.cases).to.have.length(1);
    expect(data.cases[0]!.emails.map((e) => e.status), 'the hold’s e-mail listed').to.deep.equal(['sent']);
    expect(data.cases[0]!.emails[0]!.text, 'as sent, with HR’s reason').to.include(HR_REASON);
    expect(await db2.collection('auditevents').countDocuments({ action: 'privacy.exported' }), 'audited once').to.equal(1);
    expect(app.output()).not.to.match(/"msg":"unhandled error"/);
    expect(await app.stop()).to.equal(0);
  });
});
