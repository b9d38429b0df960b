// The hidden-scores rule as it meets a decision (lead s35): who would decide blind, and who may close a
// case's scoring. Plain policy functions and the ability table, no database.
import { expect } from 'chai';
import { authorize, can } from '../../server/policies/index.ts';
import { ForbiddenError } from '../../server/errors.ts';
import { canCloseScoring, decidesBlind } from '../../server/policies/shortlist.ts';

describe('leaders: deciding while the scores are hidden, and closing scoring (policies)', () => {
  const call = { _id: 'call-a', institute: 'inst-a' };
  const leader = { _id: 'l1', role: 'leader', institute: 'inst-a', panelCalls: [] };
  const otherLeader = { _id: 'l2', role: 'leader', institute: 'inst-b', panelCalls: [] };
  const externalLeader = { _id: 'l3', role: 'leader', institute: 'inst-b', panelCalls: ['call-a'] };
  const member = { _id: 'h1', role: 'hr_officer', institute: 'inst-a', panelCalls: ['call-a'] };
  const admin = { _id: 'a1', role: 'admin', panelCalls: [] };
  const evaluation = { stage: 'evaluation' };

  it('a leader who has not scored a case in evaluation decides blind; once scored, or once scoring closed, not', () => {
    expect(decidesBlind(leader, call, false, evaluation)).to.equal(true);
    expect(decidesBlind(leader, call, true, evaluation)).to.equal(false);
    for (const stage of ['shortlisted', 'offer', 'rejected']) expect(decidesBlind(leader, call, false, { stage }), stage).to.equal(false);
    // On hold from evaluation scoring stays open (the case comes back to it); on hold from the shortlist it is closed.
    expect(decidesBlind(leader, call, false, { stage: 'on_hold', resumeStage: 'evaluation' })).to.equal(true);
    expect(decidesBlind(leader, call, false, { stage: 'on_hold', resumeStage: 'shortlisted' })).to.equal(false);
    // Without the case, scoring counts as open: errs on saying blind.
    expect(decidesBlind(leader, call, false, undefined)).to.equal(true);
  });

  it('an administrator, who sees every score, never decides blind; nor anyone who does not decide (the workflow refuses them first)', () => {
    expect(decidesBlind(admin, call, false, evaluation)).to.equal(false);
    expect(decidesBlind(undefined, call, false, evaluation)).to.equal(false);
    for (const user of [otherLeader, externalLeader, member]) expect(decidesBlind(user, call, false, evaluation), user._id).to.equal(false);
  });

  it("closes scoring: the institute's leaders only, and only while the case is in evaluation", () => {
    expect(canCloseScoring(leader, call, evaluation)).to.equal(true);
    for (const stage of ['shortlisted', 'on_hold', 'offer', 'rejected']) expect(canCloseScoring(leader, call, { stage }), stage).to.equal(false);
    expect(canCloseScoring(leader, call, undefined)).to.equal(false);
    // A leader of another institute on the panel scores it, but does not close it; nor a panel member, nor an administrator.
    for (const user of [otherLeader, externalLeader, member, admin]) expect(canCloseScoring(user, call, evaluation), user._id).to.equal(false);
    expect(canCloseScoring(undefined, call, evaluation)).to.equal(false);
  });

  it('the ability table: shortlist.closeScoring for the institute\'s leaders, 403 with the reason for the rest', () => {
    expect(can(leader, 'shortlist.closeScoring', call)).to.equal(true);
    for (const user of [otherLeader, externalLeader, member, admin]) {
      expect(() => authorize(user, 'shortlist.closeScoring', call, 'shortlists.closeScoring.errors.notLeader'), user._id)
        .to.throw(ForbiddenError)
        .that.includes({ messageKey: 'shortlists.closeScoring.errors.notLeader', status: 403 });
    }
  });
});
