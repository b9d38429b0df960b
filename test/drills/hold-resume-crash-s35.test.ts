// Drill (s35 #1): a hold pauses the case's clock (history.heldLeft: the stage's working days left at
// the hold; history.told: a leader's words for the candidate), resume gives them back. The app is
// SIGKILLed at the first operation after each write was acknowledged (support/app-kill-hook.mjs
// 'after'): the stage and its outbox item stored, the e-mail not yet sent, the audit not settled.
//   1. HR holds a screening case with 4 working days left: killed; the double submit after no
//      answer is refused; after the restart the hold stands with heldLeft 4, one event, one e-mail.
//   2. HR resumes it the same day: killed; after the restart the case is back in screening due the
//      same day as before the hold (the 4 days neither counted twice nor lost), one event, one e-mail.
//   3. A leader holds a shortlisted case with words for the candidate: killed; after the restart the
//      e-mail says those words once, never the internal note.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { messageIdFor } from '../../server/outbox/item.ts';
import { vnDateKey, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';
import { holdReviewDay } from '../support/hold.ts';
import { until } from './support/app-process.ts';
import { AUDITED, officerPages, sleep, useDrillSmtp } from './support/crash-drill.ts';
import { useDrill } from './support/drill.ts';
import { appKillEnv } from './support/kill-point.ts';

interface Item {
  key: string;
  status: string;
}
interface Event {
  action: string;
  heldLeft?: number;
  told?: string;
  internal?: boolean;
}

/** The 4th working day after today (Vietnam): weekends and the seeded holidays skipped, as holdReviewDay reads them. */
function fourWorkingDaysAhead(now = new Date()): string {
  const off = new Set(VN_HOLIDAYS.filter((h) => h.kind !== 'working_day').map((h) => h.date));
  let d = vnStartOfDay(vnDateKey(now));
  for (let n = 0; n < 4; ) {
    d = new Date(d.getTime() + 86_400_000);
    const key = vnDateKey(d);
    const wd = new Date(`${key}T00:00:00Z`).getUTCDay();
    if (wd !== 0 && wd !== 6 && !off.has(key)) n += 1;
  }
  return vnDateKey(d);
}

describe('drill s35: hold and resume with the clock paused, SIGKILLed between each write and its e-mail', function () {
  this.timeout(300_000);
  const drill = useDrill('hold-resume-s35');
  const smtp = useDrillSmtp();

  it('gives back the working days left once, sends each e-mail once, records one event each', async () => {
    // A lease of 6 s: a claim the kill left (the dispatcher's claim may be the operation killed at) is taken back soon.
    const env = drill.env({ SMTP_URL: `smtp://127.0.0.1:${smtp().port}`, DISPATCH_INTERVAL_MS: '100', SMTP_TIMEOUT_MS: '1500', OUTBOX_LEASE_MS: '6000' });
    const screened = await drill.seed(env, { applicants: 1, stage: 'screening', prefixes: ['paused'] });
    const panel = await drill.seed(env, { applicants: 1, stage: 'shortlisted', scored: true, prefixes: ['told'] });
    const { caseId } = screened.applicants[0]!;
    const applicant = screened.applicants[0]!;
    const candidate = panel.applicants[0]!;
    const theCase = async (id: string) => (await drill.db().collection('cases').findOne({ _id: new ObjectId(id) }))!;
    const events = async (id: string, action: string) => ((await theCase(id)).history as Event[]).filter((e) => e.action === action);
    const itemOf = async (id: string, suffix: string) => ((await theCase(id)).outbox as Item[]).filter((o) => o.key.endsWith(suffix));
    const copies = (key: string) => smtp().messages.filter((m) => m.messageId === messageIdFor(key)).length;
    const dueDay = fourWorkingDaysAhead();

    // 1. HR's hold, killed after the case's update.
    await drill.boot({ ...env, ...appKillEnv('cases.findOneAndUpdate:stage=on_hold', 'after') });
    await drill.db().collection('cases').updateOne({ _id: new ObjectId(caseId) }, { $set: { stageDueAt: vnEndOfDay(vnStartOfDay(dueDay)) } });
    const { page, client: hr } = officerPages(drill, screened.hr, screened.password);
    const p1 = await page(`/cases/${caseId}`);
    const holdForm = { version: hiddenValue(p1, 'version')!, reason: 'Waiting for the budget decision.', reviewBy: holdReviewDay() };
    const hold = () => hr.postForm(`/cases/${caseId}/actions/put_on_hold/confirm`, csrfIn(p1), holdForm).then((r) => r.status, () => 'no answer' as const);
    expect(await hold(), 'HR got no answer').to.equal('no answer');
    expect(await drill.app().exited).to.equal(null);
    await drill.boot(env);
    expect(await hold(), 'the double submit after no answer holds nothing again').to.be.oneOf([303, 409]);
    const afterHold = await theCase(caseId);
    expect(afterHold.stage).to.equal('on_hold');
    expect((await events(caseId, 'put_on_hold')).map((e) => e.heldLeft), 'one hold event, 4 working days left').to.deep.equal([4]);
    const holdItems = await itemOf(caseId, '.on_hold');
    expect(holdItems.length, 'one hold e-mail queued').to.equal(1);
    await until('the hold e-mail sent', 30_000, () => copies(holdItems[0]!.key) > 0);

    // 2. HR resumes it the same day, killed after the case's update.
    expect(await drill.app().stop()).to.equal(0);
    await drill.boot({ ...env, ...appKillEnv('cases.findOneAndUpdate:stage=screening', 'after') });
    const p2 = await page(`/cases/${caseId}`);
    const resumeForm = { version: hiddenValue(p2, 'version')! };
    const resume = () => hr.postForm(`/cases/${caseId}/actions/resume`, csrfIn(p2), resumeForm).then((r) => r.status, () => 'no answer' as const);
    expect(await resume(), 'HR got no answer').to.equal('no answer');
    expect(await drill.app().exited).to.equal(null);
    await drill.boot(env);
    expect(await resume(), 'the double submit after no answer resumes nothing again').to.be.oneOf([303, 409]);
    const back = await theCase(caseId);
    expect(back.stage).to.equal('screening');
    expect(vnDateKey(back.stageDueAt), 'the 4 working days given back once: due the same day').to.equal(dueDay);
    expect((await events(caseId, 'resume')).length, 'one resume event').to.equal(1);
    expect((await events(caseId, 'put_on_hold')).length, 'still one hold event').to.equal(1);
    const resumeItems = await itemOf(caseId, '.resumed');
    expect(resumeItems.length, 'one resume e-mail queued').to.equal(1);
    await until('the resume e-mail sent', 30_000, () => copies(resumeItems[0]!.key) > 0);
    const resumedMail = smtp().messages.find((m) => m.messageId === messageIdFor(resumeItems[0]!.key))!;
    expect(resumedMail.text, 'the due day in the resume e-mail').to.match(/working days? left|4 working days/);

    // 3. A leader's hold with words for the candidate, killed after the case's update.
    expect(await drill.app().stop()).to.equal(0);
    await drill.boot({ ...env, ...appKillEnv('cases.findOneAndUpdate:stage=on_hold', 'after') });
    const leader = new WebClient(() => drill.app().url, 20_000);
    await leader.signIn(panel.leader.email, panel.password, panel.leader.totpSecret);
    const TOLD = 'The institute needs a few more weeks before deciding.';
    const INTERNAL = 'Waiting for the ministry budget line, do not tell.';
    const sp = await leader.get(`/shortlists/${panel.callId}/cases/${candidate.caseId}`);
    expect(sp.status).to.equal(200);
    const leaderHold = () =>
      leader
        .postForm(`/shortlists/${panel.callId}/cases/${candidate.caseId}/decision/confirm`, csrfIn(sp.text), { action: 'put_on_hold', version: hiddenValue(sp.text, 'version')!, reason: INTERNAL, reviewBy: holdReviewDay(), toldReason: TOLD, previewedToldReason: TOLD })
        .then((r) => r.status, () => 'no answer' as const);
    expect(await leaderHold(), 'the leader got no answer').to.equal('no answer');
    expect(await drill.app().exited).to.equal(null);
    await drill.boot(env);
    expect(await leaderHold(), 'the double submit holds nothing again').to.not.equal('no answer');
    const leaderEvents = await events(candidate.caseId, 'put_on_hold');
    expect(leaderEvents.map((e) => [e.told, e.internal]), 'one hold event with the words told').to.deep.equal([[TOLD, true]]);
    const told = await itemOf(candidate.caseId, '.on_hold');
    expect(told.length).to.equal(1);
    await until('the leader’s hold e-mail sent', 30_000, () => copies(told[0]!.key) > 0);
    await sleep(1000); // a duplicate, if any, would arrive now
    for (const key of [holdItems[0]!.key, resumeItems[0]!.key, told[0]!.key]) expect(copies(key), `${key}: sent once`).to.equal(1);
    const toldMail = smtp().messages.find((m) => m.messageId === messageIdFor(told[0]!.key))!;
    expect(toldMail.text).to.include(TOLD);
    expect(toldMail.text + (toldMail.html || ''), 'never the internal note').not.to.include('ministry budget');
    // The applicant's own page: one hold and one resume on their timeline.
    const reader = new WebClient(drill.app().url, 20_000);
    await reader.signIn(applicant.email, screened.password);
    const mine = await reader.get(`/applications/${caseId}`);
    expect(mine.status).to.equal(200);
    expect(mine.text.split('Waiting for the budget decision.').length - 1, 'the hold’s reason once on the timeline').to.equal(1);
    await drill.app().waitForLog(AUDITED, 60_000);
    for (const id of [caseId, candidate.caseId]) {
      const audits = await drill.db().collection('auditevents').find({ targetId: id }).project({ action: 1, 'summary.action': 1 }).toArray();
      const counts = audits.reduce<Record<string, number>>((m, a) => {
        const k = `${a.action} ${a.summary?.action ?? ''}`;
        return { ...m, [k]: (m[k] ?? 0) + 1 };
      }, {});
      expect(Object.values(counts).every((n) => n === 1), `${id}: each change audited once ${JSON.stringify(counts)}`).to.equal(true);
    }
    expect(await drill.app().stop()).to.equal(0);
  });
});
