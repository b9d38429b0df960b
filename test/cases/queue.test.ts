// The HR queue over HTTP: scope (own institute only), filters, sorting, pagination, overdue flags,
// a page cost that does not grow with its rows, and bulk assignment.
import { expect } from 'chai';
import { keepQueueRowsFor } from '../../server/cases/queue.ts';
import mongoose from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { forgetKeptReads } from '../../server/support/kept-reads.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, post } from '../applications/support.ts';

const DAY = 86_400_000;

function refsIn(html: string): string[] {
  return [...html.matchAll(/<a href="\/cases\/[a-f0-9]{24}">(TA-\d{4}-\d{6})<\/a>/g)].map((m) => m[1]!);
}


/** A case's row on a queue page (its <tr>), which must be there. */
function rowIn(html: string, c: { _id: unknown }): string {
  const at = html.indexOf(`data-case="${String(c._id)}"`);
  expect(at, String(c._id)).to.be.greaterThan(-1);
  return html.slice(at, html.indexOf('</tr>', at));
}
describe('cases: the HR queue', () => {
  let t: TestApp;
  let hr: UserDoc;
  let hr2: UserDoc;
  let hrVi: UserDoc;
  let leader: UserDoc;
  let applicant: UserDoc;
  let callA: CallDoc;
  let callB: CallDoc;
  let foreign: CaseDoc;
  const mine: CaseDoc[] = [];

  before(async function () {
    this.timeout(120_000);
    t = await startTestApp();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Queue Officer' });
    hr2 = await createUser({ role: 'hr_officer', institute, name: 'Second Officer' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Việt', locale: 'vi' });
    leader = await createUser({ role: 'leader', institute });
    applicant = await createUser({ role: 'applicant' });
    callA = await createCall({ institute, checklist: [], track: 'expert' });
    callB = await createCall({ institute, checklist: [], track: 'chief_engineer' });
    const now = Date.now();
    // 30 cases: stages and deadlines vary; a few assigned, a few overdue, one with a late support track.
    for (let i = 0; i < 30; i++) {
      const call = i % 3 === 0 ? callB : callA;
      mine.push(
        await createCase({
          applicant,
          call,
          stage: i % 5 === 0 ? 'screening' : i === 7 ? 'onboarding' : 'submitted',
          stageDueAt: new Date(now + (i - 3) * DAY + 3_600_000), // i < 3 are overdue
          assignee: i < 4 ? hr._id : i < 6 ? hr2._id : undefined,
          submittedAt: new Date(now - (30 - i) * DAY),
          score: i,
          ...(i === 7 ? { supportTracks: [{ kind: 'visa', status: 'filed', dueAt: new Date(now + 40 * DAY) }, { kind: 'housing', status: 'requested', dueAt: new Date(now - DAY) }] } : {}),
        } as never),
      );
    }
    const otherInstitute = await createInstitute();
    const otherCall = await createCall({ institute: otherInstitute, checklist: [] });
    foreign = await createCase({ applicant, call: otherCall, stage: 'submitted' });
    // A draft is the applicant's own business: never in the queue.
    await createCase({ applicant, call: callA, stage: 'draft' });
  });
  after(async () => {
    await t?.close();
  });

  it('shows staff only their institute, 25 per page by default, with page 2 holding the rest', async () => {
    const a = await signedIn(t, hr);
    const p1 = await page(a, '/cases');
    expect(p1.status).to.equal(200);
    const refs1 = refsIn(p1.text);
    expect(refs1).to.have.length(25);
    expect(refs1).not.to.include(foreign.reference);
    expect(p1.text).to.include('30');
    const p2 = await page(a, '/cases?page=2');
    const refs2 = refsIn(p2.text);
    expect(refs2).to.have.length(5);
    expect(new Set([...refs1, ...refs2]).size).to.equal(30);
    const big = await page(a, '/cases?size=50');
    expect(refsIn(big.text)).to.have.length(30);
  });

  it('filters by stage, call, track, assignee (me, unassigned, someone), support track and overdue', async () => {
    const a = await signedIn(t, hr);
    const refs = async (q: string) => refsIn((await page(a, `/cases?size=100&${q}`)).text).sort();
    const pick = (f: (c: CaseDoc, i: number) => boolean) => mine.filter(f).map((c) => c.reference).sort();
    expect(await refs('stage=screening')).to.deep.equal(pick((_c, i) => i % 5 === 0));
    expect(await refs(`call=${callB._id}`)).to.deep.equal(pick((_c, i) => i % 3 === 0));
    expect(await refs('track=chief_engineer')).to.deep.equal(pick((_c, i) => i % 3 === 0));
    expect(await refs('assignee=me')).to.deep.equal(pick((_c, i) => i < 4));
    expect(await refs(`assignee=${hr2._id}`)).to.deep.equal(pick((_c, i) => i >= 4 && i < 6));
    expect(await refs('assignee=unassigned')).to.deep.equal(pick((_c, i) => i >= 6));
    expect(await refs('support=housing')).to.deep.equal(pick((_c, i) => i === 7));
    expect(await refs('support=work_permit')).to.deep.equal([]);
    // Overdue: the stage deadline has passed, or a support track's has.
    expect(await refs('overdue=1')).to.deep.equal(pick((_c, i) => i < 3 || i === 7));
    expect(await refs('overdue=1&assignee=me')).to.deep.equal(pick((_c, i) => i < 3));
    // Unknown values are ignored, not errors.
    expect((await page(a, '/cases?stage=nonsense&size=7')).status).to.equal(200);
  });

  it('sends a page of many rows in pieces: every row once and in order, the exact length, nothing of the markers', async () => {
    const a = await signedIn(t, hrVi);
    const res = await page(a, '/cases?size=100&sort=reference');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/html; charset=utf-8/);
    expect(Number(res.headers['content-length'])).to.equal(Buffer.byteLength(res.text));
    expect(res.text).to.not.include('<!--piece:');
    expect(res.text).to.match(/^<!DOCTYPE html>/i).and.match(/<\/html>\s*$/);
    // 30 rows and more: at least two pieces, each row once, in reference order, in Vietnamese.
    const shown = refsIn(res.text);
    expect(shown.length).to.be.greaterThan(20);
    expect(shown).to.deep.equal([...shown].sort());
    expect(new Set(shown).size).to.equal(shown.length);
    expect(res.text).to.include('<html lang="vi"');
    // HEAD: the same headers, no body.
    const head = await a.head('/cases?size=100&sort=reference').set('Accept', 'text/html');
    expect(head.status).to.equal(200);
    expect(head.headers['content-length']).to.equal(res.headers['content-length']);
    expect(head.text ?? '').to.equal('');
  });

  it('flags overdue cases and late support tracks on the row', async () => {
    const a = await signedIn(t, hr);
    const res = await page(a, '/cases?size=100&sort=reference');
    const row = (c: CaseDoc) => rowIn(res.text, c);
    expect(row(mine[0]!)).to.include('badge err');
    // The stage's own deadline passed: said as the procedures' are, naming what is late.
    expect(row(mine[0]!)).to.include('<span class="badge err stage-overdue">Overdue: Screening</span>');
    // Each procedure once: the late housing in red ("Overdue: Housing"), the visa under way plain; the
    // stage's own deadline is not passed, so no separate "Overdue" (it read "Housing overdue · Overdue · Housing · Housing").
    const flags = [...row(mine[7]!).matchAll(/<span class="badge[^"]*">([^<]+)<\/span>/g)].map((m) => m[1]).filter((l) => /Housing|Visa|Overdue/.test(l!));
    expect(flags).to.deep.equal(['Overdue: Housing', 'Visa']);
    // The filter finds the rows the badges flag, before the escalation job has run on them.
    const filtered = await page(a, '/cases?size=100&procedures=1');
    expect(filtered.text).to.include(`data-case="${mine[7]!._id}"`);
    expect(filtered.text).not.to.include(`data-case="${mine[20]!._id}"`);
    expect(row(mine[20]!)).not.to.include('Overdue');
  });

  it('names the call and assignee of each row, including an officer since disabled (not among the filter options)', async () => {
    const institute = mine[0]!.institute;
    const gone = await createUser({ role: 'hr_officer', institute, name: 'Departed Officer' });
    const c = await createCase({ applicant, call: callB, stage: 'submitted', assignee: gone._id } as never);
    await mongoose.model('User').updateOne({ _id: gone._id }, { $set: { disabledAt: new Date() } });
    try {
      const a = await signedIn(t, hr);
      const res = await page(a, '/cases?size=100&sort=reference');
      const row = (x: CaseDoc) => rowIn(res.text, x);
      expect(row(c)).to.include('Departed Officer');
      expect(row(mine[0]!)).to.include('Queue Officer');
      expect(row(mine[4]!)).to.include('Second Officer');
      const titleOf = (call: CallDoc) => (call.title as { en?: string }).en ?? '';
      expect(row(mine[0]!)).to.include(titleOf(callB));
      expect(row(mine[1]!)).to.include(titleOf(callA));
      // The filter's officer list leaves the disabled officer out.
      expect(res.text.slice(res.text.indexOf('name="assignee"'), res.text.indexOf('</select>', res.text.indexOf('name="assignee"')))).to.not.include('Departed Officer');
    } finally {
      await Case.deleteOne({ _id: c._id });
    }
  });

  it('shows document flags from the documents feature (an expired passport)', async () => {
    await CaseDocument.create({
      case: mine[15]!._id,
      type: 'passport',
      version: 1,
      current: true,
      storage: 'disk',
      storageKey: `test-${mine[15]!._id}`,
      originalName: 'passport.pdf',
      mimeType: 'application/pdf',
      size: 1000,
      sha256: 'a'.repeat(64),
      uploadedBy: applicant._id,
      status: 'accepted',
      expiresAt: new Date(Date.now() - 10 * DAY),
    });
    // A passport valid for 400 more days is too short for a case whose planned arrival is a year
    // away (it must outlast arrival + 2 years + 30 days): the row's own fields decide, and a
    // planned arrival next month makes the same passport fine.
    const passport = (c: CaseDoc) =>
      CaseDocument.create({
        case: c._id,
        type: 'passport',
        version: 1,
        current: true,
        storage: 'disk',
        storageKey: `test-${String(c._id)}`,
        originalName: 'passport.pdf',
        mimeType: 'application/pdf',
        size: 1000,
        sha256: 'b'.repeat(64),
        uploadedBy: applicant._id,
        status: 'accepted',
        expiresAt: new Date(Date.now() + 400 * DAY),
      });
    await Case.updateOne({ _id: mine[16]!._id }, { $set: { 'profile.plannedArrival': new Date(Date.now() + 365 * DAY) } });
    await Case.updateOne({ _id: mine[17]!._id }, { $set: { 'profile.plannedArrival': new Date(Date.now() - 400 * DAY) } });
    await passport(mine[16]!);
    await passport(mine[17]!);
    const a = await signedIn(t, hr);
    const res = await page(a, '/cases?size=100');
    const row = (c: { _id: unknown }) => rowIn(res.text, c);
    expect(row(mine[15]!)).to.include('1 document expired');
    expect(row(mine[16]!)).to.include('1 document not valid long enough');
    expect(row(mine[17]!)).not.to.match(/documents? expir|not valid long enough/);
  });

  it('shows a write through the Case or Document model on the next page at once, though a page\'s rows and documents are kept 5 s', async () => {
    const c = mine[18]!;
    const a = await signedIn(t, hr);
    const rowOf = async () => rowIn((await page(a, '/cases?size=100')).text, c);
    expect(await rowOf()).not.to.include('document expired');
    const doc = await CaseDocument.create({
      case: c._id,
      type: 'passport',
      version: 1,
      current: true,
      storage: 'disk',
      storageKey: `test-kept-${String(c._id)}`,
      originalName: 'passport.pdf',
      mimeType: 'application/pdf',
      size: 1000,
      sha256: 'c'.repeat(64),
      uploadedBy: applicant._id,
      status: 'accepted',
      expiresAt: new Date(Date.now() - 10 * DAY),
    });
    expect(await rowOf()).to.include('1 document expired');
    // A date corrected writes neither status nor current: the case is not recounted (no Case write),
    // so only the Document model's own write tells the queue.
    await CaseDocument.updateOne({ _id: doc._id }, { $set: { expiresAt: new Date(Date.now() + 3650 * DAY) } });
    expect(await rowOf()).not.to.include('document expired');
    await Case.updateOne({ _id: c._id }, { $set: { 'profile.fullName': 'Renamed Kept Row' } });
    expect(await rowOf()).to.include('Renamed Kept Row');
    await CaseDocument.deleteOne({ _id: doc._id });
  });

  it('keeps rows as long as QUEUE_ROWS_KEPT_MS says: a write behind the models\' backs shows only once they are no longer kept, at once with 0', async () => {
    const c = mine[19]!;
    const a = await signedIn(t, hr);
    const rowOf = async () => rowIn((await page(a, '/cases?size=100')).text, c);
    await rowOf();
    // Another app instance's write (not through this process's models): kept rows do not see it...
    await Case.collection.updateOne({ _id: c._id }, { $set: { 'profile.fullName': 'Written Elsewhere' } });
    expect(await rowOf()).not.to.include('Written Elsewhere');
    try {
      keepQueueRowsFor(0);
      // ...and with 0, every page reads its rows.
      expect(await rowOf()).to.include('Written Elsewhere');
      await Case.collection.updateOne({ _id: c._id }, { $set: { 'profile.fullName': 'Written Elsewhere Again' } });
      expect(await rowOf()).to.include('Written Elsewhere Again');
    } finally {
      keepQueueRowsFor(5_000);
    }
  });

  it("flags what waits for the officer: the applicant's unanswered message and documents to check, each gone once answered or checked", async () => {
    const [withMessage, withUpload] = [mine[20]!, mine[21]!];
    // The applicant writes from their page.
    const me = await signedIn(t, applicant);
    const mine20 = await page(me, `/applications/${withMessage._id}`);
    expect(await post(me, mine20.text, `/applications/${withMessage._id}/messages`, { text: 'Is my diploma enough?' })).to.have.property('status', 303);
    const pending = await CaseDocument.create({
      case: withUpload._id,
      type: 'cv',
      version: 1,
      current: true,
      storage: 'disk',
      storageKey: `test-pending-${String(withUpload._id)}`,
      originalName: 'cv.pdf',
      mimeType: 'application/pdf',
      size: 1000,
      sha256: 'c'.repeat(64),
      uploadedBy: applicant._id,
      status: 'pending',
    });
    const a = await signedIn(t, hr);
    let queue = await page(a, '/cases?size=100');
    expect(rowIn(queue.text, withMessage)).to.include(`<a class="badge todo" data-flag="message" href="/cases/${withMessage._id}#messages" aria-label="Message to answer · ${withMessage.reference}">Message to answer</a>`);
    expect(rowIn(queue.text, withUpload)).to.include('data-flag="documents"').and.include('1 document to check');
    // The mark is a link to the case's first paper to check (the page's #to-check), named with the case.
    expect(rowIn(queue.text, withUpload)).to.include(`<a class="badge todo" data-flag="documents" href="/cases/${withUpload._id}#to-check" aria-label="1 document to check · ${withUpload.reference}">1 document to check</a>`);
    expect(rowIn(queue.text, mine[22]!)).not.to.include('data-flag=');

    // The officer answers and checks: both flags go.
    const casePage = await page(a, `/cases/${withMessage._id}`);
    expect(await post(a, casePage.text, `/cases/${withMessage._id}/messages`, { message: 'Yes, it is.' })).to.have.property('status', 303);
    const uploadPage = await page(a, `/cases/${withUpload._id}`);
    expect(await post(a, uploadPage.text, `/documents/${pending._id}/verify`, { decision: 'accept' })).to.have.property('status', 303);
    expect((await CaseDocument.findById(pending._id).lean())!.status).to.equal('accepted');
    queue = await page(a, '/cases?size=100');
    expect(rowIn(queue.text, withMessage)).not.to.include('data-flag="message"');
    expect(rowIn(queue.text, withUpload)).not.to.include('data-flag="documents"');

    // In Vietnamese too, for an officer who reads it.
    await Case.updateOne({ _id: withMessage._id }, { $push: { messages: { at: new Date(), author: applicant._id, fromApplicant: true, text: 'Cảm ơn' } } });
    const vi = await page(await signedIn(t, hrVi), '/cases?size=100');
    expect(rowIn(vi.text, withMessage)).to.include('Tin nhắn cần trả lời');
    await CaseDocument.updateOne({ _id: pending._id }, { $set: { status: 'pending' } });
    expect(rowIn((await page(await signedIn(t, hrVi), '/cases?size=100')).text, withUpload)).to.include(`aria-label="1 giấy tờ cần kiểm tra · ${withUpload.reference}">1 giấy tờ cần kiểm tra</a>`);
  });

  it('sorts by due date, submission date, reference and score', async () => {
    const a = await signedIn(t, hr);
    const byRef = refsIn((await page(a, '/cases?size=100&sort=reference')).text);
    expect(byRef).to.deep.equal([...byRef].sort());
    const byDue = refsIn((await page(a, '/cases?size=100&sort=due')).text);
    // The next deadline, the stage's or a procedure's: case 7's housing, due yesterday, comes before
    // case 2's stage (due an hour later) though its own stage is due in four days.
    expect(byDue.slice(0, 4)).to.deep.equal([mine[0]!, mine[1]!, mine[7]!, mine[2]!].map((c) => c.reference));
    const bySubmitted = refsIn((await page(a, '/cases?size=100&sort=submitted')).text);
    expect(bySubmitted[0]).to.equal(mine[29]!.reference);
    const byScore = refsIn((await page(a, '/cases?size=100&sort=score')).text);
    expect(byScore[0]).to.equal(mine[29]!.reference);
    expect(byScore.at(-1)).to.equal(mine[0]!.reference);
  });

  it('sorts by likely start of work (the arrival forecast), cases without a forecast after, and shows the date on the row', async () => {
    const a = await signedIn(t, hr);
    // Three cases with a forecast, stored out of order; the rest have none.
    const likely = [
      [mine[12]!, new Date('2027-09-01T00:00:00Z')],
      [mine[20]!, new Date('2027-03-15T00:00:00Z')],
      [mine[7]!, new Date('2027-05-03T00:00:00Z')],
    ] as const;
    for (const [c, d] of likely) await Case.updateOne({ _id: c._id }, { $set: { forecast: { earliest: d, likely: d, latest: d, computedAt: new Date() } } });
    try {
      const res = await page(a, '/cases?size=100&sort=arrival');
      const refs = refsIn(res.text);
      expect(refs.slice(0, 3)).to.deep.equal([mine[20]!.reference, mine[7]!.reference, mine[12]!.reference]);
      expect(refs).to.have.length(30);
      const row = res.text.slice(res.text.indexOf(`data-case="${String(mine[20]!._id)}"`));
      expect(row.slice(0, row.indexOf("</tr>"))).to.include("likely start 15 Mar 2027");
      // 25 per page: page 2 continues the undated cases where page 1 stopped.
      const first = refsIn((await page(a, '/cases?sort=arrival')).text);
      const second = refsIn((await page(a, '/cases?sort=arrival&page=2')).text);
      expect([...first, ...second]).to.deep.equal(refs);
    } finally {
      for (const [c] of likely) await Case.updateOne({ _id: c._id }, { $unset: { forecast: 1 } });
    }
  });

  it('costs the same number of queries for 6 rows as for 30 (no per-row queries)', async () => {
    const a = await signedIn(t, hr);
    await page(a, '/cases?size=100'); // warm up (sessions, first loads)
    let count = 0;
    mongoose.set('debug', () => {
      count += 1;
    });
    try {
      // Both from cold: the counts and lists kept a few seconds would otherwise save one and not the other.
      forgetKeptReads();
      count = 0;
      await page(a, '/cases?size=100&stage=screening');
      const few = count;
      forgetKeptReads();
      count = 0;
      await page(a, '/cases?size=100');
      const many = count;
      expect(many, `queries for 30 rows (${many}) vs 6 rows (${few})`).to.equal(few);
      expect(many).to.be.lessThan(12);
    } finally {
      mongoose.set('debug', false);
    }
  });

  it('lets a leader read the queue but not assign; refuses applicants', async () => {
    const l = await signedIn(t, leader);
    const res = await page(l, '/cases');
    expect(res.status).to.equal(200);
    expect(res.text).not.to.include('name="ids"');
    const refused = await post(l, res.text, '/cases/bulk-assign', { ids: [String(mine[10]!._id)], assignee: String(hr._id) });
    expect(refused.status).to.equal(403);
    expect((await Case.findById(mine[10]!._id).lean())!.assignee).to.equal(undefined);
    const ap = await signedIn(t, applicant);
    expect((await page(ap, '/cases')).status).to.equal(403);
  });

  it('assigns the ticked cases in bulk, only within the institute', async () => {
    const a = await signedIn(t, hr);
    const q = await page(a, '/cases?assignee=unassigned');
    expect(q.text).to.include('name="ids"');
    const targets = [mine[10]!, mine[11]!];
    const res = await post(a, q.text, '/cases/bulk-assign', { ids: [...targets.map((c) => String(c._id)), String(foreign._id)], assignee: String(hr2._id), back: '/cases?assignee=unassigned' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/cases?assignee=unassigned');
    for (const c of targets) expect(String((await Case.findById(c._id).lean())!.assignee)).to.equal(String(hr2._id));
    expect((await Case.findById(foreign._id).lean())!.assignee).to.equal(undefined);
    const flash = await page(a, res.headers.location);
    expect(flash.text).to.include('2 cases assigned to Second Officer. 1 could not be assigned: it is not a case of your institute, or still a draft.');

    // Only another institute's case: none assigned, and the page says so (it said "your institute's cases were assigned").
    const foreignOnly = await post(a, q.text, '/cases/bulk-assign', { ids: [String(foreign._id)], assignee: String(hr2._id), back: '/cases?assignee=unassigned' });
    expect(foreignOnly.status).to.equal(303);
    const noneFlash = await page(a, foreignOnly.headers.location);
    expect(noneFlash.text).to.include('The selected case could not be assigned: it is not a case of your institute');
    expect(noneFlash.text).not.to.include('were assigned');
    expect((await Case.findById(foreign._id).lean())!.assignee).to.equal(undefined);

    // An officer of another institute cannot be chosen; nothing selected is an error beside the field.
    const stranger = await createUser({ role: 'hr_officer' });
    const bad = await post(a, q.text, '/cases/bulk-assign', { ids: [String(mine[12]!._id)], assignee: String(stranger._id) });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('Choose an HR officer of this institute.');
    expect((await Case.findById(mine[12]!._id).lean())!.assignee).to.equal(undefined);
    const none = await post(a, q.text, '/cases/bulk-assign', { assignee: String(hr2._id) });
    expect(none.status).to.equal(422);
    expect(none.text).to.include('Select at least one case.');
  });
});
