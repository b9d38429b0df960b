// The case page over HTTP: what HR sees, the action buttons with the case version, two officers
// on the same version (one 303, one 409 saying what happened), wrong role or other institute
// refused with nothing changed, request for information answered by the applicant, notes,
// messages with their e-mail, assignment and support tracks.
import { dayFirst } from '../../server/support/calendar-day.ts';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { CaseDocument } from '../../models/document.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { linkIn } from '../support/smtp.ts';
import { signedIn, page, post, postConfirmed, versionIn, deliver, text, expectTranslated, holdReviewDay } from '../applications/support.ts';
import { emailsView } from '../../server/cases/present.ts';
import { translator } from '../../server/i18n/index.ts';

async function snapshot(c: { _id: unknown }) {
  const s = (await Case.findById(c._id).lean())!;
  return { stage: s.stage, version: s.version, history: s.history.length, notes: s.notes.length, messages: s.messages.length, outbox: s.outbox.length, assignee: String(s.assignee ?? '') };
}

describe('cases: the case page', () => {
  let t: TestApp;
  let hr1: UserDoc;
  let hr2: UserDoc;
  let leader: UserDoc;
  let otherHr: UserDoc;
  let admin: UserDoc;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    hr1 = await createUser({ role: 'hr_officer', institute, name: 'Officer One' });
    hr2 = await createUser({ role: 'hr_officer', institute, name: 'Officer Two' });
    leader = await createUser({ role: 'leader', institute, name: 'Director Ha' });
    otherHr = await createUser({ role: 'hr_officer', name: 'Elsewhere Officer' });
    admin = await createUser({ role: 'admin' });
    applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn An' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  it('shows the profile, eligibility, timeline and the actions allowed now with the case version', async () => {
    const c = await createCase({ applicant, call, stage: 'submitted' });
    const a = await signedIn(t, hr1);
    const res = await page(a, `/cases/${c._id}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Nguyễn Văn An');
    expect(res.text).to.include('Max Planck Institute');
    expect(res.text).to.include('id="timeline"');
    // Staff read the applicant's answers in the third person, not the form's "Are you…?" / "I meet…".
    expect(res.text).not.to.include('Are you an overseas Vietnamese?');
    expect(res.text).not.to.include('I meet this criterion');
    expect(res.text).to.include('<dt>Overseas Vietnamese</dt>');
    expect(res.text).to.include(`action="/cases/${c._id}/actions/start_screening"`);
    expect(res.text).to.include(`action="/cases/${c._id}/actions/put_on_hold"`);
    expect(res.text).not.to.include('/actions/shortlist"');
    expect(versionIn(res.text, `/cases/${c._id}/actions/start_screening`)).to.equal(String(c.version));
    // The documents checklist of the call, from the documents feature.
    const withDocs = await createCase({ applicant, call: await createCall({ institute: call.institute, checklist: [{ type: 'cv', phase: 'application', required: true }] }), stage: 'screening' });
    const docsPage = await page(a, `/cases/${withDocs._id}`);
    expect(docsPage.text).to.include('data-documents-checklist');
    expect(docsPage.text).to.include('Curriculum vitae');
    const applicantView = await page(await signedIn(t, applicant), `/applications/${withDocs._id}`);
    expect(applicantView.text).to.include('data-documents-checklist');
    expectTranslated(docsPage.text, 'the case page (en)');
    expectTranslated(applicantView.text, 'the application page (vi)');
    expectTranslated((await page(a, '/cases?size=100')).text, 'the queue (en)');
    const vi = await signedIn(t, await createUser({ role: 'hr_officer', institute: call.institute, locale: 'vi' }));
    expectTranslated((await page(vi, `/cases/${withDocs._id}`)).text, 'the case page (vi)');
    expectTranslated((await page(vi, '/cases')).text, 'the queue (vi)');
    expectTranslated((await page(vi, `/cases/${withDocs._id}/request-info`)).text, 'the request form (vi)');
    // A leader does not see a case before it reaches the panel (issue 10: 404, as if it did not exist)...
    const l = await signedIn(t, leader);
    expect((await page(l, `/cases/${c._id}`)).status).to.equal(404);
    // ...and reads one that has; leaders have no HR buttons here and cannot write notes.
    const shortlisted = await createCase({ applicant, call, stage: 'shortlisted' });
    const lr = await page(l, `/cases/${shortlisted._id}`);
    expect(lr.status).to.equal(200);
    expect(lr.text).not.to.include('/actions/put_on_hold"');
    expect(lr.text).not.to.include(`action="/cases/${shortlisted._id}/notes"`);
  });

  it("links the page's own sections at its top, the papers first while some wait for a check, saying how many, to the first of them (en, vi)", async () => {
    const docsCall = await createCall({ institute: call.institute, checklist: [{ type: 'cv', phase: 'application', required: true }, { type: 'passport', phase: 'application', required: true }, { type: 'photo', phase: 'application', required: true }] as never });
    const c = await createCase({ applicant, call: docsCall, stage: 'screening' });
    const file = (type: string, status: string, n: number) => ({ case: c._id, type, slot: 0, version: 1, current: true, status, storage: 'disk', storageKey: String(n).repeat(32), originalName: `${type}.pdf`, mimeType: 'application/pdf', size: 10, sha256: 'b'.repeat(64), uploadedBy: applicant._id });
    // The CV accepted, the passport and the photo waiting: the link goes to the passport, the first waiting in the list.
    await CaseDocument.create([file('cv', 'accepted', 1), file('passport', 'pending', 2), file('photo', 'pending', 3)] as never);
    const navOf = (html: string) => {
      const nav = /<nav class="page-nav" id="page-nav" aria-label="([^"]+)">([\s\S]*?)<\/nav>/.exec(html);
      expect(nav, 'the page nav').to.not.equal(null);
      return { label: nav![1], links: [...nav![2]!.matchAll(/<a href="([^"]+)">([^<]+)<\/a>(?: <span class="badge warn">([^<]+)<\/span>)?/g)].map((m) => ({ href: m[1]!, text: m[2]!, note: m[3] })) };
    };
    const en = await page(await signedIn(t, hr1), `/cases/${c._id}`);
    const nav = navOf(en.text);
    expect(nav.label).to.equal('On this page');
    // The papers waiting come first; the rest in the page's order.
    expect(nav.links.map((l) => l.href)).to.deep.equal(['#doc-passport', '#actions', '#profile', '#support', '#timeline', '#notes', '#messages', '#planner', '#emails']);
    const papers = nav.links.find((l) => l.href === '#doc-passport')!;
    expect(papers.text).to.equal('Documents');
    expect(papers.note).to.equal('2 to check');
    // Every link lands on something on the page; the others in the order the page shows them.
    const at = nav.links.slice(1).map((l) => en.text.indexOf(`id="${l.href.slice(1)}"`));
    expect(en.text.indexOf('id="doc-passport"')).to.be.greaterThan(0);
    expect(at.every((i) => i > 0), JSON.stringify(nav.links)).to.equal(true);
    expect([...at].sort((x, y) => x - y)).to.deep.equal(at);
    // The queue's mark links to #to-check: one anchor, inside the passport's item, before its controls.
    expect(en.text.match(/id="to-check"/g)).to.have.length(1);
    const passportItem = /<li class="checklist-item[^"]*" id="doc-passport"[\s\S]*?<\/li>/.exec(en.text)![0];
    expect(passportItem.indexOf('<span id="to-check"></span>')).to.be.within(0, passportItem.indexOf('button-accept'));
    // In Vietnamese.
    const vi = navOf((await page(await signedIn(t, await createUser({ role: 'hr_officer', institute: call.institute, locale: 'vi' })), `/cases/${c._id}`)).text);
    expect(vi.label).to.equal('Trên trang này');
    expect(vi.links.find((l) => l.href === '#doc-passport')!.note).to.equal('2 cần kiểm tra');
    // All checked: the link goes to the papers' section, in its place, with no count.
    await CaseDocument.updateMany({ case: c._id }, { $set: { status: 'accepted' } });
    const done = navOf((await page(await signedIn(t, hr1), `/cases/${c._id}`)).text).links;
    expect(done.map((l) => l.href)).to.deep.equal(['#actions', '#profile', '#support', '#timeline', '#notes', '#messages', '#planner', '#documents', '#emails']);
    expect(done.find((l) => l.text === 'Documents')).to.deep.equal({ href: '#documents', text: 'Documents', note: undefined });
    // Checked meanwhile: #to-check is the list's own place, no paper's.
    const donePage = (await page(await signedIn(t, hr1), `/cases/${c._id}`)).text;
    expect(donePage.match(/id="to-check"/g)).to.have.length(1);
    expect(donePage.indexOf('id="to-check"')).to.be.below(donePage.indexOf('id="doc-cv"'));
    // The applicant has no anchor of the kind: nothing of hers to check.
    expect((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text).to.not.include('id="to-check"');
  });

  it("tells the officer the applicant's language: on the case, beside the message and beside a document's reason", async () => {
    const docCall = await createCall({ institute: call.institute, checklist: [{ type: 'cv', phase: 'application', required: true }] });
    for (const [locale, en, vi] of [['en', 'English', 'tiếng Anh'], ['vi', 'Vietnamese', 'tiếng Việt']] as const) {
      const who = await createUser({ role: 'applicant', locale });
      const c = await createCase({ applicant: who, call: docCall, stage: 'screening' });
      await CaseDocument.create({ case: c._id, type: 'cv', slot: 0, version: 1, current: true, storage: 'disk', storageKey: 'a'.repeat(32), originalName: 'cv.pdf', mimeType: 'application/pdf', size: 10, sha256: 'b'.repeat(64), uploadedBy: who._id });
      const res = await page(await signedIn(t, hr1), `/cases/${c._id}`);
      expect(res.text, locale).to.include(`<span id="applicant-language">Applicant&#x27;s language: ${en}</span>`);
      expect(res.text, locale).to.include(`The applicant receives an e-mail with the message, in ${en}: write in that language.`);
      expect(res.text, locale).to.include(`The applicant is told in ${en}: write the reason in that language.`);
      const viPage = await page(await signedIn(t, await createUser({ role: 'hr_officer', institute: call.institute, locale: 'vi' })), `/cases/${c._id}`);
      expect(viPage.text, locale).to.include(`Ngôn ngữ của ứng viên: ${vi}`);
    }
  });

  it('says after a step where the case is now and that an e-mail to the applicant is on its way', async () => {
    const c = await createCase({ applicant, call, stage: 'submitted' });
    const a = await signedIn(t, hr1);
    const shown = await page(a, `/cases/${c._id}`);
    const res = await post(a, shown.text, `/cases/${c._id}/actions/start_screening`, { version: versionIn(shown.text, `/cases/${c._id}/actions/start_screening`) });
    expect(res.status).to.equal(303);
    const after = await page(a, res.headers.location!);
    expect(after.text).to.include(`Done: the case is now “Screening”. An e-mail to ${applicant.email} is on its way (see “E-mails sent on this case”).`);
  });

  it('lets exactly one of two officers on the same version win: one 303, the other a 409 page saying who did what', async () => {
    const c = await createCase({ applicant, call, stage: 'submitted' });
    const a1 = await signedIn(t, hr1);
    const a2 = await signedIn(t, hr2);
    const p1 = await page(a1, `/cases/${c._id}`);
    const p2 = await page(a2, `/cases/${c._id}`);
    const v = versionIn(p1.text, `/cases/${c._id}/actions/start_screening`);
    const [r1, r2] = await Promise.all([
      post(a1, p1.text, `/cases/${c._id}/actions/start_screening`, { version: v }),
      // The hold's confirming click (its second step), on the same version.
      post(a2, p2.text, `/cases/${c._id}/actions/put_on_hold/confirm`, { version: v, reason: 'Waiting for budget', reviewBy: holdReviewDay() }),
    ]);
    const statuses = [r1.status, r2.status].sort();
    expect(statuses).to.deep.equal([303, 409]);
    const loser = r1.status === 409 ? r1 : r2;
    const winnerName = r1.status === 303 ? 'Officer One' : 'Officer Two';
    const winnerAction = r1.status === 303 ? 'Screening started' : 'Put on hold';
    expect(loser.text).to.include('id="conflict"');
    expect(text(loser.text)).to.include(winnerName);
    expect(text(loser.text)).to.include(winnerAction);
    expect(loser.text).to.include(`href="/cases/${c._id}"`);
    const s = await snapshot(c);
    expect(s.version).to.equal(c.version + 1);
    expect(s.history).to.equal(c.history.length + 1);
  });

  it('refuses a double submit of the same form with the 409 page and changes nothing', async () => {
    const c = await createCase({ applicant, call, stage: 'submitted' });
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    const v = versionIn(p.text, `/cases/${c._id}/actions/start_screening`);
    expect((await post(a, p.text, `/cases/${c._id}/actions/start_screening`, { version: v })).status).to.equal(303);
    const before = await snapshot(c);
    const again = await post(a, p.text, `/cases/${c._id}/actions/start_screening`, { version: v });
    expect(again.status).to.equal(409);
    expect(text(again.text)).to.include('You (in another tab or an earlier click)');
    expect(await snapshot(c)).to.deep.equal(before);
  });

  it('refuses a wrong role or another institute and changes nothing', async () => {
    const c = await createCase({ applicant, call, stage: 'submitted' });
    const before = await snapshot(c);
    // A leader does not learn that a case before the panel exists (404)...
    const l = await signedIn(t, leader);
    const lp = await page(l, '/cases');
    expect(lp.text).not.to.include(c.reference);
    expect((await post(l, lp.text, `/cases/${c._id}/actions/start_screening`, { version: String(c.version) })).status).to.equal(404);
    // (HR-only forms answer 403 to a leader for any case id, so they tell nothing either.)
    expect((await post(l, lp.text, `/cases/${c._id}/notes`, { note: 'leader note' })).status).to.equal(403);
    expect((await post(l, lp.text, `/cases/${c._id}/assign`, { assignee: String(hr1._id) })).status).to.equal(403);
    // ...and may not take HR's step on one they can see (403).
    const held = await createCase({ applicant, call, stage: 'shortlisted' });
    const heldBefore = await snapshot(held);
    const hp = await page(l, `/cases/${held._id}`);
    expect(hp.status).to.equal(200);
    expect((await post(l, hp.text, `/cases/${held._id}/actions/put_on_hold`, { version: String(held.version), reason: 'x' })).status).to.equal(403);
    expect((await post(l, hp.text, `/cases/${held._id}/notes`, { note: 'leader note' })).status).to.equal(403);
    expect((await post(l, hp.text, `/cases/${held._id}/assign`, { assignee: String(hr1._id) })).status).to.equal(403);
    expect(await snapshot(held)).to.deep.equal(heldBefore);
    // Another institute's officer does not even learn the case exists (404).
    const o = await signedIn(t, otherHr);
    const op = await page(o, '/cases');
    expect(op.text).not.to.include(c.reference);
    expect((await page(o, `/cases/${c._id}`)).status).to.equal(404);
    // Nor does its own officer learn of a draft, and a malformed or unknown id is "not found" too.
    const draft = await createCase({ applicant, call, stage: 'draft' });
    const own = await signedIn(t, hr1);
    for (const path of [`/cases/${draft._id}`, '/cases/not-a-case-id', '/cases/0123456789abcdef01234567', `/cases/${c._id}%7B%22%24gt%22%3A%22%22%7D`]) {
      expect((await page(own, path)).status, path).to.equal(404);
    }
    for (const [action, form] of [
      [`/cases/${c._id}/actions/start_screening`, { version: String(c.version) }],
      [`/cases/${c._id}/notes`, { note: 'x' }],
      [`/cases/${c._id}/messages`, { message: 'x' }],
      [`/cases/${c._id}/assign`, { assignee: String(otherHr._id) }],
      [`/cases/${c._id}/request-info`, { version: String(c.version), items: 'x', dueAt: '2099-01-01' }],
    ] as const) {
      expect((await post(o, op.text, action, form)).status, action).to.equal(404);
    }
    // The applicant uses their own pages, never the staff ones.
    const ap = await signedIn(t, applicant);
    expect((await page(ap, `/cases/${c._id}`)).status).to.equal(403);
    expect(await snapshot(c)).to.deep.equal(before);
  });

  for (const [locale, words] of [
    ['en', { reject: 'Reason for rejecting', hold: 'Reason for putting on hold', rejectMissing: 'Give the reason for rejecting this application.', holdMissing: 'Give the reason for putting this case on hold.' }],
    ['vi', { reject: 'Lý do không chọn', hold: 'Lý do tạm dừng', rejectMissing: 'Hãy ghi lý do không chọn hồ sơ này.', holdMissing: 'Hãy ghi lý do tạm dừng hồ sơ này.' }],
  ] as const) {
    it(`names each reason box by its decision and says which reason is missing (${locale})`, async () => {
      const institute = await createInstitute();
      const officer = await createUser({ role: 'hr_officer', institute, locale });
      const c = await createCase({ applicant, call: await createCall({ institute, checklist: [] }), stage: 'screening' });
      const a = await signedIn(t, officer);
      const p = await page(a, `/cases/${c._id}`);
      // The accessible name: the label's text without what is hidden from screen readers (the "*").
      const label = (html: string, id: string) => text((html.match(new RegExp(`<label for="${id}">([\\s\\S]*?)</label>`))?.[1] ?? '').replace(/<span[^>]*aria-hidden="true">[^<]*<\/span>/g, '')).trim();
      expect(label(p.text, 'f-reason-reject')).to.equal(words.reject);
      expect(label(p.text, 'f-reason-put_on_hold')).to.equal(words.hold);
      const before = await snapshot(c);
      for (const [action, message] of [['reject', words.rejectMissing], ['put_on_hold', words.holdMissing]] as const) {
        const res = await post(a, p.text, `/cases/${c._id}/actions/${action}`, { version: versionIn(p.text, `/cases/${c._id}/actions/${action}`), reason: '' });
        expect(res.status).to.equal(422);
        expect(res.text).to.match(new RegExp(`id="f-reason-${action}-error">${message}<`));
      }
      expect(await snapshot(c)).to.deep.equal(before);
    });
  }

  it('needs a reason to reject (422 beside the field), then rejects with it', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    const v = versionIn(p.text, `/cases/${c._id}/actions/reject`);
    const bad = await post(a, p.text, `/cases/${c._id}/actions/reject`, { version: v, reason: '  ' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.match(/id="f-reason-reject-error"/);
    expect((await snapshot(c)).stage).to.equal('screening');
    const { confirmed: ok } = await postConfirmed(a, p.text, c._id, 'reject', { version: v, reason: 'Outside the call field' });
    expect(ok.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('rejected');
    expect(after.decision?.reason).to.equal('Outside the call field');
  });

  it('refuses to send to evaluation before the required documents are accepted, naming them beside the button', async () => {
    const docsCall = await createCall({ institute: call.institute, checklist: [{ type: 'cv', phase: 'application', required: true }, { type: 'passport', phase: 'application', required: true }, { type: 'photo', phase: 'application', required: false }] as never });
    const c = await createCase({ applicant, call: docsCall, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    const res = await post(a, p.text, `/cases/${c._id}/actions/send_to_evaluation`, { version: versionIn(p.text, `/cases/${c._id}/actions/send_to_evaluation`) });
    expect(res.status).to.equal(422);
    const form = res.text.slice(res.text.indexOf(`action="/cases/${c._id}/actions/send_to_evaluation"`));
    const beside = form.slice(0, form.indexOf('</form>'));
    expect(beside).to.include('aria-describedby="documents-error"');
    expect(text(beside)).to.match(/id="documents-error">Every required application document must be accepted first; not yet: Curriculum vitae, Passport\./);
    // What the case lacks, announced after the click; not a field's error (no field to correct).
    expect(beside).to.include('<p class="problem-text" role="alert" id="documents-error">');
    expect(beside).not.to.include('field-error');
    // No field to correct: the banner says the step cannot be taken yet, not "correct the fields".
    expect(text(res.text)).to.include('This step cannot be taken yet: what is missing is said beside its button.');
    expect(res.text).not.to.include('Please correct the fields marked below');
    expect((await snapshot(c)).stage).to.equal('screening');
  });

  it('lets HR reject a case whose information request went unanswered, telling the applicant why', async () => {
    const c = await createCase({ applicant, call, stage: 'awaiting_applicant', infoRequest: { items: ['Passport scan'], dueAt: new Date(Date.now() - 86_400_000), requestedAt: new Date(Date.now() - 20 * 86_400_000) } });
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    expect(p.text).to.include(`action="/cases/${c._id}/actions/reject"`);
    const { confirmed: res } = await postConfirmed(a, p.text, c._id, 'reject', { version: versionIn(p.text, `/cases/${c._id}/actions/reject`), reason: 'No answer to the request of 3 November.' });
    expect(res.status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.stage).to.equal('rejected');
    const mine = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(mine).to.include('No answer to the request of 3 November.');
  });

  it('requests information with items and a due date; the applicant answers on their page; HR sees the answer', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const form = await page(a, `/cases/${c._id}/request-info`);
    expect(form.status).to.equal(200);
    const v = versionIn(form.text, `/cases/${c._id}/request-info`);
    const due = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 10));
    const bad = await post(a, form.text, `/cases/${c._id}/request-info`, { version: v, items: '', dueAt: due });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include(`value="${dayFirst(due)}"`);
    const ok = await post(a, form.text, `/cases/${c._id}/request-info`, { version: v, items: 'Certified degree translation\nList of patents', dueAt: due });
    expect(ok.status).to.equal(303);
    const mid = (await Case.findById(c._id).lean())!;
    expect(mid.stage).to.equal('awaiting_applicant');
    expect(mid.infoRequest?.items).to.deep.equal(['Certified degree translation', 'List of patents']);

    const ap = await signedIn(t, applicant);
    const mine = await page(ap, `/applications/${c._id}`);
    expect(mine.status).to.equal(200);
    expect(mine.text).to.include('Certified degree translation');
    const av = versionIn(mine.text, `/applications/${c._id}/answer`);
    const empty = await post(ap, mine.text, `/applications/${c._id}/answer`, { version: av, answer: '' });
    expect(empty.status).to.equal(422);
    const answered = await post(ap, mine.text, `/applications/${c._id}/answer`, { version: av, answer: 'Uploaded both today.' });
    expect(answered.status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.stage).to.equal('screening');
    const back = await page(a, `/cases/${c._id}`);
    expect(back.text).to.include('Uploaded both today.');
  });

  it('keeps internal notes from the applicant, and e-mails the applicant when HR writes a message', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    expect((await post(a, p.text, `/cases/${c._id}/notes`, { note: '' })).status).to.equal(422);
    expect((await post(a, p.text, `/cases/${c._id}/notes`, { note: 'Strong candidate, check references' })).status).to.equal(303);
    expect((await post(a, p.text, `/cases/${c._id}/messages`, { message: 'Could you send your passport scan?' })).status).to.equal(303);
    const staffView = await page(a, `/cases/${c._id}`);
    expect(staffView.text).to.include('Strong candidate, check references');
    expect(staffView.text).to.include('Could you send your passport scan?');

    const ap = await signedIn(t, applicant);
    const mine = await page(ap, `/applications/${c._id}`);
    expect(mine.text).not.to.include('Strong candidate');
    expect(mine.text).to.include('Could you send your passport scan?');
    expect((await post(ap, mine.text, `/applications/${c._id}/messages`, { text: 'Sent it just now.' })).status).to.equal(303);
    expect((await page(a, `/cases/${c._id}`)).text).to.include('Sent it just now.');

    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Tin nhắn mới/);
    expect(mail.subject).to.include(c.reference);
    expect(mail.text).to.include('Could you send your passport scan?');
    expect(linkIn(mail.text, `/applications/${c._id}`)).to.include(`${t.baseUrl}/applications/${c._id}`);
    const emails = await page(a, `/cases/${c._id}`);
    // Named as the mail log names it; an e-mail of the certificate planner too (never its code).
    expect(emails.text.slice(emails.text.indexOf('id="emails"'))).to.include('New message');
    const planned = emailsView([{ template: 'certificate_window', to: 'a@example.org', status: 'sent' }], translator('en'));
    expect(planned[0]!.label).to.equal('Certificates to obtain now');
  });

  it("calls a resume's optional field the note to the applicant it is, not a reason, and says in which language to write it (walk-staff #5)", async () => {
    const c = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'screening' } as never);
    const hint = (html: string) => new RegExp('<p class="hint" id="f-reason-resume-hint">([^<]*)</p>').exec(html)?.[1];
    const en = (await page(await signedIn(t, hr1), `/cases/${c._id}`)).text;
    expect(text(hint(en) ?? '')).to.equal('Added to the e-mail telling the applicant that work on the case resumes, and shown on their page, in Vietnamese: write in that language.');
    expect(en).to.match(/<label for="f-reason-resume">Note to the applicant \(optional\)/);
    const vi = (await page(await signedIn(t, await createUser({ role: 'hr_officer', institute: hr1.institute, locale: 'vi' })), `/cases/${c._id}`)).text;
    expect(text(hint(vi) ?? '')).to.equal('Được thêm vào e-mail báo ứng viên hồ sơ được tiếp tục xử lý và hiện trên trang của họ, bằng tiếng Việt: hãy viết bằng ngôn ngữ đó.');
  });

  it('says beside each reason whether the applicant is told it, and tells them why their case is on hold', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    for (const action of ['reject', 'put_on_hold']) {
      const hint = new RegExp(`<p class="hint" id="f-reason-${action}-hint">([^<]*)</p>`).exec(p.text)?.[1];
      // And in which language to write it: the applicant's e-mail is in theirs, the reason goes in as typed (walk 28 #3).
      expect(hint, action).to.equal('The applicant is told this reason, by e-mail and on their page. The applicant is told in Vietnamese: write the reason in that language.');
      expect(p.text, action).to.include(`id="f-reason-${action}"`);
    }
    expect(p.text).not.to.include('id="f-reason"');
    // Each field allows what the server accepts (a 2,990-character hold reason was refused as "invalid").
    expect(p.text).to.match(/id="f-reason-put_on_hold" name="reason" rows="2" required maxlength="2000"/);
    expect(p.text).to.match(/id="f-reason-reject" name="reason" rows="2" required maxlength="5000"/);
    // Every decision has a reason: a hold without one is refused beside the field, nothing changes.
    const bare = await post(a, p.text, `/cases/${c._id}/actions/put_on_hold`, { version: String(c.version), reason: '  ' });
    expect(bare.status).to.equal(422);
    expect(bare.text).to.match(/id="f-reason-put_on_hold-error"/);
    expect((await snapshot(c)).stage).to.equal('screening');
    expect((await postConfirmed(a, p.text, c._id, 'put_on_hold', { version: String(c.version), reason: 'Waiting for the 2027 budget decision', reviewBy: holdReviewDay() })).confirmed.status).to.equal(303);
    const mine = await page(await signedIn(t, applicant), `/applications/${c._id}`);
    expect(text(mine.text)).to.include('Waiting for the 2027 budget decision');
  });

  it("shows the case's e-mails by the mail log's rule: the institute's HR and administrators, not a leader or another institute's panel member", async () => {
    const c = await createCase({ applicant, call, stage: 'evaluation' });
    await Case.updateOne({ _id: c._id }, { $push: { outbox: { key: `emails-${c._id}`, template: 'submitted', to: applicant.email, locale: 'vi', createdAt: new Date(), nextAttemptAt: new Date(), status: 'dead', attempts: 8, lastError: '550 mailbox unavailable' } } });
    const panelOfficer = await createUser({ role: 'hr_officer', panelCalls: [call._id] });
    for (const who of [hr1, admin]) {
      const html = (await page(await signedIn(t, who), `/cases/${c._id}`)).text;
      expect(html, who.role).to.include('id="emails"');
      expect(html.slice(html.indexOf('id="emails"')), who.role).to.include(applicant.email).and.to.include('550 mailbox unavailable');
    }
    for (const who of [leader, panelOfficer]) {
      const res = await page(await signedIn(t, who), `/cases/${c._id}`);
      // Another institute's panel member opens no case file at all (walk s36): the shortlist is theirs.
      expect(res.status, who.name).to.equal(who === leader ? 200 : 404);
      expect(res.text, who.name).not.to.include('id="emails"');
      expect(res.text, who.name).not.to.include('550 mailbox unavailable');
    }
  });

  it("keeps HR's notes and the messages with the applicant to the institute: another institute's panel member evaluating the case does not read them", async () => {
    const c = await createCase({ applicant, call, stage: 'evaluation' });
    const at = new Date();
    await Case.updateOne({ _id: c._id }, { $push: { notes: { at, author: hr1._id, text: 'Referee hinted at a salary dispute' }, messages: { at, author: applicant._id, fromApplicant: true, text: 'My daughter is ill, may I answer next week?' } } });
    const outsider = await createUser({ role: 'hr_officer', locale: 'vi', panelCalls: [call._id] });
    const res = await page(await signedIn(t, outsider), `/cases/${c._id}`);
    // Walk s36: the case file is not theirs at all ("not found"); they evaluate from the shortlist's case page.
    expect(res.status, 'the case file refused to the panel member').to.equal(404);
    const seen = res.text;
    expect(seen).not.to.include(c.reference);
    expect(seen).not.to.include('salary dispute');
    expect(seen).not.to.include('My daughter is ill');
    expect(seen).not.to.include('id="notes"');
    expect(seen).not.to.include('id="messages"');
    const panelPage = text((await page(await signedIn(t, outsider), `/shortlists/${call._id}/cases/${c._id}`)).text);
    expect(panelPage, 'the shortlist\'s case page is theirs').to.include(c.reference);
    expect(panelPage).not.to.include('salary dispute').and.not.to.include('My daughter is ill');
    for (const who of [hr1, leader, admin]) {
      const html = (await page(await signedIn(t, who), `/cases/${c._id}`)).text;
      expect(html, who.role).to.include('salary dispute').and.to.include('My daughter is ill');
      expect(html, who.role).not.to.include('id="institute-only"');
    }
  });

  it("keeps a procedure's internal note and HR's own reasons from another institute's panel member: what the applicant was told and the leaders' reasons stay (walk-staff #1)", async () => {
    const DAY = 86_400_000;
    const c = await createCase({ applicant, call, stage: 'onboarding', profile: { fullName: 'Nguyễn Văn An', plannedArrival: new Date(Date.now() + 200 * DAY) }, supportTracks: [{ kind: 'housing', status: 'requested' }] as never });
    await Case.updateOne({ _id: c._id }, { $push: { history: { at: new Date(), actor: leader._id, actorRole: 'leader', action: 'approve_offer', from: 'shortlisted', to: 'offer', note: 'Budget line agreed by the board' } } });
    const h = await signedIn(t, hr1);
    const url = `/cases/${c._id}/procedures/housing`;
    const form = await page(h, url);
    const saved = await post(h, form.text, url, { version: versionIn(form.text, url), status: 'preparing', note: 'Landlord wants a deposit waiver', message: 'Chúng tôi đang chuẩn bị chỗ ở cho Ông/Bà.' });
    expect(saved.status, saved.text.slice(0, 300)).to.equal(303);
    const shown = await page(h, `/cases/${c._id}`);
    const moveUrl = `/cases/${c._id}/planned-start`;
    let day = new Date(Date.now() + 230 * DAY);
    while ([0, 6].includes(day.getUTCDay())) day = new Date(day.getTime() + DAY);
    const moved = await post(h, shown.text, moveUrl, { version: versionIn(shown.text, moveUrl), plannedStart: vnDateKey(day), plannedStartReason: 'Spouse contract ends late, told by phone' });
    expect(moved.status, moved.text.slice(0, 300)).to.equal(303);

    const outsider = await createUser({ role: 'leader', locale: 'en', panelCalls: [call._id] });
    const file = await page(await signedIn(t, outsider), `/cases/${c._id}`);
    expect(file.status, 'the case file refused to the panel member (walk s36)').to.equal(404);
    const seen = text((await page(await signedIn(t, outsider), `/shortlists/${call._id}/cases/${c._id}`)).text);
    expect(seen, 'the panel member sees the case on the shortlist').to.include(c.reference);
    expect(seen, "the procedure's internal note").not.to.include('Landlord wants a deposit waiver');
    expect(seen, "HR's reason for moving the start").not.to.include('Spouse contract ends late');
    // Nor any written reason or words to the applicant (trust-fix #1: the outcome, never the words).
    expect(seen, 'what HR wrote the applicant').not.to.include('Chúng tôi đang chuẩn bị chỗ ở cho Ông/Bà.');
    expect(seen, "the leaders' reason").not.to.include('Budget line agreed by the board');
    for (const who of [hr1, leader, admin]) {
      const html = text((await page(await signedIn(t, who), `/cases/${c._id}`)).text);
      expect(html, who.role).to.include('Landlord wants a deposit waiver').and.to.include('Spouse contract ends late');
    }
  });

  it('adds a note or a message once when the same form is sent twice, one after the other or at once', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    const keyOf = (action: string) => new RegExp(`action="${action}"[^>]*>[\\s\\S]*?name="formKey" value="([a-f0-9]{32})"`).exec(p.text)![1]!;
    const noteKey = keyOf(`/cases/${c._id}/notes`);
    const messageKey = keyOf(`/cases/${c._id}/messages`);
    expect(noteKey).not.to.equal(messageKey);
    for (let i = 0; i < 2; i++) expect((await post(a, p.text, `/cases/${c._id}/notes`, { note: 'Referee called back', formKey: noteKey })).status).to.equal(303);
    const both = await Promise.all([0, 1].map(() => post(a, p.text, `/cases/${c._id}/messages`, { message: 'Please send the diploma scan', formKey: messageKey })));
    expect(both.map((r) => r.status)).to.deep.equal([303, 303]);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.notes.filter((n) => n.text === 'Referee called back')).to.have.length(1);
    expect(after.messages.filter((m) => m.text === 'Please send the diploma scan')).to.have.length(1);
    expect(after.outbox.filter((o) => o.template === 'message_received')).to.have.length(1);
    // A new page renders a new key: the same words sent again on purpose are a second message.
    const again = await page(a, `/cases/${c._id}`);
    expect((await post(a, again.text, `/cases/${c._id}/messages`, { message: 'Please send the diploma scan', formKey: new RegExp(`action="/cases/${c._id}/messages"[^>]*>[\\s\\S]*?name="formKey" value="([a-f0-9]{32})"`).exec(again.text)![1]! })).status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.messages).to.have.length(2);
  });

  it('refuses a due date or arrival day that is not on the calendar, saying so in the officer\'s language, instead of rolling it over', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const form = await page(a, `/cases/${c._id}/request-info`);
    const v = versionIn(form.text, `/cases/${c._id}/request-info`);
    // 2027-02-31 became 2027-03-03 through new Date(); the others said "in the future" or "fill in".
    for (const dueAt of ['2027-02-31', '2026-02-30', '2026-13-01', 'next friday', '0000-01-01']) {
      const res = await post(a, form.text, `/cases/${c._id}/request-info`, { version: v, items: 'Degree translation', dueAt });
      expect(res.status, dueAt).to.equal(422);
      expect(text(res.text), dueAt).to.include('This is not a date: type it as day/month/year, for example 05/12/2026.');
      expect(text(res.text), dueAt).to.include(`value="${dayFirst(dueAt)}"`);
    }
    expect((await Case.findById(c._id).lean())!.stage).to.equal('screening');
    expect((await Case.findById(c._id).lean())!.outbox).to.have.length(0);

    const arriving = await createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: new Date(Date.now() - 20 * 86_400_000), supportTracks: [{ kind: 'work_permit', status: 'approved' }, { kind: 'visa', status: 'approved' }] as never });
    const vi = await signedIn(t, await createUser({ role: 'hr_officer', institute: call.institute, locale: 'vi' }));
    const url = `/cases/${arriving._id}/actions/mark_arrived`;
    const p = await page(vi, `/cases/${arriving._id}`);
    for (const arrivedOn of ['2026-13-01', 'tomorrow']) {
      const res = await post(vi, p.text, url, { version: versionIn(p.text, url), arrivedOn });
      expect(res.status, arrivedOn).to.equal(422);
      expect(text(res.text), arrivedOn).to.include('Đây không phải là một ngày: hãy nhập theo dạng ngày/tháng/năm, ví dụ 05/12/2026.');
    }
    expect((await Case.findById(arriving._id).lean())!.stage).to.equal('onboarding');
  });

  it('records arrival on the day HR gives (never prefilled, required), never in the future nor before the offer was accepted', async () => {
    const DAY = 86_400_000;
    const c = await createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: new Date(Date.now() - 20 * DAY), supportTracks: [{ kind: 'work_permit', status: 'approved' }, { kind: 'visa', status: 'approved' }] as never });
    const a = await signedIn(t, hr1);
    const url = `/cases/${c._id}/actions/mark_arrived`;
    const p = await page(a, `/cases/${c._id}`);
    const today = vnDateKey(new Date());
    // Not prefilled with today: HR picks the day (walk finding #13); the latest allowed is today.
    expect(p.text).to.match(/name="arrivedOn" type="text" value=""[^>]* data-day data-max="\d{4}-\d{2}-\d{2}" required/);
    // No picker bounds on a typed day: a future one is refused by the server (below).
    void today;
    const version = versionIn(p.text, url);
    const blank = await post(a, p.text, url, { version, arrivedOn: '' });
    expect(blank.status).to.equal(422);
    expect(text(blank.text)).to.include('Enter the day the expert arrived and started work.');
    expect((await Case.findById(c._id).lean())!.arrivedAt).to.equal(undefined);
    for (const [day, message] of [
      // Each names the days allowed (the text field has no min/max the browser keeps to).
      [vnDateKey(new Date(Date.now() + 2 * DAY)), 'The arrival date cannot be in the future: a day between '],
      [vnDateKey(new Date(Date.now() - 30 * DAY)), 'The arrival date cannot be before the offer was accepted: a day between '],
    ] as const) {
      const res = await post(a, p.text, url, { version, arrivedOn: day });
      expect(res.status, day).to.equal(422);
      expect(text(res.text)).to.include(message);
      expect(res.text).to.include(`value="${dayFirst(day)}"`); // what was typed comes back
    }
    expect((await Case.findById(c._id).lean())!.stage).to.equal('onboarding');
    const arrivedOn = vnDateKey(new Date(Date.now() - 3 * DAY));
    expect(await post(a, p.text, url, { version, arrivedOn })).to.have.property('status', 303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('arrived');
    expect(vnDateKey(after.arrivedAt!)).to.equal(arrivedOn);
  });

  it('assigns to an officer of the institute only', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    const bad = await post(a, p.text, `/cases/${c._id}/assign`, { assignee: String(otherHr._id) });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('Choose an HR officer of this institute.');
    expect((await snapshot(c)).assignee).to.equal('');
    expect((await post(a, p.text, `/cases/${c._id}/assign`, { assignee: String(hr2._id) })).status).to.equal(303);
    expect((await snapshot(c)).assignee).to.equal(String(hr2._id));
    // An administrator may do every staff action.
    const ad = await signedIn(t, admin);
    const adp = await page(ad, `/cases/${c._id}`);
    expect((await post(ad, adp.text, `/cases/${c._id}/assign`, { assignee: '' })).status).to.equal(303);
    expect((await snapshot(c)).assignee).to.equal('');
  });

  it('updates a support track with a working-day deadline, and refuses a stale version with the 409 page', async () => {
    const c = await createCase({ applicant, call, stage: 'onboarding', supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: new Date(Date.now() - 86_400_000) }] } as never);
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    expect(p.text).to.include('data-track="work_permit"');
    const row = p.text.slice(p.text.indexOf('data-track="work_permit"'));
    expect(row.slice(0, row.indexOf('</tr>'))).to.include('badge err'); // overdue
    const v = versionIn(p.text, `/cases/${c._id}/support/work_permit`);
    // Filing needs its date (the quick form alone opens the procedure's page to type it: test/procedures/http.test.ts).
    const ok = await post(a, p.text, `/cases/${c._id}/support/work_permit`, { version: v, status: 'filed', filedAt: vnDateKey(new Date()), note: 'Filed at DOLISA' });
    expect(ok.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    const track = after.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(track.status).to.equal('filed');
    expect(track.dueAt!.getTime()).to.be.greaterThan(Date.now() + 10 * 86_400_000); // 10 working days is at least two weeks
    expect(after.version).to.equal(c.version + 1);
    const stale = await post(a, p.text, `/cases/${c._id}/support/visa`, { version: v, status: 'requested' });
    expect(stale.status).to.equal(409);
    // Says which procedure changed meanwhile.
    expect(text(stale.text)).to.include('Procedure updated: Work permit');
    expect((await Case.findById(c._id).lean())!.supportTracks).to.have.length(1);
  });
});
