// A request to the applicant within a procedure does not outlive the procedure's decision (walk 26
// #6): once the authority grants or refuses, or HR records the procedure not needed, its open
// requests are closed by that change, over HTTP on a test clock: both sides stop showing them as
// owed (HR's case page and procedure page, the queue's overdue flag, the case's next deadline, the
// applicant's page), the history and audit say which were closed, and the status e-mail on the real
// SMTP server tells the applicant, in their language, that they are no longer needed. A "done" or
// "received" sent from a page opened before writes nothing.
import { expect } from 'chai';
import { Types } from 'mongoose';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { vnEndOfDay } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import { procedureWorld, snapshot, vn } from './support.ts';

const endOf = (day: string) => vnEndOfDay(vn(day));

describe('procedures: a decision closes the requests still open to the applicant', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock = vn('2027-03-12');
  let hrEn: UserDoc;
  let applicantVi: UserDoc;
  let applicantEn: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn, call } = await procedureWorld(() => clock));
    applicantVi = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    applicantEn = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
  });
  after(async () => {
    await t?.close();
  });

  /** A work permit lodged on 1 Mar 2027 with a request asked on 3 Mar, due Wed 10 Mar (already past on the 12th). */
  function caseWithAsk(applicant: UserDoc, status: 'filed' | 'preparing', askText: string): Promise<CaseDoc> {
    return createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hrEn._id,
      supportTracks: [
        {
          kind: 'work_permit',
          status,
          ...(status === 'filed' ? { filedAt: vn('2027-03-01') } : {}),
          dueAt: endOf('2027-03-15'),
          updatedAt: vn('2027-03-03'),
          asks: [{ _id: new Types.ObjectId(), text: askText, askedAt: vn('2027-03-03'), askedBy: hrEn._id, dueAt: endOf('2027-03-10'), stopsClock: false }],
        },
      ],
    });
  }

  const row = (html: string, c: CaseDoc) => html.slice(html.indexOf(`data-case="${c._id}"`), html.indexOf('</tr>', html.indexOf(`data-case="${c._id}"`)));

  it('a grant closes the open request: recorded, audited, shown as closed to HR, gone from the applicant, and the e-mail (vi) says it is no longer needed', async () => {
    clock = vn('2027-03-12');
    const askText = 'Xin gửi bản dịch công chứng bằng tiến sĩ.';
    const c = await caseWithAsk(applicantVi, 'filed', askText);
    const askId = String(c.supportTracks[0]!.asks![0]!._id);
    const hr = await signedIn(t, hrEn);
    const me = await signedIn(t, applicantVi);

    // Before: both sides show it as owed, and the queue flags it past its date.
    expect(text((await page(hr, `/cases/${c._id}`)).text)).to.include('Asked of the applicant by');
    expect(row((await page(hr, '/cases?assignee=me')).text, c)).to.include('Work permit');
    const mineBefore = await page(me, `/applications/${c._id}`);
    const doneUrl = `/applications/${c._id}/procedures/work_permit/asks/${askId}/done`;
    expect(mineBefore.text).to.include(`action="${doneUrl}"`);
    const hrBefore = await page(hr, `/cases/${c._id}/procedures/work_permit`);
    const receivedUrl = `/cases/${c._id}/procedures/work_permit/asks/${askId}/received`;
    expect(hrBefore.text).to.include(`action="${receivedUrl}"`);

    const url = `/cases/${c._id}/procedures/work_permit`;
    const res = await post(hr, hrBefore.text, url, { version: versionIn(hrBefore.text, url), status: 'approved', decidedAt: '2027-03-11' });
    expect(res.status).to.equal(303);

    const stored = (await Case.findById(c._id).lean())!;
    const wp = stored.supportTracks.find((s) => s.kind === 'work_permit')!;
    const a0 = wp.asks![0]!;
    expect(a0.closedAt?.getTime()).to.equal(clock.getTime());
    expect(a0.closedWith).to.equal('approved');
    expect(a0.receivedAt, 'closed, not received').to.equal(undefined);
    // The request's passed date no longer counts: no next deadline on the case from it, no overdue flag.
    expect(stored.nextDueAt).to.equal(null);
    const event = stored.history.at(-1)!;
    expect(event.procedure).to.deep.include({ from: 'filed', to: 'approved', applicantVisible: true });
    expect(event.procedure!.asksClosed).to.deep.equal([askText]);
    const audit = (await AuditEvent.findOne({ action: 'case.support_update', targetId: String(c._id) }).lean())!;
    expect((audit.summary as Record<string, unknown>).asksClosed).to.deep.equal([askId]);

    // HR: the procedure's page says it was closed, and why; the case page no longer counts it down.
    const hrPage = await page(hr, url);
    expect(hrPage.text).to.include(`data-ask="${askId}" data-ask-state="closed"`);
    expect(text(hrPage.text)).to.include('No longer needed: closed on 12 Mar 2027 when the procedure was recorded as “Approved”');
    expect(hrPage.text).not.to.include(`action="${receivedUrl}"`);
    expect(text((await page(hr, `/cases/${c._id}`)).text)).not.to.include('Asked of the applicant by');
    expect(row((await page(hr, '/cases?assignee=me')).text, c)).not.to.include('data-flag="overdue"');

    // The applicant: no request left, and their timeline says it is no longer needed.
    const mine = await page(me, `/applications/${c._id}`);
    expect(mine.text).not.to.include(`action="${doneUrl}"`);
    expect(text(mine.text)).to.include(`Không còn cần: ${askText}`);

    // The e-mail, in Vietnamese, on the SMTP server: the grant, and the request no longer needed.
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantVi.email, /Giấy phép lao động/);
    expect(mail.text).to.include('Những nội dung chúng tôi đã đề nghị Ông/Bà bổ sung cho thủ tục này không còn cần nữa:');
    expect(mail.text).to.include(`- ${askText} (hạn 10/3/2027)`);
    expect(mail.html).to.include('data-asks-closed');
    expect(mail.text).not.to.include('no longer needed');

    // A "done" or "received" from a page opened before the decision writes nothing, and says why.
    const before = await snapshot(c);
    const done = await post(me, mineBefore.text, doneUrl, { version: versionIn(mineBefore.text, doneUrl) });
    expect(done.status).to.equal(303);
    expect(text((await page(me, `/applications/${c._id}`)).text)).to.include('Yêu cầu này đã được đóng khi thủ tục có kết quả');
    const received = await post(hr, hrBefore.text, receivedUrl, { version: versionIn(hrBefore.text, receivedUrl) });
    expect(received.status).to.equal(303);
    expect(text((await page(hr, url)).text)).to.include('This request was closed when the procedure reached its decision');
    expect(await snapshot(c)).to.deep.equal(before);
  });

  it('"not needed" closes it too, and the applicant (en) is e-mailed although a procedure in preparation stopping alone would not be', async () => {
    clock = vn('2027-03-12');
    const askText = 'Please send your marriage certificate.';
    const c = await caseWithAsk(applicantEn, 'preparing', askText);
    const hr = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    const form = await page(hr, url);
    expect((await post(hr, form.text, url, { version: versionIn(form.text, url), status: 'not_needed', message: 'You come under an exemption: no work permit is needed.' })).status).to.equal(303);

    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.supportTracks[0]!.asks![0]!.closedWith).to.equal('not_needed');
    expect(stored.history.at(-1)!.procedure!.applicantVisible).to.equal(true);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantEn.email, /Work permit/);
    expect(mail.text).to.include('What we asked of you for this procedure is no longer needed:');
    expect(mail.text).to.include(`- ${askText} (due 10 Mar 2027)`);
    expect(mail.html).to.include('Please send your marriage certificate.');
  });

  it('a change that keeps the procedure running leaves the request open', async () => {
    clock = vn('2027-03-12');
    const c = await caseWithAsk(applicantEn, 'preparing', 'Please sign the form.');
    const hr = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    const form = await page(hr, url);
    expect((await post(hr, form.text, url, { version: versionIn(form.text, url), status: 'filed', filedAt: '2027-03-12' })).status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.supportTracks[0]!.asks![0]!.closedAt).to.equal(undefined);
    expect(stored.history.at(-1)!.procedure!.asksClosed).to.equal(undefined);
  });
});
