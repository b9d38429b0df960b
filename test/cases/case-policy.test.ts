// The case ability table through authorize/can, and the 409 page's presenter: who may work, decide,
// apply and message on a case (a refusal of a case one may not see reads "not found"), and the
// conflict page shows what the CaseConflictError carries without asking the database again.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { authorize, can } from '../../server/policies/index.ts';
import { ForbiddenError, NotFoundError } from '../../server/errors.ts';
import { systemContext } from '../../server/context.ts';
import { CaseConflictError } from '../../server/cases/conflict.ts';
import { conflictPage, stageBadge } from '../../server/cases/present.ts';
import type { UserDoc } from '../../models/user.ts';

const id = () => new Types.ObjectId();

describe('cases: the case ability table and the conflict page', () => {
  const institute = id();
  const applicant = { _id: id(), role: 'applicant' };
  const otherApplicant = { _id: id(), role: 'applicant' };
  const hr = { _id: id(), role: 'hr_officer', institute };
  const otherHr = { _id: id(), role: 'hr_officer', institute: id() };
  const leader = { _id: id(), role: 'leader', institute };
  const admin = { _id: id(), role: 'admin' };
  const kase = { applicant: applicant._id, institute, call: id(), stage: 'screening' };

  it('lets HR of the institute and administrators work a case; a leader sees a panel case but may not work it', () => {
    expect(can(hr, 'case.work', kase)).to.equal(true);
    expect(can(admin, 'case.work', kase)).to.equal(true);
    expect(() => authorize(otherHr, 'case.work', kase)).to.throw(NotFoundError);
    const panelCase = { ...kase, stage: 'evaluation' };
    expect(() => authorize(leader, 'case.work', panelCase, 'cases.errors.readOnly')).to.throw(ForbiddenError).with.property('messageKey', 'cases.errors.readOnly');
    expect(can(leader, 'case.decide', panelCase)).to.equal(true);
    expect(can(hr, 'case.decide', panelCase)).to.equal(false);
  });

  it('lets only the applicant take their application’s steps, and the applicant or the working staff write messages', () => {
    expect(can(applicant, 'case.apply', kase)).to.equal(true);
    expect(() => authorize(otherApplicant, 'case.apply', kase)).to.throw(NotFoundError);
    expect(() => authorize(hr, 'case.apply', kase)).to.throw(ForbiddenError);
    expect(can(applicant, 'case.message', kase)).to.equal(true);
    expect(can(hr, 'case.message', kase)).to.equal(true);
    expect(can(otherApplicant, 'case.message', kase)).to.equal(false);
    expect(can(leader, 'case.message', { ...kase, stage: 'evaluation' })).to.equal(false);
  });

  it('shows on the 409 page who changed the case, how and when, from the error alone (vi and en)', () => {
    const at = new Date('2026-03-02T03:00:00Z');
    const change = { caseId: String(id()), reference: 'TA-2026-000042', stage: 'screening', version: 3, last: { action: 'start_screening', at, actorId: String(hr._id), actorName: 'Officer One' } };
    const err = new CaseConflictError(change, 'workflow.conflict', {});
    const en = conflictPage(systemContext({ now: at, locale: 'en', actor: admin as unknown as UserDoc }), err, '/cases/x');
    expect(en.conflict).to.deep.equal({ reference: 'TA-2026-000042', stage: 'Screening', who: 'Officer One', action: 'Screening started', when: at });
    expect(en.backUrl).to.equal('/cases/x');
    const vi = conflictPage(systemContext({ now: at, locale: 'vi', actor: hr as unknown as UserDoc }), err, '/cases/x');
    expect(vi.conflict.who).to.not.equal('Officer One'); // the officer's own earlier click is "you"
    expect(vi.title).to.not.equal(en.title);
    expect(err.byActor(hr._id)).to.equal(true);
  });

  it('gives each stage its badge from the named stage sets', () => {
    expect(stageBadge('offer')).to.equal('ok');
    expect(stageBadge('closed')).to.equal('ok');
    expect(stageBadge('rejected')).to.equal('err');
    expect(stageBadge('on_hold')).to.equal('warn');
    expect(stageBadge('screening')).to.equal('');
  });
});
