// The shortlist and dashboard ability tables as authorize() enforces them (server/policies): who may
// open a call's shortlist, score it and see the others' scores, and who sees institute figures. A
// refused shortlist is 403 ("not your call"), never 404: calls are public, so the table has no view rule.
import { expect } from 'chai';
import { authorize, can } from '../../server/policies/index.ts';
import { AuthenticationRequiredError, ForbiddenError } from '../../server/errors.ts';

describe('leaders: the shortlist and dashboard ability tables', () => {
  const call = { _id: 'call-a', institute: 'inst-a' };
  const leader = { _id: 'l1', role: 'leader', institute: 'inst-a', panelCalls: [] };
  const otherLeader = { _id: 'l2', role: 'leader', institute: 'inst-b', panelCalls: [] };
  const externalLeader = { _id: 'l3', role: 'leader', institute: 'inst-b', panelCalls: ['call-a'] };
  const hr = { _id: 'h1', role: 'hr_officer', institute: 'inst-a', panelCalls: [] };
  const externalHr = { _id: 'h2', role: 'hr_officer', institute: 'inst-b', panelCalls: ['call-a'] };
  const admin = { _id: 'a1', role: 'admin', panelCalls: [] };
  const applicant = { _id: 'p1', role: 'applicant', panelCalls: [] };

  it('opens a call\'s shortlist to its institute\'s leaders, its panel and administrators; the rest get 403 with the reason', () => {
    for (const user of [leader, externalLeader, externalHr, admin]) {
      expect(() => authorize(user, 'shortlist.open', call, 'shortlists.errors.notYourCall'), user._id).not.to.throw();
    }
    for (const user of [otherLeader, hr, applicant]) {
      expect(() => authorize(user, 'shortlist.open', call, 'shortlists.errors.notYourCall'), user._id)
        .to.throw(ForbiddenError)
        .that.includes({ messageKey: 'shortlists.errors.notYourCall', status: 403 });
    }
    expect(() => authorize(undefined, 'shortlist.open', call)).to.throw(AuthenticationRequiredError);
  });

  it('lets the institute\'s leaders and named panel members score, never an administrator', () => {
    expect(can(leader, 'shortlist.evaluate', call)).to.equal(true);
    expect(can(externalLeader, 'shortlist.evaluate', call)).to.equal(true);
    expect(can(externalHr, 'shortlist.evaluate', call)).to.equal(true);
    expect(can(admin, 'shortlist.evaluate', call)).to.equal(false);
    expect(can(hr, 'shortlist.evaluate', call)).to.equal(false);
    expect(can(otherLeader, 'shortlist.evaluate', call)).to.equal(false);
    expect(can(applicant, 'shortlist.evaluate', call)).to.equal(false);
  });

  it('shows the others\' scores to an evaluator only once their own scorecard is in; always to an administrator', () => {
    expect(can(leader, 'shortlist.seeOthersScores', { ...call, ownSubmitted: false })).to.equal(false);
    expect(can(leader, 'shortlist.seeOthersScores', { ...call, ownSubmitted: true })).to.equal(true);
    expect(can(admin, 'shortlist.seeOthersScores', { ...call, ownSubmitted: false })).to.equal(true);
    expect(can(otherLeader, 'shortlist.seeOthersScores', { ...call, ownSubmitted: true })).to.equal(false);
  });

  it('shows institute figures to staff attached to an institute and to administrators', () => {
    expect(can(leader, 'dashboard.view')).to.equal(true);
    expect(can(hr, 'dashboard.view')).to.equal(true);
    expect(can(admin, 'dashboard.view')).to.equal(true);
    expect(can({ _id: 'l4', role: 'leader', panelCalls: [] }, 'dashboard.view')).to.equal(false);
    expect(can(applicant, 'dashboard.view')).to.equal(false);
    expect(() => authorize(applicant, 'dashboard.view')).to.throw(ForbiddenError);
  });
});
