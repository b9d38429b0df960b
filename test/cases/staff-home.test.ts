// The staff home page (walk 26 #10): an HR officer's day's work as counts linking to the queue's
// filters, a leader's shortlists awaiting a decision, the mentions; other institutes' cases never
// counted; applicants and visitors keep the landing page.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import { forgetKeptReads } from '../../server/support/kept-reads.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, text as decoded } from '../applications/support.ts';
import { agent } from 'supertest';
import { Case } from '../../models/case.ts';
import { parseQueueQuery, queueFilter, queueScope } from '../../server/cases/queue.ts';

const DAY = 86_400_000;

/** The page's words: tags dropped, entities decoded, spaces collapsed. */
const text = (html: string) => decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

/** The figure and the link of the home page's count `key`. */
function countOf(html: string, key: string): { figure: string; href: string } {
  const m = html.match(new RegExp(`<li data-work="${key}"><a href="([^"]+)"><strong class="work-figure">([^<]+)</strong>`));
  expect(m, `count ${key}`).to.not.equal(null);
  return { href: decoded(m![1]!), figure: m![2]! };
}

describe('home: the staff home page is their day of work', () => {
  let t: TestApp;
  let hr: UserDoc;
  let hrVi: UserDoc;
  let leader: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    const other = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer Home' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Lê Thị Hoa', locale: 'vi' });
    leader = await createUser({ role: 'leader', institute, name: 'Leader Home' });
    call = await createCall({ institute, checklist: [] });
    const foreignCall = await createCall({ institute: other, checklist: [] });
    const applicant = await createUser({ role: 'applicant' });
    const now = Date.now();
    for (const c of [call, foreignCall]) {
      // Two cases past their stage's deadline, one closed case past it (not open work).
      await createCase({ applicant, call: c, stage: 'screening', stageDueAt: new Date(now - 2 * DAY) });
      await createCase({ applicant, call: c, stage: 'submitted', stageDueAt: new Date(now - DAY) });
      await createCase({ applicant, call: c, stage: 'rejected', stageDueAt: new Date(now - DAY) });
      // Due in three days (counted as soon), and in twenty (not).
      await createCase({ applicant, call: c, stage: 'screening', stageDueAt: new Date(now + 3 * DAY) });
      await createCase({ applicant, call: c, stage: 'screening', stageDueAt: new Date(now + 20 * DAY) });
      // A procedure escalated by the overdue job (also an overdue case).
      await createCase({ applicant, call: c, stage: 'onboarding', overdueProcedures: ['work_permit'] });
      // A document waiting for the check, and one already accepted.
      const waiting = await createCase({ applicant, call: c, stage: 'screening' });
      const checked = await createCase({ applicant, call: c, stage: 'screening' });
      for (const [k, status] of [[waiting, 'pending'], [checked, 'accepted']] as const) {
        await CaseDocument.create({ case: k._id, type: 'cv', slot: 0, version: 1, current: true, status, storage: 'disk', storageKey: 'a'.repeat(32), originalName: 'cv.pdf', mimeType: 'application/pdf', size: 10, sha256: 'b'.repeat(64), uploadedBy: applicant._id });
      }
      // A procedure refused and waiting for HR's next step (walk 28 #8), in onboarding and on hold;
      // one of a closed case is no open work.
      await createCase({ applicant, call: c, stage: 'onboarding', supportTracks: [{ kind: 'visa', status: 'refused' }, { kind: 'work_permit', status: 'filed' }] });
      await createCase({ applicant, call: c, stage: 'on_hold', supportTracks: [{ kind: 'work_permit', status: 'refused' }] });
      await createCase({ applicant, call: c, stage: 'closed', supportTracks: [{ kind: 'visa', status: 'refused' }] });
      // Before the leader: two in evaluation, one shortlisted.
      await createCase({ applicant, call: c, stage: 'evaluation' });
      await createCase({ applicant, call: c, stage: 'evaluation' });
      await createCase({ applicant, call: c, stage: 'shortlisted' });
    }
    forgetKeptReads();
  });
  after(async () => {
    await t?.close();
  });

  it("shows an HR officer counts of their institute's open work, each linking to the queue that lists exactly those cases (en)", async () => {
    const a = await signedIn(t, hr);
    const home = await page(a, '/');
    expect(home.status).to.equal(200);
    const words = text(home.text);
    expect(words).to.include('Your work today');
    expect(words).not.to.include('Bring your research to Vietnam');
    const expected = { overdue: ['3', '/cases?overdue=1', 'overdue cases'], soon: ['1', '/cases?soon=1', 'case with a deadline in the next 7 working days'], documents: ['1', '/cases?documents=1', 'case with documents to check'], procedures: ['1', '/cases?procedures=1', 'case with an overdue support procedure'], refused: ['2', '/cases?refused=1', 'cases with a refused procedure (decide what next)'] } as const;
    for (const [key, [figure, href, label]] of Object.entries(expected)) {
      const got = countOf(home.text, key);
      expect(got, key).to.deep.equal({ figure, href });
      expect(words, key).to.include(`${figure} ${label}`);
      // The queue behind the link lists the same cases, all of this institute.
      const queue = await page(a, got.href);
      expect(queue.status, key).to.equal(200);
      expect((queue.text.match(/<tr data-case="/g) ?? []).length, key).to.equal(Number(figure));
    }
    expect(countOf(home.text, 'answers')).to.deep.equal({ figure: '0', href: '#answers' });
    expect(home.text).to.include('id="mentions"');
    expect(home.text).to.include('id="answers"');
  });

  it('says it in Vietnamese to a Vietnamese officer', async () => {
    const words = text((await page(await signedIn(t, hrVi), '/')).text);
    expect(words).to.include('Công việc hôm nay');
    expect(words).to.include('3 hồ sơ quá hạn');
    expect(words).to.include('1 hồ sơ có thời hạn trong 7 ngày làm việc tới');
    expect(words).to.include('1 hồ sơ có giấy tờ chờ kiểm tra');
    expect(words).to.include('2 hồ sơ có thủ tục bị từ chối (cần quyết định bước tiếp theo)');
    expect(words).not.to.include('Đưa nghiên cứu về Việt Nam');
    // Staff are "Anh/Chị", as in the e-mails to them (never "bạn", nor the applicants' "Ông/Bà").
    expect(words).to.include('Hàng đợi của Anh/Chị').and.include('Ghi chú nhắc đến Anh/Chị');
    expect(words).not.to.include('Ông/Bà');
  });

  it('counts the refused procedures from { institute, stage, nextDueAt } over the few stages procedures are worked in, and the queue says the filter is on', async () => {
    const q = parseQueueQuery({ refused: '1' });
    const filter = queueFilter(hr, q, new Date(), await queueScope(hr));
    const explained = (await Case.find(filter).explain('executionStats')) as unknown as { queryPlanner: { winningPlan: unknown }; executionStats: { totalDocsExamined: number; nReturned: number } };
    expect(JSON.stringify(explained.queryPlanner.winningPlan)).to.include('institute_1_stage_1_nextDueAt_1');
    expect(explained.executionStats.nReturned).to.equal(2);
    // Only the institute's cases in the stages procedures are worked in are read, never the rest of it.
    const inStages = await Case.countDocuments({ institute: hr.institute, stage: { $in: ['offer', 'onboarding', 'arrived', 'on_hold'] } });
    expect(explained.executionStats.totalDocsExamined).to.be.at.most(inStages);
    const queue = await page(await signedIn(t, hr), '/cases?refused=1');
    expect(queue.text).to.match(/id="q-refused" checked/);
    expect(text(queue.text)).to.include('Refused: Visa (decide what next)');
  });

  it("counts no work of another institute whose panel the officer sits on: they can read those cases, not work them", async () => {
    const other = await createInstitute();
    const panelCall = await createCall({ institute: other, checklist: [] });
    const seated = await createUser({ role: 'hr_officer', institute: await createInstitute(), name: 'Officer Seated', panelCalls: [panelCall._id] });
    const applicant = await createUser({ role: 'applicant' });
    const now = Date.now();
    // In a panel stage, so the seat reads it; and every kind of open work on it.
    await createCase({ applicant, call: panelCall, stage: 'evaluation', stageDueAt: new Date(now - DAY) });
    await createCase({ applicant, call: panelCall, stage: 'evaluation', stageDueAt: new Date(now + 2 * DAY) });
    await createCase({ applicant, call: panelCall, stage: 'evaluation', overdueProcedures: ['work_permit'], supportTracks: [{ kind: 'visa', status: 'refused' }] });
    forgetKeptReads();
    const a = await signedIn(t, seated);
    const home = await page(a, '/');
    for (const key of ['overdue', 'soon', 'documents', 'procedures', 'refused']) expect(countOf(home.text, key).figure, key).to.equal('0');
    // Nor listed in HR's queue: a seat on another institute's panel reads them on the shortlist (walk s36).
    const readable = await page(a, '/cases');
    expect((readable.text.match(/<tr data-case="/g) ?? []).length).to.equal(0);
    // Nor does a row ask them to decide what follows a refusal they cannot act on.
    expect(text(readable.text)).not.to.include('Refused: Visa');
    expect(((await page(a, '/cases?overdue=1')).text.match(/<tr data-case="/g) ?? []).length).to.equal(0);
  });

  it("shows a leader how many of their institute's cases wait for their decision, linking to the shortlists", async () => {
    const home = await page(await signedIn(t, leader), '/');
    expect(home.status).to.equal(200);
    expect(home.text).not.to.include('data-work="overdue"');
    const words = text(home.text);
    expect(words).to.include('2 cases in evaluation (shortlist or reject)');
    expect(words).to.include('1 shortlisted case (offer or reject)');
    expect(home.text).to.include('<li data-decisions="shortlisted"><a href="/shortlists">');
    expect(home.text).to.include('id="mentions"');
  });

  it('keeps the landing page for applicants and visitors', async () => {
    const applicant = await createUser({ role: 'applicant' });
    for (const res of [await page(await signedIn(t, applicant), '/'), await agent(t.app).get('/').set('Accept', 'text/html')]) {
      expect(res.status).to.equal(200);
      expect(text(res.text)).to.match(/Bring your research to Vietnam|Đưa nghiên cứu về Việt Nam/);
      expect(res.text).not.to.include('data-work=');
    }
  });
});
