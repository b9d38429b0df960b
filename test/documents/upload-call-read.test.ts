// The upload's case and call (server/documents/access.ts loadUploadTarget): once a case has been
// uploaded to, its call is read beside the case rather than after it. The case read still decides:
// were a case's call ever changed (no route does; here through the driver), the next upload is
// checked against the call the case names now, not the one remembered.
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { makePdf, tokenOf } from './support.ts';

describe('documents: an upload is checked against the call its case names', function () {
  this.timeout(60_000);
  let t: TestApp;
  let a: Agent;
  let token: string;
  let caseDoc: CaseDoc;
  let pdf: Buffer;

  before(async () => {
    t = await startTestApp({ env: { UPLOAD_RATE_PER_HOUR: '1000' } });
    const institute = await createInstitute();
    const first = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    caseDoc = await createCase({ applicant, call: first, stage: 'screening' });
    a = agent(t.app);
    await signIn(a, applicant);
    token = await tokenOf(a);
    pdf = await makePdf('Curriculum vitae');
  });
  after(async () => {
    await t?.close();
  });

  const upload = (field: string) => a.post(`/cases/${caseDoc._id}/documents`).field('_csrf', token).set('Accept', 'application/json').attach(field, pdf, { filename: `${field}.pdf`, contentType: 'application/pdf' });

  it('takes the call the case names now, after an upload that remembered another', async () => {
    expect((await upload('cv')).status).to.equal(201);
    expect((await upload('cv')).status, 'the remembered call, read beside the case').to.equal(201);

    const second = await createCall({ institute: caseDoc.institute as never, checklist: [{ type: 'publications_list', phase: 'application', required: true }] as never });
    await Case.collection.updateOne({ _id: caseDoc._id }, { $set: { call: second._id } });

    const refused = await upload('cv');
    expect(refused.status, 'the cv is no item of the call the case names now').to.equal(422);
    expect((refused.body as { error: { code: string } }).error.code).to.equal('unknown_item');
    expect((await upload('publications_list')).status).to.equal(201);
    expect(await CaseDocument.countDocuments({ case: caseDoc._id, type: 'cv' })).to.equal(2);
    expect(await CaseDocument.countDocuments({ case: caseDoc._id, type: 'publications_list' })).to.equal(1);
  });

  it('refuses another applicant as before, whatever call is remembered for the case', async () => {
    const other = await createUser({ role: 'applicant', locale: 'en' });
    const b = request.agent(t.app);
    await signIn(b, other);
    const r = await b.post(`/cases/${caseDoc._id}/documents`).field('_csrf', await tokenOf(b)).set('Accept', 'application/json').attach('publications_list', pdf, { filename: 'p.pdf', contentType: 'application/pdf' });
    expect(r.status).to.equal(404);
    expect(await CaseDocument.countDocuments({ case: caseDoc._id, uploadedBy: other._id })).to.equal(0);
  });
});
