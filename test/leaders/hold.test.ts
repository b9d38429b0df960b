// A leader holds a candidate from the shortlist (walk32 #2): an internal reason and the day HR
// reviews the case, both required; the candidate is e-mailed that the application is on hold, the
// review day and the words written for them (walk s34), never the reason; HR sees the hold in the case's history with the reason and the review
// day as the stage's deadline; the decision is audited and listed among the dashboard's decisions.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, followConfirm, submitForm, type Agent, decodeHtml, words } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { vnDateKey } from '../../server/calendar/index.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

/** The confirmation form's words for the candidate, as its field holds them. */
const toldIn = (form: string) => decodeHtml(/<textarea[^>]*name="toldReason"[^>]*>([\s\S]*?)<\/textarea>/.exec(form)![1]!).trim();

/** A weekday about two weeks ahead ('YYYY-MM-DD'; December has no public holiday in Vietnam to fall on). */
function weekdayAhead(days = 14): string {
  const d = new Date(Date.now() + days * 86_400_000);
  while ([0, 6].includes(d.getUTCDay())) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

describe('leaders: putting a candidate on hold from the shortlist', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let leader: Agent;
  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    leader = agent(t.app);
    await signIn(leader, w.leader);
  });
  after(async () => {
    await t?.close();
  });
  const caseUrl = (caseId: unknown) => `/shortlists/${w.call._id}/cases/${caseId}`;

  it('needs the review date (the reason kept), shows the e-mail without the reason, holds once on a double submit, and tells HR and the candidate each their part', async () => {
    // Reached the panel as a real case does (its history: sent to evaluation, then shortlisted).
    const at = new Date(Date.now() - 3 * 86_400_000);
    const history = [
      { at, actor: w.member._id, actorRole: 'hr_officer', action: 'send_to_evaluation', from: 'screening', to: 'evaluation' },
      { at, actor: w.leader._id, actorRole: 'leader', action: 'shortlist', from: 'evaluation', to: 'shortlisted', note: 'Strong record.' },
    ];
    const { applicant, kase } = await applicantCase(w.call, 'shortlisted', { history }, 'vi');
    await Evaluation.create({ case: kase._id, call: kase.call, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
    const reason = 'Budget line for 2027 not yet confirmed by the ministry.';
    const version = String(kase.version);

    const form = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    expect(form.text).to.include('value="put_on_hold"');
    expect(form.text).to.include('name="reviewBy"');

    // No review date: the form again, the reason as typed, the error beside the date.
    const missing = await followConfirm(leader, await submitForm(leader, caseUrl(kase._id), { action: 'put_on_hold', version, reason, reviewBy: '' }, `${caseUrl(kase._id)}/decision`));
    expect(missing.status).to.equal(422);
    expect(missing.text).to.match(/id="f-reviewBy-error"|id="reviewBy-error"/);
    expect(decodeHtml(missing.text)).to.include(reason);

    const day = weekdayAhead();
    const confirm = await followConfirm(leader, await submitForm(leader, caseUrl(kase._id), { action: 'put_on_hold', version, reason, reviewBy: day }, `${caseUrl(kase._id)}/decision`));
    expect(confirm.status, confirm.text.slice(0, 400)).to.equal(200);
    expect(confirm.text).to.include('id="decision-hold"');
    const preview = /id="decision-email"[\s\S]*?<\/section>/.exec(confirm.text)?.[0] ?? confirm.text.slice(0, confirm.text.indexOf('id="stays-internal"'));
    expect(decodeHtml(preview)).not.to.include('Budget line');
    const formHtml = /<form method="post" action="([^"]+\/decision\/confirm)"[\s\S]*?<\/form>/.exec(confirm.text)!;
    const fields: Record<string, string> = {};
    for (const m of formHtml[0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = decodeHtml(m[2]!);
    // The words the candidate is told (walk s34): prefilled in their language, in the e-mail preview; confirmed as shown.
    fields.toldReason = toldIn(formHtml[0]);
    expect(fields.toldReason).to.include('Lãnh đạo viện cần thêm thời gian');
    expect(decodeHtml(preview)).to.include(fields.toldReason);
    // The review date is kept server-side with the decision (Post/Redirect/Get): the form names the pending decision only.
    expect(fields.pending).to.match(/^[0-9a-f]{32}$/);
    expect(fields.reviewBy).to.equal(undefined);
    // Two clicks: one hold, one e-mail.
    const [a, b] = [await leader.post(formHtml[1]!).type('form').set('Accept', 'text/html').send(fields), await leader.post(formHtml[1]!).type('form').set('Accept', 'text/html').send(fields)];
    expect(a.status).to.equal(303);
    expect(b.status).to.equal(303);

    const held = (await Case.findById(kase._id).lean())!;
    expect(held.stage).to.equal('on_hold');
    expect(held.resumeStage).to.equal('shortlisted');
    expect(vnDateKey(held.stageDueAt!)).to.equal(day);
    expect(held.history.filter((h) => h.action === 'put_on_hold')).to.have.length(1);
    expect(held.history.at(-1)).to.include({ action: 'put_on_hold', actorRole: 'leader', note: reason });
    expect(held.outbox.filter((o) => o.template === 'on_hold')).to.have.length(1);
    const audit = await AuditEvent.findOne({ targetId: String(kase._id), action: 'case.decision' }).lean();
    expect(JSON.stringify(audit?.summary)).to.include('put_on_hold');

    // The candidate: on hold and the review day in their language, never the reason; nor on their page.
    await dispatchOnce(t.ctx, { owner: 'leaders-hold', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email);
    const [y, m, dd] = day.split('-').map(Number);
    expect(mail.text).to.include(`${dd}/${m}/${y}`);
    // With the working days left, as the applicant's page says it (walk app32).
    expect(mail.text).to.match(new RegExp(`xem xét lại hồ sơ chậm nhất vào ngày ${dd}/${m}/${y} \\(còn \\d+ ngày làm việc\\)\\.`));
    expect(mail.text).to.include('Ông/Bà');
    expect(mail.text).not.to.include('Budget line');
    expect(mail.text).to.include(`Lý do: ${fields.toldReason}`);
    expect(mail.text).not.to.match(/(?<!\p{L})bạn(?!\p{L})/iu);
    const mine = agent(t.app);
    await signIn(mine, applicant);
    const page = await mine.get(`/applications/${kase._id}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(decodeHtml(page.text)).not.to.include('Budget line');
    expect(words(page.text)).to.include(fields.toldReason);

    // HR: the hold with the leader's reason on the case, and HR may resume it.
    const hr = agent(t.app);
    await signIn(hr, await createUser({ role: 'hr_officer', institute: w.instituteId, locale: 'en' }));
    const hrPage = await hr.get(`/cases/${kase._id}`).set('Accept', 'text/html');
    expect(hrPage.status).to.equal(200);
    expect(words(hrPage.text)).to.include(reason);
    expect(hrPage.text).to.include('data-action="resume"');

    // The leader's own page and the dashboard list the hold with its reason.
    const after = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    expect(words(after.text)).to.include('On hold');
    expect(words(after.text)).to.include('that the application is on hold');
    // Still on the ranked list's default view, marked held with the reason (held-in-shortlist.test.ts), and under "On hold after the panel".
    const list = await leader.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html');
    expect(list.text).to.include(`data-case="${kase._id}"`);
    expect(words(list.text)).to.include(`Held: ${reason}`);
    const heldList = await leader.get(`/shortlists/${w.call._id}?stage=on_hold`).set('Accept', 'text/html');
    expect(heldList.status).to.equal(200);
    expect(heldList.text).to.include(`data-case="${kase._id}"`);
    expect(heldList.text).to.include('<option value="on_hold" selected>On hold after the panel</option>');
    const dash = await leader.get('/dashboard').set('Accept', 'text/html');
    expect(words(dash.text)).to.include('Put on hold');
    expect(words(dash.text)).to.include(reason);
  });

  it("an administrator's hold from the shortlist keeps its reason internal too (marked on the event, whoever wrote it)", async () => {
    const at = new Date(Date.now() - 3 * 86_400_000);
    const history = [{ at, actor: w.member._id, actorRole: 'hr_officer', action: 'send_to_evaluation', from: 'screening', to: 'evaluation' }];
    const { applicant, kase } = await applicantCase(w.call, 'evaluation', { history }, 'en');
    await Evaluation.create({ case: kase._id, call: kase.call, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
    const admin = agent(t.app);
    await signIn(admin, await createUser({ role: 'admin', locale: 'en' }));
    const reason = 'Waiting for the ministry to confirm the 2027 budget line.';
    const confirm = await followConfirm(admin, await submitForm(admin, caseUrl(kase._id), { action: 'put_on_hold', version: String(kase.version), reason, reviewBy: weekdayAhead() }, `${caseUrl(kase._id)}/decision`));
    expect(confirm.status, confirm.text.slice(0, 400)).to.equal(200);
    const formHtml = /<form method="post" action="([^"]+\/decision\/confirm)"[\s\S]*?<\/form>/.exec(confirm.text)!;
    const fields: Record<string, string> = {};
    for (const m of formHtml[0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = decodeHtml(m[2]!);
    fields.toldReason = 'The institute needs a few more weeks before deciding; your application keeps its place.';
    fields.previewedToldReason = fields.toldReason;
    expect((await admin.post(formHtml[1]!).type('form').set('Accept', 'text/html').send(fields)).status).to.equal(303);

    const held = (await Case.findById(kase._id).lean())!;
    expect(held.stage).to.equal('on_hold');
    expect(held.history.at(-1)).to.include({ action: 'put_on_hold', actorRole: 'admin', note: reason, internal: true });
    const mine = agent(t.app);
    await signIn(mine, applicant);
    const page = await mine.get(`/applications/${kase._id}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(words(page.text)).to.include('on hold');
    expect(words(page.text)).to.include('The institute needs a few more weeks before deciding');
    expect(decodeHtml(page.text)).not.to.include('ministry to confirm');
    await dispatchOnce(t.ctx, { owner: 'leaders-hold-admin', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email);
    expect(mail.text).not.to.include('ministry to confirm');
  });
});
