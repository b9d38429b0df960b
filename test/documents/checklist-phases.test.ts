// The document counter and slots follow the case's phase (server/documents/rules.ts phaseDue): the
// signed offer letter, health certificate and criminal record come once the offer is accepted, so a new
// application counts only its own documents ("0/5", not "0/8"); a rejected, withdrawn or closed case
// no longer lists slots it will never need. The same on the applicant's page and the officer's.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { signedIn, page } from '../applications/support.ts';
import { CaseDocument } from '../../models/document.ts';
import type { CallDoc } from '../../models/call.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { DocumentType, Stage } from '../../models/constants.ts';

const APPLICATION = ['cv', 'degree', 'degree_translation', 'publications_list', 'photo'] as const;

describe('documents: the counter and the slots follow the case phase', function () {
  this.timeout(60_000);
  let t: TestApp;
  let call: CallDoc;
  let applicant: UserDoc;
  let hr: UserDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    call = await createCall({
      institute,
      checklist: [
        ...APPLICATION.map((type) => ({ type, phase: 'application', required: true })),
        { type: 'signed_offer', phase: 'offer', required: true },
        { type: 'health_certificate', phase: 'onboarding', required: true },
        { type: 'criminal_record', phase: 'onboarding', required: true },
      ] as never,
    });
    applicant = await createUser({ role: 'applicant', locale: 'vi' });
    hr = await createUser({ role: 'hr_officer', institute, locale: 'vi' });
  });
  after(async () => {
    await t?.close();
  });

  async function caseWith(stage: Stage, accepted: readonly DocumentType[], extra: Record<string, unknown> = {}): Promise<CaseDoc> {
    const c = await createCase({ applicant, call, stage, ...extra });
    for (const type of accepted) {
      await CaseDocument.create({
        case: c._id,
        type,
        version: 1,
        current: true,
        storage: 'disk',
        storageKey: `test/${String(c._id)}/${type}`,
        originalName: `${type}.pdf`,
        mimeType: 'application/pdf',
        size: 1000,
        sha256: 'a'.repeat(64),
        uploadedBy: applicant._id,
        status: 'accepted',
        reviewedBy: hr._id,
        reviewedAt: new Date(),
      });
    }
    return c;
  }

  /** The counter and the listed slots (type → later-phase badge shown) of a case's page. */
  async function checklistOn(user: UserDoc, url: string) {
    const res = await page(await signedIn(t, user), url);
    expect(res.status, url).to.equal(200);
    const summary = res.text.match(/data-documents-summary>([^<·]*)/)?.[1]?.trim();
    const slots = Object.fromEntries(
      [...res.text.matchAll(/<li class="checklist-item[^"]*" id="doc-([a-z_]+)"[\s\S]*?<\/div>/g)].map((m) => [m[1]!, m[0].includes('data-item-later')]),
    );
    return { summary, slots, html: res.text };
  }

  const both = (c: CaseDoc) => [
    [applicant, `/applications/${String(c._id)}`],
    [hr, `/cases/${String(c._id)}`],
  ] as const;

  it('counts only the application documents before the offer, and marks the later ones as not due yet', async () => {
    const c = await caseWith('submitted', ['cv', 'degree']);
    for (const [user, url] of both(c)) {
      const { summary, slots, html } = await checklistOn(user, url);
      expect(summary, user.role).to.equal('Đã chấp nhận 2/5 giấy tờ');
      expect(Object.keys(slots), user.role).to.have.members([...APPLICATION, 'signed_offer', 'health_certificate', 'criminal_record']);
      expect(slots, user.role).to.deep.include({ cv: false, photo: false, signed_offer: true, health_certificate: true, criminal_record: true });
      expect(html).to.include('Chưa đến lúc nộp');
    }
  });

  it('counts every document once the offer is accepted, not while it waits for an answer', async () => {
    const c = await caseWith('onboarding', ['cv', 'degree', 'photo']);
    for (const [user, url] of both(c)) {
      const { summary, slots } = await checklistOn(user, url);
      expect(summary, user.role).to.equal('Đã chấp nhận 3/8 giấy tờ');
      expect(slots, user.role).to.deep.include({ signed_offer: false, health_certificate: false, criminal_record: false });
    }
    // The offer made, not answered: the signed copy and the certificates come after acceptance.
    const open = await caseWith('offer', ['cv', 'degree', 'photo']);
    for (const [user, url] of both(open)) {
      const { summary, slots } = await checklistOn(user, url);
      expect(summary, user.role).to.equal('Đã chấp nhận 3/5 giấy tờ');
      expect(slots, user.role).to.deep.include({ signed_offer: true, health_certificate: true, criminal_record: true });
    }
    // On hold: by the stage it resumes.
    const held = await caseWith('on_hold', ['cv'], { resumeStage: 'offer' });
    expect((await checklistOn(hr, `/cases/${String(held._id)}`)).summary).to.equal('Đã chấp nhận 1/5 giấy tờ');
    const heldAfter = await caseWith('on_hold', ['cv'], { resumeStage: 'onboarding' });
    expect((await checklistOn(hr, `/cases/${String(heldAfter._id)}`)).summary).to.equal('Đã chấp nhận 1/8 giấy tờ');
  });

  for (const stage of ['rejected', 'withdrawn', 'closed'] as const) {
    it(`drops the later slots on a ${stage} case that holds none of their files, and counts what remains`, async () => {
      const c = await caseWith(stage, ['cv', 'degree', 'photo']);
      for (const [user, url] of both(c)) {
        const { summary, slots } = await checklistOn(user, url);
        expect(summary, user.role).to.equal('Đã chấp nhận 3/5 giấy tờ');
        expect(Object.keys(slots), user.role).to.have.members([...APPLICATION]);
      }
    });
  }

  it('keeps a later document that was sent on a case that ended (withdrawn after the offer), and counts it', async () => {
    const c = await caseWith('withdrawn', ['cv', 'degree', 'photo', 'signed_offer']);
    for (const [user, url] of both(c)) {
      const { summary, slots } = await checklistOn(user, url);
      expect(summary, user.role).to.equal('Đã chấp nhận 4/6 giấy tờ');
      expect(Object.keys(slots), user.role).to.have.members([...APPLICATION, 'signed_offer']);
      expect(slots.signed_offer, user.role).to.equal(false);
    }
  });
});
