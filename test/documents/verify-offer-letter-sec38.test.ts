// Security review s38: the offer letter is HR's own paper (server/cases/offer-terms.ts), not one of
// the applicant's that HR checks, and it is hidden from the applicant until the offer is made (a
// "not found", server/policies/document.ts). A decision posted on it by hand (the page offers no such
// form) went through: the applicant's timeline then read "Your document “Offer letter”, version 1
// ... refused" with HR's reason while the leader still decided, and was e-mailed. Refused now, with
// no line on the timeline and no e-mail. Real database, real SMTP, the real forms.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import { DOCUMENT_DECISION_EVENT } from '../../server/cases/conflict.ts';
import { page, text, versionIn } from '../applications/support.ts';
import { makePdf, tokenOf } from './support.ts';

const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

describe('documents: no decision on HR’s offer letter (security review s38)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let uploadDir: string;

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-verify-offer-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_STORAGE: 'disk', UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  async function signedIn(user: UserDoc): Promise<Agent> {
    const a = agent(t.app);
    await signIn(a, user);
    return a;
  }

  it('HR posting a refusal of the offer letter while the leader decides: refused, nothing on the applicant’s timeline, no e-mail', async () => {
    const institute = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const call = await createCall({ institute, checklist: [{ type: 'signed_offer', phase: 'offer', required: true }] as never });
    const c = await createCase({ applicant, call, stage: 'shortlisted', assignee: hr });
    const h = await signedIn(hr);
    // The letter attached through the case page's own form, before the offer is made.
    const url = `/cases/${String(c._id)}/offer-terms`;
    const p = await page(h, `/cases/${String(c._id)}`);
    const attached = await h
      .post(url)
      .set('Accept', 'text/html')
      .field('_csrf', await tokenOf(h))
      .field('version', versionIn(p.text, url))
      .field('offerPosition', 'Senior researcher')
      .field('offerSalary', '45,000,000 VND')
      .attach('offer_letter', await makePdf('Offer letter'), 'offer-letter.pdf');
    expect(attached.status, attached.text.slice(0, 300)).to.equal(303);
    const letter = (await CaseDocument.findOne({ case: c._id, type: 'offer_letter' }).lean())!;
    expect(letter, 'the letter is stored').to.not.equal(null);

    const reason = 'Salary line wrong, redo before the leader signs';
    const res = await h.post(`/documents/${String(letter._id)}/verify`).set('Accept', 'application/json').type('form').send({ _csrf: await tokenOf(h), decision: 'reject', from: 'accepted', reason });
    expect(res.status, res.text.slice(0, 300)).to.equal(403);
    expect((await CaseDocument.findById(letter._id).lean())!.status, 'the letter unchanged').to.equal('accepted');
    expect(((await Case.findById(c._id).lean())!.history ?? []).filter((e) => e.action === DOCUMENT_DECISION_EVENT)).to.deep.equal([]);
    const seen = words((await page(await signedIn(applicant), `/applications/${String(c._id)}`)).text);
    expect(seen).to.not.include('Offer letter');
    expect(seen).to.not.include(reason);
    // Nothing queued for the applicant about it either.
    const queued = JSON.stringify((await Case.findById(c._id).lean())!.outbox ?? []);
    expect(queued).to.not.include('document_rejected');
  });
});
