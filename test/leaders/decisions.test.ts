import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, submitForm, type Agent } from '../support/http.ts';
import { signIn } from '../support/factories.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { Case } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

describe("leaders: decisions are workflow transitions with the candidate's e-mail", () => {
  let t: TestApp;
  let w: World;
  let leader: Agent;
  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    leader = agent(t.app);
    await signIn(leader, w.leader);
  });
  after(async () => {
    await t?.close();
  });

  async function decide(caseId: unknown, fields: Record<string, string>) {
    const url = `/shortlists/${w.call._id}/cases/${caseId}`;
    return submitForm(leader, url, fields, `${url}/decision`);
  }

  it('shortlists, then approves the offer: stage, history, audit and one e-mail each', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation');
    const res = await decide(kase._id, { action: 'shortlist', version: String(kase.version) });
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    let c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('shortlisted');
    expect(c.history.at(-1)).to.include({ action: 'shortlist', from: 'evaluation', to: 'shortlisted' });
    expect(String(c.history.at(-1)!.actor)).to.equal(String(w.leader._id));
    await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
    const shortlisted = await t.smtp.waitForTo(applicant.email, /shortlisted/);
    expect(shortlisted.subject).to.include(kase.reference);

    // The page now offers the offer decision with the new version.
    const page = await leader.get(`/shortlists/${w.call._id}/cases/${kase._id}`).set('Accept', 'text/html');
    expect(page.text).to.include('value="approve_offer"');
    expect(page.text).not.to.include('value="shortlist"');
    const approve = await decide(kase._id, { action: 'approve_offer', version: String(c.version) });
    expect(approve.status).to.equal(303);
    c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('offer');
    expect(String(c.decision?.decidedBy)).to.equal(String(w.leader._id));
    await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
    const offer = await t.smtp.waitForTo(applicant.email, /offer/);
    expect(offer.subject).to.include(kase.reference);
    expect(t.smtp.to(applicant.email)).to.have.length(2);
    const audits = await AuditEvent.find({ targetId: String(kase._id), action: 'case.transition' }).lean();
    expect(audits.map((a) => (a.summary as { action: string }).action).sort()).to.deep.equal(['approve_offer', 'shortlist']);
  });

  it('requires a reason to reject (422 beside the field), then rejects and sends the reason', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation', {}, 'vi');
    const empty = await decide(kase._id, { action: 'reject', version: String(kase.version), reason: '  ' });
    expect(empty.status).to.equal(422);
    expect(empty.text).to.include('id="f-reason-error"');
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');

    const res = await decide(kase._id, { action: 'reject', version: String(kase.version), reason: 'Hồ sơ chưa đủ kinh nghiệm quản lý dự án' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/shortlists/${w.call._id}`);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('rejected');
    expect(c.decision?.reason).to.equal('Hồ sơ chưa đủ kinh nghiệm quản lý dự án');
    await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email);
    expect(mail.text).to.include('Hồ sơ chưa đủ kinh nghiệm quản lý dự án');
  });

  it('refuses a decision made on a stale page (409) and changes nothing', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    const url = `/shortlists/${w.call._id}/cases/${kase._id}`;
    const page = await leader.get(url).set('Accept', 'text/html');
    const token = csrfFrom(page.text);
    const ok = await leader.post(`${url}/decision`).type('form').set('Accept', 'text/html').send({ _csrf: token, action: 'shortlist', version: String(kase.version) });
    expect(ok.status).to.equal(303);
    const stale = await leader.post(`${url}/decision`).type('form').set('Accept', 'text/html').send({ _csrf: token, action: 'reject', version: String(kase.version), reason: 'too late' });
    expect(stale.status).to.equal(409);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('shortlisted');
    expect(c.version).to.equal(kase.version + 1);
  });

  it('does not let a panel member who is not a leader decide', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    const member = agent(t.app);
    await signIn(member, w.member);
    const url = `/shortlists/${w.call._id}/cases/${kase._id}`;
    const page = await member.get(url).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).not.to.include('value="shortlist"');
    const res = await member.post(`${url}/decision`).type('form').set('Accept', 'application/json').send({ _csrf: csrfFrom(page.text), action: 'shortlist', version: String(kase.version) });
    expect(res.status).to.equal(403);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');
  });
});
