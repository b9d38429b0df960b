// The procedure's page says which language the applicant reads (walk 26 #12): beside "Message to
// the applicant" and "What is asked", both sent as written, in the case page's words ("in
// Vietnamese: write in that language"), in the officer's own language.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, text } from '../applications/support.ts';
import { procedureWorld, vn } from './support.ts';

describe('procedures: the page names the language the applicant reads', function () {
  this.timeout(60_000);
  let t: TestApp;
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn, hrVi, call } = await procedureWorld(() => vn('2027-03-01')));
  });
  after(async () => {
    await t?.close();
  });

  /** The hint paragraph of a field (views/partials/field.hbs: id f-<name>-hint). */
  const hintOf = (html: string, name: string) => text(new RegExp(`<p class="hint" id="f-${name}-hint">([^<]*)</p>`).exec(html)?.[1] ?? '');

  it('to an English-speaking officer about a Vietnamese-speaking applicant, and to a Vietnamese-speaking officer about an English-speaking one', async () => {
    const vi = await createUser({ role: 'applicant', locale: 'vi' });
    const en = await createUser({ role: 'applicant', locale: 'en' });
    const track = { kind: 'work_permit', status: 'preparing', updatedAt: vn('2027-02-20') };
    const cVi = await createCase({ applicant: vi, call, stage: 'onboarding', assignee: hrEn._id, supportTracks: [track] });
    const cEn = await createCase({ applicant: en, call, stage: 'onboarding', assignee: hrVi._id, supportTracks: [track] });

    const p1 = (await page(await signedIn(t, hrEn), `/cases/${cVi._id}/procedures/work_permit`)).text;
    const p2 = (await page(await signedIn(t, hrVi), `/cases/${cEn._id}/procedures/work_permit`)).text;
    for (const field of ['message', 'askText']) {
      expect(hintOf(p1, field), field).to.include('The applicant receives an e-mail with the message, in Vietnamese: write in that language.');
      expect(hintOf(p2, field), field).to.include('Ứng viên sẽ nhận e-mail kèm tin nhắn, bằng tiếng Anh: hãy viết bằng ngôn ngữ đó.');
    }
    expect(hintOf(p1, 'message')).to.include("After a refusal, give the authority's written reasons here; when a procedure under way is no longer needed, say why.");
  });
});
