// The HR officer's daily work (second walk-through): the language hint of the information request,
// honest bulk and single assignment, reloadable addresses after a refused step, the "send to
// evaluation" rule shown beside its button, flashes that do not claim a delivery, and a timeline
// that says each thing once.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, text } from '../applications/support.ts';

describe("cases: the HR officer's day", () => {
  let t: TestApp;
  let hr1: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    hr1 = await createUser({ role: 'hr_officer', institute, name: 'Officer One' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Trần Thu Hà', locale: 'vi' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  it("tells the officer on the information request form which language the applicant reads (en, vi), also when the form is refused", async () => {
    for (const [locale, en, vi] of [['en', 'English', 'tiếng Anh'], ['vi', 'Vietnamese', 'tiếng Việt']] as const) {
      const who = await createUser({ role: 'applicant', locale });
      const c = await createCase({ applicant: who, call, stage: 'screening' });
      const a = await signedIn(t, hr1);
      const form = await page(a, `/cases/${c._id}/request-info`);
      expect(form.status).to.equal(200);
      expect(text(form.text), locale).to.include(`One item per line. The applicant is told in ${en}: write the items in that language.`);
      const bad = await post(a, form.text, `/cases/${c._id}/request-info`, { version: versionIn(form.text, `/cases/${c._id}/request-info`), items: '', dueAt: '' });
      expect(bad.status).to.equal(422);
      expect(text(bad.text), locale).to.include(`The applicant is told in ${en}: write the items in that language.`);
      const viForm = await page(await signedIn(t, hrVi), `/cases/${c._id}/request-info`);
      expect(text(viForm.text), locale).to.include(`Ứng viên được báo bằng ${vi}: hãy viết các mục bằng ngôn ngữ đó.`);
    }
  });

  it('assigns in bulk only the cases whose assignee changes, and says how many went to whom, were already theirs, or could not be (en, vi)', async () => {
    const other = await createUser({ role: 'hr_officer', institute: call.institute, name: 'Officer Two' });
    const stranger = await createCall({ institute: await createInstitute(), checklist: [] });
    const applicant = await createUser({ role: 'applicant' });
    const fresh = await Promise.all([0, 1, 2].map(() => createCase({ applicant, call, stage: 'screening' })));
    const theirs = await Promise.all([0, 1].map(() => createCase({ applicant, call, stage: 'screening', assignee: other._id })));
    const foreign = await createCase({ applicant, call: stranger, stage: 'screening' });
    const historyOf = async (c: { _id: unknown }) => (await Case.findById(c._id).lean())!.history.length;
    const theirsBefore = await Promise.all(theirs.map(historyOf));
    const a = await signedIn(t, hr1);
    const q = await page(a, '/cases');
    const res = await post(a, q.text, '/cases/bulk-assign', { ids: [...fresh, ...theirs, foreign].map((c) => String(c._id)), assignee: String(other._id), back: '/cases' });
    expect(res.status).to.equal(303);
    const shown = text((await page(a, res.headers.location!)).text);
    expect(shown).to.include('3 cases assigned to Officer Two. 2 were already theirs and were left as they were. 1 could not be assigned: it is not a case of your institute, or still a draft. Officer Two gets no e-mail about it: the cases show in their queue.');
    for (const c of fresh) expect(String((await Case.findById(c._id).lean())!.assignee)).to.equal(String(other._id));
    expect(await Promise.all(theirs.map(historyOf))).to.deep.equal(theirsBefore);
    expect((await Case.findById(foreign._id).lean())!.assignee).to.equal(undefined);
    // Again, in Vietnamese: nothing changes, and the page says so instead of "assigned".
    const vi = await signedIn(t, hrVi);
    const vq = await page(vi, '/cases');
    const freshBefore = await Promise.all(fresh.map(historyOf));
    const again = await post(vi, vq.text, '/cases/bulk-assign', { ids: fresh.map((c) => String(c._id)), assignee: String(other._id), back: '/cases' });
    const viShown = text((await page(vi, again.headers.location!)).text);
    expect(viShown).to.include('Không hồ sơ nào thay đổi: các hồ sơ đã chọn đã được giao cho Officer Two từ trước. 3 hồ sơ đã được giao cho người này từ trước và được giữ nguyên.');
    expect(await Promise.all(fresh.map(historyOf))).to.deep.equal(freshBefore);
  });

  it('says on the case page to whom the case went, and writes nothing when it already had that officer', async () => {
    const other = await createUser({ role: 'hr_officer', institute: call.institute, name: 'Officer Three' });
    const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    const first = await post(a, p.text, `/cases/${c._id}/assign`, { assignee: String(other._id) });
    expect(first.status).to.equal(303);
    expect(text((await page(a, first.headers.location!)).text)).to.include('The case is now assigned to Officer Three. Officer Three gets no e-mail about it: it shows in their queue.');
    const before = (await Case.findById(c._id).lean())!;
    const again = await post(a, p.text, `/cases/${c._id}/assign`, { assignee: String(other._id) });
    expect(again.status).to.equal(303);
    expect(text((await page(a, again.headers.location!)).text)).to.include('The case was already assigned to Officer Three: nothing was changed.');
    const vi = await signedIn(t, hrVi);
    const vp = await page(vi, `/cases/${c._id}`);
    const viAgain = await post(vi, vp.text, `/cases/${c._id}/assign`, { assignee: String(other._id) });
    expect(text((await page(vi, viAgain.headers.location!)).text)).to.include('Hồ sơ đã được giao cho Officer Three từ trước: không có gì thay đổi.');
    const after = (await Case.findById(c._id).lean())!;
    expect(after.history.length).to.equal(before.history.length);
    expect(String(after.assignee)).to.equal(String(other._id));
  });

  it('answers a reload of the address a refused step leaves (a POST-only action) with the page it belongs to, not "Not found"', async () => {
    const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const p = await page(a, `/cases/${c._id}`);
    const refused = await post(a, p.text, `/cases/${c._id}/actions/reject`, { version: versionIn(p.text, `/cases/${c._id}/actions/reject`), reason: '' });
    expect(refused.status).to.equal(422);
    for (const [path, to] of [
      [`/cases/${c._id}/actions/reject`, `/cases/${c._id}`],
      [`/cases/${c._id}/assign`, `/cases/${c._id}`],
      [`/cases/${c._id}/notes`, `/cases/${c._id}`],
      [`/cases/${c._id}/messages`, `/cases/${c._id}`],
      [`/cases/${c._id}/support/visa`, `/cases/${c._id}#support`],
      ['/cases/bulk-assign', '/cases'],
      ['/account/password', '/account'],
      ['/account/second-factor/recovery-codes', '/account/second-factor'],
    ] as const) {
      const res = await page(a, path);
      expect(res.status, path).to.equal(303);
      expect(res.headers.location, path).to.equal(to);
    }
    const ap = await signedIn(t, await createUser({ role: 'applicant' }));
    for (const action of ['submit', 'answer', 'offer', 'messages']) {
      const res = await page(ap, `/applications/${c._id}/${action}`);
      expect(res.status, action).to.equal(303);
      expect(res.headers.location, action).to.equal(`/applications/${c._id}`);
    }
    // The redirect names only the page of the address: an odd id stays one path segment.
    const odd = await page(a, '/cases/a%2F..%2Fadmin/notes');
    expect(odd.headers.location).to.equal('/cases/a%2F..%2Fadmin');
  });

  it('says beside "Send to evaluation" from the start what the documents still lack, and keeps the button disabled until they allow it (en, vi)', async () => {
    const docsCall = await createCall({ institute: call.institute, checklist: [{ type: 'cv', phase: 'application', required: true }] });
    const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call: docsCall, stage: 'screening' });
    const buttonOf = (html: string, id: unknown) => {
      const form = html.slice(html.indexOf(`action="/cases/${String(id)}/actions/send_to_evaluation"`));
      return form.slice(0, form.indexOf('</form>'));
    };
    const beside = buttonOf((await page(await signedIn(t, hr1), `/cases/${c._id}`)).text, c._id);
    expect(beside).to.match(/data-action="send_to_evaluation" disabled aria-describedby="documents-error"/);
    expect(text(beside)).to.include('id="documents-error">Every required application document must be accepted first; not yet: Curriculum vitae.');
    const viBeside = buttonOf((await page(await signedIn(t, hrVi), `/cases/${c._id}`)).text, c._id);
    expect(viBeside).to.include('disabled aria-describedby="documents-error"');
    expect(viBeside).to.include('id="documents-error">Mọi giấy tờ bắt buộc của hồ sơ phải được chấp nhận trước; còn thiếu: Sơ yếu lý lịch khoa học (CV).');
    // Without required documents the rule holds: the button is there to click, with nothing beside it.
    const free = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'screening' });
    const freeBeside = buttonOf((await page(await signedIn(t, hr1), `/cases/${free._id}`)).text, free._id);
    expect(freeBeside).to.include('data-action="send_to_evaluation">');
    expect(freeBeside).not.to.include('documents-error');
  });

  it('says an e-mail is on its way, to whom, and where to follow it, rather than that the applicant was told (en, vi)', async () => {
    const who = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await createCase({ applicant: who, call, stage: 'screening' });
    const a = await signedIn(t, hr1);
    const form = await page(a, `/cases/${c._id}/request-info`);
    const due = (form.text.match(/name="dueAt" type="text" value="([0-9/]+)"/) ?? [])[1]!;
    const asked = await post(a, form.text, `/cases/${c._id}/request-info`, { version: versionIn(form.text, `/cases/${c._id}/request-info`), items: 'Bản dịch bằng tiến sĩ', dueAt: due });
    expect(asked.status).to.equal(303);
    const shown = text((await page(a, asked.headers.location!)).text);
    expect(shown).to.include(`The request is recorded and shows on the applicant's page; an e-mail to ${who.email} is on its way (see “E-mails sent on this case”).`);
    // The e-mail is still waiting in the outbox: the words hold whatever happens to its delivery.
    expect(shown).to.include('Waiting to be sent');
    expect(shown).not.to.include('The request was sent to the applicant');
    const vi = await signedIn(t, hrVi);
    const vp = await page(vi, `/cases/${c._id}`);
    const said = await post(vi, vp.text, `/cases/${c._id}/messages`, { message: 'Xin chào' });
    expect(text((await page(vi, said.headers.location!)).text)).to.include(`Tin nhắn đã được lưu vào hồ sơ; một e-mail gửi tới ${who.email} đang trên đường đi (xem “E-mail đã gửi về hồ sơ này”).`);
  });

  it('says each thing once in the timeline: no "Screening started → Screening" ("Bắt đầu sơ tuyển → Đang sơ tuyển"), and "Assigned to X" by Y, or "Took the case" (en, vi)', async () => {
    const other = await createUser({ role: 'hr_officer', institute: call.institute, name: 'Officer Four' });
    const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'submitted' });
    const a = await signedIn(t, hrVi);
    const p = await page(a, `/cases/${c._id}`);
    expect((await post(a, p.text, `/cases/${c._id}/actions/start_screening`, { version: versionIn(p.text, `/cases/${c._id}/actions/start_screening`) })).status).to.equal(303);
    expect((await post(a, p.text, `/cases/${c._id}/assign`, { assignee: String(hrVi._id) })).status).to.equal(303);
    expect((await post(a, p.text, `/cases/${c._id}/assign`, { assignee: String(other._id) })).status).to.equal(303);
    const timelineOf = (html: string) => {
      const at = html.indexOf('id="timeline"');
      return text(html.slice(at, html.indexOf('</section>', at))).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    };
    const en = timelineOf((await page(await signedIn(t, hr1), `/cases/${c._id}`)).text);
    expect(en).to.include('Screening started ');
    expect(en).not.to.include('Screening started → Screening');
    expect(en).to.match(/Assigned to Officer Four [^·]*· Trần Thu Hà/);
    expect(en).to.match(/Took the case [^·]*· Trần Thu Hà/);
    expect(en).not.to.match(/Trần Thu Hà Trần Thu Hà/);
    const vi = timelineOf((await page(a, `/cases/${c._id}`)).text);
    expect(vi).to.include('Bắt đầu sơ tuyển ');
    expect(vi).not.to.include('Bắt đầu sơ tuyển → Đang sơ tuyển');
    expect(vi).to.include('Giao cho Officer Four');
    expect(vi).to.include('Nhận hồ sơ');
  });
});
