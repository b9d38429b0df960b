// A paper HR asked for within a procedure is asked, not "Optional" (walk s34 #2): the applicant's
// document list says it was asked, by when and the working days left while the request is open,
// for a paper the call does not list and for one it lists as optional. English and Vietnamese.
import { expect } from 'chai';
import { Types } from 'mongoose';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, text } from '../applications/support.ts';
import { procedureWorld, vn } from '../procedures/support.ts';

const endOf = (day: string) => new Date(`${day}T16:59:59.999Z`);
const itemHead = (html: string, type: string) => text((new RegExp(`id="doc-${type}"[\\s\\S]*?<div class="checklist-head">([\\s\\S]*?)</div>`).exec(html)?.[1] ?? '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();

describe('documents: a paper asked for within a procedure reads as asked, with its answer-by date', function () {
  this.timeout(60_000);
  let t: TestApp;
  const clock = vn('2027-03-03');
  let hrEn: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn, call } = await procedureWorld(() => clock, { checklist: [{ type: 'cv', phase: 'application', required: true }, { type: 'degree_translation', phase: 'onboarding', required: false }] }));
  });
  after(async () => {
    await t?.close();
  });

  function caseWithAsks(applicant: UserDoc, asks: Array<{ text: string; documentType: string; receivedAt?: Date }>): Promise<CaseDoc> {
    return createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hrEn._id,
      supportTracks: [{ kind: 'work_permit', status: 'preparing', dueAt: endOf('2027-03-20'), updatedAt: vn('2027-03-01'), asks: asks.map((a) => ({ _id: new Types.ObjectId(), askedAt: vn('2027-03-01'), askedBy: hrEn._id, dueAt: endOf('2027-03-10'), stopsClock: false, ...a })) }],
    });
  }

  it('English: the photo (not in the call) and the optional translation both read "Asked · answer by 10 Mar 2027 (5 working days left)", never "Optional"', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    const c = await caseWithAsks(applicant, [
      { text: 'A 4x6 photo, white background.', documentType: 'photo' },
      { text: 'The certified translation of your diploma.', documentType: 'degree_translation' },
    ]);
    const html = (await page(await signedIn(t, applicant), `/applications/${c._id}`)).text;
    for (const type of ['photo', 'degree_translation']) {
      const head = itemHead(html, type);
      expect(head, type).to.include('Asked · answer by 10 Mar 2027 (5 working days left)');
      expect(head, type).not.to.include('Optional');
    }
  });

  it('Vietnamese: asked and received, it reads "Được yêu cầu" without a date; not "Không bắt buộc"', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Văn Nam' });
    const c = await caseWithAsks(applicant, [{ text: 'Ảnh 4x6 nền trắng.', documentType: 'photo', receivedAt: vn('2027-03-02') }]);
    const head = itemHead((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text, 'photo');
    expect(head).to.include('Được yêu cầu');
    expect(head).not.to.include('Không bắt buộc');
    expect(head).not.to.include('hạn');
  });
});
