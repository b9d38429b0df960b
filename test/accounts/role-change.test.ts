// An administrator changes a staff member's role or institute over real HTTP: the form, the
// confirmation page (what the change will do: the open cases going back to the queue, the evaluation
// panels left), the change (audited, the person's sessions end, an e-mail in their language on the
// in-process SMTP server, their cases unassigned with a history entry, the panel seats they could no
// longer hold left with their scorecards kept). Every refusal (their own role, an applicant's, the
// last administrator, no change, a stale form, a bad reason, operator keys, no CSRF token, another
// role) stores nothing and keeps what was typed.
import { expect } from 'chai';
import type { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, submitForm, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn, uniqueEmail } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { systemContext } from '../../server/context.ts';
import { changeUserRole } from '../../server/accounts/role-change.ts';
import { ForbiddenError } from '../../server/errors.ts';
import { casesHeldBy, expectBackInQueue, isSignedIn, onlyEachTestsAdministrators } from './helpers.ts';

const REASON = 'Moves to the leadership of the institute from March.';

/** The hidden version the page's form carries. */
function seenFrom(html: string): string {
  const m = /name="seen" value="(\d+)"/.exec(html);
  if (!m) throw new Error(`no version on the page: ${html.slice(0, 300)}`);
  return m[1]!;
}

/** What a refusal must leave as it was: the account, its audit trail, and the cases assigned to it. */
async function stored(user: { _id: Types.ObjectId }) {
  const u = (await User.findById(user._id).lean())!;
  return {
    role: u.role,
    institute: u.institute ? String(u.institute) : undefined,
    isHrLead: u.isHrLead,
    sessionEpoch: u.sessionEpoch,
    updatedAt: u.updatedAt?.getTime(),
    audits: await AuditEvent.countDocuments({ targetId: String(user._id), action: 'user.role_changed' }),
    assigned: (await Case.find({ assignee: user._id }, { _id: 1 }).sort({ _id: 1 }).lean()).map((c) => String(c._id)),
  };
}

describe('accounts: an administrator changes a staff member’s role or institute', function () {
  this.timeout(60_000);
  let t: TestApp;
  let instA: InstituteDoc;
  let instB: InstituteDoc;
  let admin: UserDoc;
  let a: Agent;

  before(async () => {
    t = await startTestApp();
    instA = await createInstitute();
    instB = await createInstitute();
    admin = await createUser({ role: 'admin', name: 'Admin Nguyễn', locale: 'en' });
    a = agent(t.app);
    await signIn(a, admin);
  });
  after(async () => {
    await t?.close();
  });

  const formUrl = (u: { _id: unknown }) => `/admin/users/${u._id}/role`;

  /** Opens the form and sends it (step 1) with these fields over the page's CSRF token and version. */
  async function review(by: Agent, user: { _id: unknown }, fields: Record<string, string>, seen?: string) {
    const page = await by.get(formUrl(user)).set('Accept', 'text/html');
    expect(page.status, page.text.slice(0, 300)).to.equal(200);
    return by
      .post(formUrl(user))
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(page.text), seen: seen ?? seenFrom(page.text), ...fields });
  }

  /** Step 2: sends the confirmation page's own form as it is. */
  async function confirmFrom(by: Agent, user: { _id: unknown }, confirmPage: string) {
    const form = /<form method="post" action="[^"]*\/role\/confirm"[^>]*>([\s\S]*?)<\/form>/.exec(confirmPage);
    expect(form, 'the confirmation page has its form').to.not.equal(null);
    const fields = Object.fromEntries([...form![1]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')]));
    return by.post(`${formUrl(user)}/confirm`).type('form').set('Accept', 'text/html').send(fields);
  }

  it('offers the change on the users list for staff, never for one’s own account or an applicant; the administration says so', async () => {
    const hr = await createUser({ role: 'hr_officer', institute: instA._id, name: 'Listed HR' });
    const applicant = await createUser({ role: 'applicant', name: 'Listed Applicant' });
    const list = await a.get(`/admin/users?q=${encodeURIComponent('Listed ')}`).set('Accept', 'text/html');
    expect(list.status).to.equal(200);
    expect(list.text).to.include(`href="/admin/users/${hr._id}/role"`).and.include('Change role or institute');
    expect(list.text).not.to.include(`href="/admin/users/${applicant._id}/role"`);
    const mine = await a.get(`/admin/users?q=${encodeURIComponent(admin.email)}`).set('Accept', 'text/html');
    expect(mine.text).to.include(admin.email).and.not.include(`href="/admin/users/${admin._id}/role"`);
    const index = await a.get('/admin').set('Accept', 'text/html');
    expect(index.text).to.include('change a staff member&#x27;s role or institute');
  });

  it('changes an HR officer into a leader of another institute: confirmation with the cases, audit, sessions ended, e-mail in Vietnamese, cases back in the queue', async () => {
    const hr = await createUser({ role: 'hr_officer', institute: instA._id, isHrLead: true, locale: 'vi', name: 'Trần Thị Mai', email: uniqueEmail('role-hr') });
    const colleague = await createUser({ role: 'hr_officer', institute: instA._id });
    const held = await casesHeldBy({ call: await createCall({ institute: instA._id }), holder: hr, colleague, laterStage: 'offer' });
    const [open1] = held.open;
    const h = agent(t.app);
    await signIn(h, hr);
    expect(await isSignedIn(h)).to.equal(true);

    const form = await a.get(formUrl(hr)).set('Accept', 'text/html');
    expect(form.status).to.equal(200);
    const current = /<dl class="inline-dl" id="current-placement">([\s\S]*?)<\/dl>/.exec(form.text)![1]!;
    expect(current).to.include('HR officer (HR lead)').and.include(instA.code);
    expect(form.text).to.match(/<option value="hr_officer" selected>/);

    const res = await review(a, hr, { role: 'leader', institute: String(instB._id), reason: REASON });
    expect(res.status, res.text.slice(0, 500)).to.equal(200);
    expect(res.text).to.include('Confirm the change of role or institute');
    const summary = /id="role-change-summary">([\s\S]*?)<\/dl>/.exec(res.text)![1]!;
    expect(summary).to.include('HR officer (HR lead)').and.include('Institute leader').and.include(instA.code).and.include(instB.code).and.include(REASON);
    expect(res.text).to.match(/id="cases-to-queue" data-count="2">Trần Thị Mai holds 2 open cases they could no longer work on/);
    expect(res.text).to.include('in Vietnamese');
    expect((await stored(hr)).role, 'the confirmation page stores nothing').to.equal('hr_officer');
    expect((await Case.findById(open1._id).lean())!.assignee?.toString()).to.equal(String(hr._id));

    const done = await confirmFrom(a, hr, res.text);
    expect(done.status, done.text.slice(0, 500)).to.equal(303);
    expect(done.headers.location).to.equal('/admin/users');
    const flashed = await a.get('/admin/users').set('Accept', 'text/html');
    expect(flashed.text).to.include('the 2 open cases they held went back to the queue');

    const after = (await User.findById(hr._id).lean())!;
    expect(after).to.include({ role: 'leader', isHrLead: false, sessionEpoch: (hr.sessionEpoch ?? 0) + 1 });
    expect(String(after.institute)).to.equal(String(instB._id));

    const audit = (await AuditEvent.findOne({ action: 'user.role_changed', targetId: String(hr._id) }).lean())!;
    expect(String(audit.actor)).to.equal(String(admin._id));
    expect(audit.summary).to.deep.include({
      before: { role: 'hr_officer', institute: String(instA._id), isHrLead: true },
      after: { role: 'leader', institute: String(instB._id), isHrLead: false },
      reason: REASON,
      casesToQueue: 2,
    });

    // Their session ended: the next request is signed out; signed in again, they are a leader.
    expect(await isSignedIn(h), 'their session ended').to.equal(false);
    const again = agent(t.app);
    await signIn(again, hr);
    expect((await again.get('/admin/users').set('Accept', 'text/html')).status).to.equal(403);
    expect((await again.get(`/cases/${open1._id}`).set('Accept', 'text/html')).status, 'an HR case page of their old institute').to.be.oneOf([403, 404]);

    const mail = await t.smtp.waitForTo(hr.email, /Vai trò/);
    expect(mail.subject).to.include('Lãnh đạo viện');
    expect(mail.text).to.include('Kính gửi Anh/Chị Trần Thị Mai').and.include('Admin Nguyễn');
    expect(mail.text).to.include('Trước đây: Cán bộ nhân sự (trưởng bộ phận nhân sự) tại Viện ' + instA.code);
    expect(mail.text).to.include('Hiện nay: Lãnh đạo viện tại Viện ' + instB.code);
    expect(mail.text).to.match(/có hiệu lực từ \S+/);
    expect(mail.text).to.include(`${t.baseUrl}/signin`);
    expect(mail.text, 'the reason stays internal').not.to.include(REASON);
    expect(mail.text, 'no calendar feed, nothing said of one').not.to.include('Địa chỉ lịch');

    await expectBackInQueue(held, { holder: hr, colleague, by: admin }, { reason: 'role_changed', name: 'Trần Thị Mai' });
  });

  it('moves an HR officer to another institute: only the cases of the old institute go back to the queue; leaders have no cases to count', async () => {
    const hr = await createUser({ role: 'hr_officer', institute: instA._id, locale: 'en' });
    const applicant = await createUser({ role: 'applicant' });
    const atA = await createCase({ applicant, call: await createCall({ institute: instA._id }), stage: 'screening', assignee: hr });
    const atB = await createCase({ applicant, call: await createCall({ institute: instB._id }), stage: 'screening', assignee: hr });
    const res = await review(a, hr, { role: 'hr_officer', institute: String(instB._id), isHrLead: 'yes', reason: 'Transferred to the other institute.' });
    expect(res.status).to.equal(200);
    expect(res.text).to.include('holds 1 open case they could no longer work on');
    // "Change something" goes back to the form as filled in, and changes nothing.
    const edit = /<form method="post" action="[^"]*\/role" class="inline-form">([\s\S]*?)<\/form>/.exec(res.text)![1]!;
    const editFields = Object.fromEntries([...edit.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
    const back = await a.post(formUrl(hr)).type('form').set('Accept', 'text/html').send(editFields);
    expect(back.status).to.equal(200);
    expect(back.text).to.include('Transferred to the other institute.').and.include(`<option value="${instB._id}" selected>`).and.match(/id="f-isHrLead" name="isHrLead" value="yes" checked/);
    expect((await User.findById(hr._id).lean())!.institute?.toString()).to.equal(String(instA._id));
    expect((await confirmFrom(a, hr, res.text)).status).to.equal(303);
    expect((await Case.findById(atA._id).lean())!.assignee).to.equal(undefined);
    expect(String((await Case.findById(atB._id).lean())!.assignee)).to.equal(String(hr._id));
    expect(await User.findById(hr._id).lean()).to.include({ role: 'hr_officer', isHrLead: true });
    const mail = await t.smtp.waitForTo(hr.email, /role/i);
    expect(mail.text).to.include('Now: HR officer (HR lead) at Institute ' + instB.code);

    const leader = await createUser({ role: 'leader', institute: instA._id });
    const toAdmin = await review(a, leader, { role: 'admin', institute: String(instA._id), reason: 'Joins the programme administration.' });
    expect(toAdmin.status).to.equal(200);
    expect(toAdmin.text).not.to.include('id="cases-to-queue"');
    expect((await confirmFrom(a, leader, toAdmin.text)).status).to.equal(303);
    const promoted = (await User.findById(leader._id).lean())!;
    expect(promoted.role).to.equal('admin');
    expect(promoted.institute, 'an administrator belongs to no institute').to.equal(undefined);
  });

  it('ends their calendar feed in the same write; the e-mail says so, and where to make a new one when the new role has one', async () => {
    /** Makes the person's feed from their settings page; its path, read off the page shown once. */
    const feedOf = async (person: UserDoc) => {
      const p = agent(t.app);
      await signIn(p, person);
      const made = await submitForm(p, '/account/calendar', {});
      expect(made.status, made.text.slice(0, 300)).to.equal(200);
      const path = /value="https?:\/\/[^"]+(\/calendar\/[A-Za-z0-9_-]{43}\.ics)"/.exec(made.text)![1]!;
      expect((await agent(t.app).get(path)).status).to.equal(200);
      return path;
    };
    const hr = await createUser({ role: 'hr_officer', institute: instA._id, locale: 'en' });
    const path = await feedOf(hr);
    const res = await review(a, hr, { role: 'hr_officer', institute: String(instB._id), reason: 'Transferred with a calendar feed.' });
    expect((await confirmFrom(a, hr, res.text)).status).to.equal(303);
    expect((await agent(t.app).get(path)).status, 'the old address stops').to.equal(404);
    expect((await User.findById(hr._id).lean())!.calendarFeed?.tokenHash).to.equal(undefined);
    const audit = (await AuditEvent.findOne({ action: 'user.role_changed', targetId: String(hr._id) }).lean())!;
    expect(audit.summary).to.deep.include({ calendarFeedEnded: true });
    const mail = await t.smtp.waitForTo(hr.email, /role/i);
    expect(mail.text).to.include('Your private calendar address has stopped working').and.include(`${t.baseUrl}/account/calendar?lang=en`);
    expect(mail.html).to.include(`href="${t.baseUrl}/account/calendar?lang&#x3D;en"`); // Handlebars escapes '='

    // An administrator has no feed: the e-mail says the old one stopped, and offers no new one.
    const leader = await createUser({ role: 'leader', institute: instA._id, locale: 'vi' });
    const leaderPath = await feedOf(leader);
    const toAdmin = await review(a, leader, { role: 'admin', reason: 'Joins the programme administration.' });
    expect((await confirmFrom(a, leader, toAdmin.text)).status).to.equal(303);
    expect((await agent(t.app).get(leaderPath)).status).to.equal(404);
    const vi = await t.smtp.waitForTo(leader.email, /Vai trò/);
    expect(vi.text).to.include('Địa chỉ lịch riêng của Anh/Chị đã ngừng hoạt động').and.not.include('/account/calendar');
  });

  it('the same confirmation sent twice (a double click, at once or one after the other) changes once: one audit event, one e-mail, sessions ended once, cases returned once', async () => {
    const hr = await createUser({ role: 'hr_officer', institute: instA._id, locale: 'en', name: 'Double Confirmed', email: uniqueEmail('role-twice') });
    const colleague = await createUser({ role: 'hr_officer', institute: instA._id });
    const held = await casesHeldBy({ call: await createCall({ institute: instA._id }), holder: hr, colleague, laterStage: 'evaluation' });
    const confirmPage = await review(a, hr, { role: 'leader', institute: String(instA._id), reason: REASON });
    expect(confirmPage.status).to.equal(200);

    const both = await Promise.all([confirmFrom(a, hr, confirmPage.text), confirmFrom(a, hr, confirmPage.text)]);
    expect(both.map((r) => r.status).sort()).to.deep.equal([303, 409]);
    const refused = both.find((r) => r.status === 409)!;
    expect(refused.text).to.include('This account was changed since you opened this form').and.include(REASON);
    const after = await stored(hr);
    expect(after).to.include({ role: 'leader', sessionEpoch: (hr.sessionEpoch ?? 0) + 1, audits: 1 });
    await expectBackInQueue(held, { holder: hr, colleague, by: admin }, { reason: 'role_changed', name: 'Double Confirmed' });
    // Sent again later (the page resent from the history): refused the same way, nothing written.
    const late = await confirmFrom(a, hr, confirmPage.text);
    expect(late.status).to.equal(409);
    expect(await stored(hr)).to.deep.equal(after);
    await t.smtp.waitForTo(hr.email, /role/i);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.smtp.messages.filter((m) => m.to.includes(hr.email)), 'one e-mail').to.have.length(1);
  });

  describe('evaluation panels: the seats they could no longer hold are left, their scorecards stay', () => {
    const panelUrl = (call: { _id: unknown }) => `/admin/calls/${call._id}/panel`;
    const json = (x: Agent, url: string) => x.get(url).set('Accept', 'application/json');

    // A panel seat (User.panelCalls) opens the call's shortlist, its cases before the panel (their
    // case pages and documents too, whatever the member's institute) and scoring them: it is not
    // tied to the institute, on purpose (external reviewers). So a seat kept after a move keeps all
    // of that at the old institute; this shows it first, then that the change takes it away.
    it('moves an HR officer to another institute: the old institute’s panels are left (shortlist, cases and scoring refused after), the new one’s kept, the scorecard kept', async () => {
      const callA = await createCall({ institute: instA._id, status: 'closed' });
      const callB = await createCall({ institute: instB._id, status: 'closed' });
      const applicant = await createUser({ role: 'applicant' });
      const kase = await createCase({ applicant, call: callA, stage: 'evaluation' });
      const other = await createCase({ applicant, call: callA, stage: 'evaluation' });
      const hr = await createUser({ role: 'hr_officer', institute: instA._id, name: 'Panel Member Mover', panelCalls: [callA._id, callB._id] });
      const h = agent(t.app);
      await signIn(h, hr);
      const caseUrl = `/shortlists/${callA._id}/cases/${kase._id}`;
      expect((await submitForm(h, caseUrl, { score_research: '4', score_fit: '5', recommendation: 'yes', comment: 'Kept as the record.' }, `${caseUrl}/evaluation`)).status).to.equal(303);
      const score = (await Case.findById(kase._id).lean())!.score;
      expect(score).to.be.a('number');
      const membersOf = async (call: { _id: unknown }) => /aria-labelledby="members-h">([\s\S]*?)<\/section>/.exec((await a.get(panelUrl(call)).set('Accept', 'text/html')).text)![1]!;
      expect(await membersOf(callA)).to.include('Panel Member Mover');

      const res = await review(a, hr, { role: 'hr_officer', institute: String(instB._id), reason: 'Transferred to the other institute.' });
      expect(res.status, res.text.slice(0, 500)).to.equal(200);
      expect(res.text).to.match(/id="panels-to-leave" data-count="1">Panel Member Mover sits on 1 evaluation panel they could no longer serve on/);
      expect((await User.findById(hr._id).lean())!.panelCalls.map(String), 'the confirmation page stores nothing').to.deep.equal([String(callA._id), String(callB._id)]);
      expect((await confirmFrom(a, hr, res.text)).status).to.equal(303);

      expect((await User.findById(hr._id).lean())!.panelCalls.map(String)).to.deep.equal([String(callB._id)]);
      const audit = (await AuditEvent.findOne({ action: 'user.role_changed', targetId: String(hr._id) }).lean())!;
      expect(audit.summary).to.deep.include({ panelsToLeave: 1, panelCallsLeft: [String(callA._id)] });
      const sheet = (await Evaluation.findOne({ case: kase._id, member: hr._id }).lean())!;
      expect(sheet, 'their scorecard stays the record').to.include({ recommendation: 'yes', comment: 'Kept as the record.' });
      expect((await Case.findById(kase._id).lean())!.score, 'and still counts in the score').to.equal(score);
      expect(await membersOf(callA), 'no longer listed on the old call’s panel').not.to.include('Panel Member Mover');

      // Signed in again, as an HR officer of the new institute: nothing of the old call's panel opens.
      const again = agent(t.app);
      await signIn(again, hr);
      expect((await again.get('/shortlists').set('Accept', 'text/html')).text).not.to.include(`/shortlists/${callA._id}`);
      expect((await json(again, `/shortlists/${callA._id}`)).status, 'the old call’s shortlist').to.equal(403);
      expect((await json(again, caseUrl)).status, 'its case on the shortlist').to.equal(403);
      expect((await json(again, `/cases/${kase._id}`)).status, 'its case page').to.equal(404);
      const page = await again.get('/shortlists').set('Accept', 'text/html');
      const scoreOther = await again.post(`/shortlists/${callA._id}/cases/${other._id}/evaluation`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), score_research: '1', score_fit: '1', recommendation: 'strong_no' });
      expect(scoreOther.status, 'scoring another of its cases').to.equal(403);
      expect(await Evaluation.countDocuments({ case: other._id }), 'no scorecard stored').to.equal(0);
      expect((await json(again, `/shortlists/${callB._id}`)).status, 'the new institute’s call they sit on').to.equal(200);
    });

    it('a leader who stops being one leaves every panel, another institute’s included; an HR officer made leader of their own institute keeps theirs; an administrator sits on none', async () => {
      const callA = await createCall({ institute: instA._id, status: 'closed' });
      const callB = await createCall({ institute: instB._id, status: 'closed' });
      const applicant = await createUser({ role: 'applicant' });
      const kaseB = await createCase({ applicant, call: callB, stage: 'evaluation' });
      const leader = await createUser({ role: 'leader', institute: instA._id, name: 'Leader Stepping Down', panelCalls: [callA._id, callB._id] });
      const l = agent(t.app);
      await signIn(l, leader);
      const caseUrl = `/shortlists/${callB._id}/cases/${kaseB._id}`;
      expect((await submitForm(l, caseUrl, { score_research: '3', score_fit: '3', recommendation: 'no', comment: '' }, `${caseUrl}/evaluation`)).status, 'an external reviewer scores').to.equal(303);

      const res = await review(a, leader, { role: 'hr_officer', institute: String(instA._id), reason: 'Steps down from the leadership.' });
      expect(res.status).to.equal(200);
      expect(res.text).to.match(/id="panels-to-leave" data-count="2">Leader Stepping Down sits on 2 evaluation panels they could no longer serve on/);
      expect((await confirmFrom(a, leader, res.text)).status).to.equal(303);
      expect((await User.findById(leader._id).lean())!.panelCalls).to.deep.equal([]);
      expect((await AuditEvent.findOne({ action: 'user.role_changed', targetId: String(leader._id) }).lean())!.summary).to.deep.include({ panelsToLeave: 2 });
      expect(await Evaluation.countDocuments({ case: kaseB._id, member: leader._id }), 'their scorecard stays').to.equal(1);
      const again = agent(t.app);
      await signIn(again, leader);
      expect((await json(again, caseUrl)).status, 'the other institute’s case on the shortlist').to.equal(403);
      expect((await json(again, `/cases/${kaseB._id}`)).status).to.equal(404);

      const hr = await createUser({ role: 'hr_officer', institute: instA._id, panelCalls: [callA._id] });
      const promoted = await review(a, hr, { role: 'leader', institute: String(instA._id), reason: 'Joins the leadership of the institute.' });
      expect(promoted.status).to.equal(200);
      expect(promoted.text).not.to.include('id="panels-to-leave"');
      expect((await confirmFrom(a, hr, promoted.text)).status).to.equal(303);
      expect((await User.findById(hr._id).lean())!.panelCalls.map(String)).to.deep.equal([String(callA._id)]);

      const toAdmin = await review(a, hr, { role: 'admin', reason: 'Joins the programme administration.' });
      expect(toAdmin.text).to.match(/id="panels-to-leave" data-count="1">/);
      expect((await confirmFrom(a, hr, toAdmin.text)).status).to.equal(303);
      expect((await User.findById(hr._id).lean())!.panelCalls).to.deep.equal([]);
    });

    it('says how many panels they left in the flash and in their e-mail, beside the cases sent back to the queue (en and vi, one and several)', async () => {
      // The message, then its link to the e-mail's row in the mail log (where it shows pending, sent, or failed with the reason).
      const flashOf = async (by: Agent) => {
        const shown = /<div class="flash flash-session[^"]*" id="flash"[^>]*>([\s\S]*?)<button/.exec((await by.get('/admin/users').set('Accept', 'text/html')).text)?.[1];
        expect(shown).to.match(/ <a href="\/mail-log\/[a-f0-9]{24}" id="flash-link">/);
        return shown?.replace(/ <a href="[^"]*" id="flash-link">[^<]*<\/a>$/, '');
      };
      const closed = (institute: InstituteDoc['_id']) => createCall({ institute, status: 'closed' });

      // One case and one panel, an English administrator and an English officer.
      const callA = await closed(instA._id);
      const hr = await createUser({ role: 'hr_officer', institute: instA._id, locale: 'en', name: 'Panel And Case Holder', panelCalls: [callA._id] });
      await createCase({ applicant: await createUser({ role: 'applicant' }), call: await createCall({ institute: instA._id }), stage: 'screening', assignee: hr });
      const res = await review(a, hr, { role: 'hr_officer', institute: String(instB._id), reason: 'Transferred to the other institute.' });
      expect(res.text).to.match(/id="cases-to-queue" data-count="1">/).and.match(/id="panels-to-leave" data-count="1">/);
      expect((await confirmFrom(a, hr, res.text)).status).to.equal(303);
      expect(await flashOf(a)).to.equal(
        'The role or institute of Panel And Case Holder has been changed. Their sessions have ended, the e-mail telling them is being sent, the 1 open case they held went back to the queue, unassigned, and they left the 1 evaluation panel they could no longer serve on (the scorecards they submitted stay).',
      );
      const mail = await t.smtp.waitForTo(hr.email, /role/i);
      expect(mail.text).to.include('With your new role you have left 1 evaluation panel; the scorecards you submitted stay on record.');
      expect(mail.html).to.include('<p>With your new role you have left 1 evaluation panel; the scorecards you submitted stay on record.</p>');

      // Two panels and no case, a Vietnamese administrator and a Vietnamese leader.
      const adminVi = agent(t.app);
      await signIn(adminVi, await createUser({ role: 'admin', locale: 'vi' }));
      const leader = await createUser({ role: 'leader', institute: instA._id, locale: 'vi', name: 'Lãnh Đạo Rời Hội Đồng', panelCalls: [(await closed(instA._id))._id, (await closed(instB._id))._id] });
      const resVi = await review(adminVi, leader, { role: 'hr_officer', institute: String(instA._id), reason: 'Thôi giữ chức vụ lãnh đạo viện.' });
      expect(resVi.text).to.match(/id="panels-to-leave" data-count="2">/);
      expect((await confirmFrom(adminVi, leader, resVi.text)).status).to.equal(303);
      expect(await flashOf(adminVi)).to.equal(
        'Đã đổi vai trò hoặc viện của Lãnh Đạo Rời Hội Đồng. Các phiên đăng nhập của họ đã kết thúc, e-mail thông báo cho họ đang được gửi, và họ đã rời 2 hội đồng đánh giá mà họ không còn tham gia được (các phiếu chấm họ đã nộp vẫn được giữ).',
      );
      const mailVi = await t.smtp.waitForTo(leader.email, /Vai trò/);
      expect(mailVi.text).to.include('Với vai trò mới, Anh/Chị đã rời 2 hội đồng đánh giá; các phiếu chấm Anh/Chị đã nộp vẫn được lưu giữ.');

      // Two panels and two cases, in English; then an e-mail that cannot go: the flash still counts both.
      const callC = await closed(instA._id);
      const busy = await createUser({ role: 'hr_officer', institute: instA._id, locale: 'en', name: 'Busy Reviewer', panelCalls: [callC._id, (await closed(instA._id))._id] });
      for (let i = 0; i < 2; i++) await createCase({ applicant: await createUser({ role: 'applicant' }), call: callC, stage: 'screening', assignee: busy });
      t.smtp.decide = (address) => (address === busy.email.toLowerCase() ? 'permfail' : undefined);
      try {
        const resBusy = await review(a, busy, { role: 'leader', institute: String(instB._id), reason: 'Leads the other institute from now on.' });
        expect((await confirmFrom(a, busy, resBusy.text)).status).to.equal(303);
        // The page never waits for the e-mail: it says it is being sent, and the mail log's row it links to says it failed, and why.
        const flashed = (await a.get('/admin/users').set('Accept', 'text/html')).text;
        expect(flashed).to.include('The role or institute of Busy Reviewer has been changed. Their sessions have ended, the e-mail telling them is being sent, the 2 open cases they held went back to the queue');
        const logLink = /href="(\/mail-log\/[a-f0-9]{24})" id="flash-link"/.exec(flashed)![1]!;
        let entry = '';
        for (let i = 0; i < 50 && !/id="mail-status">Dead</.test(entry); i++) {
          await new Promise((r) => setTimeout(r, 100));
          entry = (await a.get(logLink).set('Accept', 'text/html')).text;
        }
        // What to do, in the page's language, then the server's own words.
        expect(entry).to.match(/id="mail-status">Dead</).and.match(/id="mail-failure-advice">[^<]+</).and.match(/Details: 550[^<]*Mailbox unavailable/);
      } finally {
        t.smtp.decide = undefined;
      }
      expect((await User.findById(busy._id).lean())!.panelCalls).to.deep.equal([]);
      // Sent, the same change reads with both plurals.
      const second = await createUser({ role: 'hr_officer', institute: instA._id, locale: 'en', name: 'Second Reviewer', panelCalls: [callC._id, (await closed(instA._id))._id] });
      for (let i = 0; i < 2; i++) await createCase({ applicant: await createUser({ role: 'applicant' }), call: callC, stage: 'screening', assignee: second });
      const resSecond = await review(a, second, { role: 'leader', institute: String(instB._id), reason: 'Leads the other institute from now on.' });
      expect((await confirmFrom(a, second, resSecond.text)).status).to.equal(303);
      expect(await flashOf(a)).to.equal(
        'The role or institute of Second Reviewer has been changed. Their sessions have ended, the e-mail telling them is being sent, the 2 open cases they held went back to the queue, unassigned, and they left the 2 evaluation panels they could no longer serve on (the scorecards they submitted stay).',
      );
      expect((await t.smtp.waitForTo(second.email, /role/i)).text).to.include('With your new role you have left 2 evaluation panels;');
    });

    it('a seat given between the confirmation page and the click makes the form stale: nothing changes unseen', async () => {
      const callA = await createCall({ institute: instA._id, status: 'closed' });
      const hr = await createUser({ role: 'hr_officer', institute: instA._id });
      const res = await review(a, hr, { role: 'hr_officer', institute: String(instB._id), reason: 'Transferred to the other institute.' });
      expect(res.text).not.to.include('id="panels-to-leave"');
      expect((await submitForm(a, panelUrl(callA), { email: hr.email })).status).to.equal(303);
      const before = await stored(hr);
      const late = await confirmFrom(a, hr, res.text);
      expect(late.status).to.equal(409);
      expect(late.text).to.include('This account was changed since you opened this form');
      expect(await stored(hr)).to.deep.equal(before);
      expect((await User.findById(hr._id).lean())!.panelCalls.map(String)).to.deep.equal([String(callA._id)]);
    });
  });

  describe('refusals: a clear message, what was typed kept, nothing stored', () => {
    it('refuses one’s own role (someone else must), in the administrator’s language', async () => {
      const before = await stored(admin);
      const page = await a.get('/admin/users').set('Accept', 'text/html');
      const res = await a.post(formUrl(admin)).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen: String(before.updatedAt), role: 'leader', institute: String(instA._id), reason: REASON });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('You cannot change your own role or institute: another administrator must do it.');
      expect(res.text).to.include(REASON);
      const empty = await a.post(formUrl(admin)).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen: String(before.updatedAt), role: 'leader', institute: '', reason: '' });
      expect(empty.status, 'whose role it is comes before what was typed').to.equal(403);
      const confirm = await a.post(`${formUrl(admin)}/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen: String(before.updatedAt), role: 'leader', institute: String(instA._id), reason: REASON });
      expect(confirm.status).to.equal(403);
      const form = await a.get(formUrl(admin)).set('Accept', 'text/html');
      expect(form.status).to.equal(403);
      expect(form.text).to.include('another administrator must do it');
      expect(await stored(admin)).to.deep.equal(before);

      const adminVi = await createUser({ role: 'admin', locale: 'vi' });
      const v = agent(t.app);
      await signIn(v, adminVi);
      const vi = await v.get(formUrl(adminVi)).set('Accept', 'text/html');
      expect(vi.status).to.equal(403);
      expect(vi.text).to.include('Không thể đổi vai trò hoặc viện của chính mình');
    });

    it('refuses to change an applicant’s role here', async () => {
      const applicant = await createUser({ role: 'applicant' });
      const before = await stored(applicant);
      const form = await a.get(formUrl(applicant)).set('Accept', 'text/html');
      expect(form.status).to.equal(403);
      expect(form.text).to.include('An applicant&#x27;s role cannot be changed here');
      const page = await a.get('/admin/users').set('Accept', 'text/html');
      const res = await a.post(formUrl(applicant)).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen: String(before.updatedAt), role: 'hr_officer', institute: String(instA._id), reason: REASON });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('An applicant&#x27;s role cannot be changed here').and.include(REASON);
      expect(await stored(applicant)).to.deep.equal(before);
    });

    it('refuses a change to what already is, beside the role', async () => {
      const hr = await createUser({ role: 'hr_officer', institute: instA._id, isHrLead: true });
      const before = await stored(hr);
      const res = await review(a, hr, { role: 'hr_officer', institute: String(instA._id), isHrLead: 'yes', reason: REASON });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('id="f-role-error"').and.include('This is already their role and institute');
      expect(res.text).to.include(REASON);
      expect(await stored(hr)).to.deep.equal(before);
    });

    it('refuses a stale form (the account changed meanwhile), shows it as it is now, and keeps the reason', async () => {
      const hr = await createUser({ role: 'hr_officer', institute: instA._id });
      const page = await a.get(formUrl(hr)).set('Accept', 'text/html');
      const seen = seenFrom(page.text);
      // Another administrator makes them a leader meanwhile.
      const other = agent(t.app);
      await signIn(other, await createUser({ role: 'admin' }));
      const first = await review(other, hr, { role: 'leader', institute: String(instA._id), reason: 'Promoted to the leadership.' });
      expect((await confirmFrom(other, hr, first.text)).status).to.equal(303);
      const before = await stored(hr);

      const res = await a.post(formUrl(hr)).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen, role: 'admin', institute: '', reason: REASON });
      expect(res.status).to.equal(409);
      expect(res.text).to.include('This account was changed since you opened this form');
      expect(res.text).to.include(REASON).and.match(/<option value="admin" selected>/);
      expect(/id="current-placement">([\s\S]*?)<\/dl>/.exec(res.text)![1]).to.include('Institute leader');
      expect(seenFrom(res.text), 'the form now carries the account as shown').to.equal(String(before.updatedAt));
      expect(await stored(hr)).to.deep.equal(before);

      // Stale between the confirmation page and the click: refused the same way.
      const confirmPage = await review(a, hr, { role: 'hr_officer', institute: String(instB._id), reason: REASON });
      expect(confirmPage.status).to.equal(200);
      await User.updateOne({ _id: hr._id }, { $set: { name: 'Renamed meanwhile' } });
      const late = await stored(hr);
      const res2 = await confirmFrom(a, hr, confirmPage.text);
      expect(res2.status).to.equal(409);
      expect(res2.text).to.include('This account was changed since you opened this form').and.include(REASON);
      expect(await stored(hr)).to.deep.equal(late);
    });

    it('requires a reason that shows, an institute for HR officers and leaders, and a known role', async () => {
      const leader = await createUser({ role: 'leader', institute: instA._id });
      const before = await stored(leader);
      const blank = await review(a, leader, { role: 'hr_officer', institute: String(instA._id), reason: '\u200b'.repeat(12) });
      expect(blank.status).to.equal(422);
      expect(blank.text).to.include('id="f-reason-error"').and.include('Give the reason for this change.');
      const short = await review(a, leader, { role: 'hr_officer', institute: String(instA._id), reason: 'ok  fine' });
      expect(short.status).to.equal(422);
      expect(short.text).to.include('The reason is too short').and.include('ok  fine');
      const noInstitute = await review(a, leader, { role: 'hr_officer', institute: '', reason: REASON });
      expect(noInstitute.status).to.equal(422);
      expect(noInstitute.text).to.include('id="f-institute-error"').and.include(REASON);
      const unknownInstitute = await review(a, leader, { role: 'leader', institute: 'aaaaaaaaaaaaaaaaaaaaaaaa', reason: REASON });
      expect(unknownInstitute.status).to.equal(422);
      expect(unknownInstitute.text).to.include('id="f-institute-error"');
      const applicantRole = await review(a, leader, { role: 'applicant', institute: String(instA._id), reason: REASON });
      expect(applicantRole.status).to.equal(422);
      expect(applicantRole.text).to.include('id="f-role-error"');
      const noVersion = await review(a, leader, { role: 'admin', reason: REASON }, '');
      expect(noVersion.status, 'a form without its version is not this page’s').to.equal(400);
      expect(await stored(leader)).to.deep.equal(before);
    });

    it('refuses operator and dotted field names (input guard) and a missing CSRF token', async () => {
      const hr = await createUser({ role: 'hr_officer', institute: instA._id });
      const before = await stored(hr);
      const page = await a.get(formUrl(hr)).set('Accept', 'text/html');
      const base = { _csrf: csrfFrom(page.text), seen: seenFrom(page.text), institute: String(instB._id), reason: REASON };
      for (const extra of [{ 'role[$ne]': 'applicant', role: 'leader' }, { $set: 'x', role: 'leader' }, { 'role.x': 'admin', role: 'leader' }]) {
        const res = await a.post(`${formUrl(hr)}/confirm`).type('form').set('Accept', 'text/html').send({ ...base, ...extra });
        expect(res.status, JSON.stringify(extra)).to.equal(400);
      }
      const noCsrf = await a.post(`${formUrl(hr)}/confirm`).type('form').set('Accept', 'text/html').send({ seen: base.seen, role: 'leader', institute: String(instB._id), reason: REASON });
      expect(noCsrf.status).to.equal(403);
      const wrongCsrf = await a.post(`${formUrl(hr)}/confirm`).type('form').set('Accept', 'text/html').send({ ...base, _csrf: 'not-the-token', role: 'leader' });
      expect(wrongCsrf.status).to.equal(403);
      expect(await stored(hr)).to.deep.equal(before);
    });

    it('refuses every other role (403) on the form, the confirmation page and the change', async () => {
      const target = await createUser({ role: 'hr_officer', institute: instA._id });
      const before = await stored(target);
      for (const role of ['applicant', 'hr_officer', 'leader'] as const) {
        const u = await createUser({ role, institute: role === 'applicant' ? undefined : instA._id });
        const x = agent(t.app);
        await signIn(x, u);
        expect((await x.get(formUrl(target)).set('Accept', 'text/html')).status, `${role} GET`).to.equal(403);
        const page = await x.get('/account').set('Accept', 'text/html');
        const body = { _csrf: csrfFrom(page.text), seen: String(before.updatedAt), role: 'admin', institute: '', reason: REASON };
        expect((await x.post(formUrl(target)).type('form').set('Accept', 'text/html').send(body)).status, `${role} POST`).to.equal(403);
        expect((await x.post(`${formUrl(target)}/confirm`).type('form').set('Accept', 'text/html').send(body)).status, `${role} POST confirm`).to.equal(403);
      }
      expect(await stored(target)).to.deep.equal(before);
    });
  });

  describe('the last administrator who can sign in', () => {
    // Before each test every administrator who can sign in is disabled (and enabled again after
    // these tests), so that the two each test makes are the only ones.
    onlyEachTestsAdministrators();

    // Over HTTP an administrator acting is one who can sign in, so the rule is met only when two
    // requests cross: these call the service as two requests authorized at the same time would.
    const input = (seen: number) => ({ form: { ok: true as const, data: { role: 'leader' as const, institute: String(instA._id), isHrLead: false, reason: REASON } }, seen });
    const ctxOf = (actor: UserDoc) => systemContext({ now: new Date(), locale: 'en', actor: actor.toObject() as never });

    it('is never demoted: of two administrators demoting each other, the one whose change comes second is refused and nothing is stored', async () => {
      const first = await createUser({ role: 'admin' });
      const second = await createUser({ role: 'admin' });
      // Both requests were authorized while both were administrators; the first one's change lands first.
      const done = await changeUserRole({ app: t.ctx, ctx: ctxOf(first), userId: String(second._id), ...input(second.updatedAt.getTime()) });
      expect(done.ok).to.equal(true);
      const before = await stored(first);
      let refused: unknown;
      try {
        await changeUserRole({ app: t.ctx, ctx: ctxOf(second), userId: String(first._id), ...input(first.updatedAt.getTime()) });
      } catch (err) {
        refused = err;
      }
      expect(refused).to.be.instanceOf(ForbiddenError).with.property('messageKey', 'accounts.roleChange.lastAdmin');
      expect(await stored(first)).to.deep.equal(before);
    });

    it('stays when two administrators demote each other at the same moment', async () => {
      const one = await createUser({ role: 'admin' });
      const two = await createUser({ role: 'admin' });
      const results = await Promise.allSettled([
        changeUserRole({ app: t.ctx, ctx: ctxOf(one), userId: String(two._id), ...input(two.updatedAt.getTime()) }),
        changeUserRole({ app: t.ctx, ctx: ctxOf(two), userId: String(one._id), ...input(one.updatedAt.getTime()) }),
      ]);
      const refusals = results.filter((r) => r.status === 'rejected');
      expect(refusals.length, 'at least one is refused').to.be.at.least(1);
      for (const r of refusals) expect((r as PromiseRejectedResult).reason).to.be.instanceOf(ForbiddenError).with.property('messageKey', 'accounts.roleChange.lastAdmin');
      expect(await User.countDocuments({ _id: { $in: [one._id, two._id] }, role: 'admin' }), 'an administrator remains').to.be.at.least(1);
      const audits = await AuditEvent.countDocuments({ action: 'user.role_changed', targetId: { $in: [String(one._id), String(two._id)] } });
      expect(audits, 'only a change that stood is audited').to.equal(2 - refusals.length);
    });
  });
});
