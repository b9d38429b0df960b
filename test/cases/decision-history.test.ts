// The one reader of a case's decisions (server/cases/decision-history.ts caseDecisions), which HR's
// Decisions panel, the leader's shortlist page and the shortlist rows each word and order their way.
import { expect } from 'chai';
import { caseDecisions } from '../../server/cases/decision-history.ts';
import { isPanelDecision } from '../../server/evaluations/decision.ts';

const at = (n: number) => new Date(Date.UTC(2026, 11, n, 3));

describe('cases: the decisions read from a case history', () => {
  const history = [
    { at: at(1), action: 'start_screening', actor: 'hr1', actorRole: 'hr_officer' },
    { at: at(2), action: 'put_on_hold', from: 'screening', actor: 'hr1', actorRole: 'hr_officer', note: 'Waiting for the budget.' },
    { at: at(3), action: 'resume', from: 'on_hold', actor: 'hr1', actorRole: 'hr_officer', note: '   ' },
    { at: at(4), action: 'send_to_evaluation', from: 'screening', actor: 'hr1' },
    { at: at(5), action: 'shortlist', from: 'evaluation', actor: 'lead1', actorRole: 'leader', note: 'Ranked second.' },
    { at: at(6), action: 'reject', from: 'shortlisted', actor: 'gone', note: 'One post only.' },
  ];
  const names = new Map([
    ['hr1', { name: 'Officer One', role: 'hr_officer' }],
    ['lead1', { name: 'Director Ha', role: 'admin' }],
  ]);

  it('reads which, who, role, when, the internal reason and what was told, in the history order', () => {
    const read = caseDecisions({ history, decision: { toldReason: 'Another candidate was chosen.' } }, { names, applicantLocale: 'en' });
    expect(read).to.deep.equal([
      { action: 'put_on_hold', from: 'screening', at: at(2), actor: 'hr1', who: 'Officer One', role: 'hr_officer', told: 'Waiting for the budget.', toldLocale: 'en' },
      // A blank note is no reason, told or internal.
      { action: 'resume', from: 'on_hold', at: at(3), actor: 'hr1', who: 'Officer One', role: 'hr_officer', toldLocale: 'en' },
      // The role the step was taken in, not the account's today.
      { action: 'shortlist', from: 'evaluation', at: at(5), actor: 'lead1', who: 'Director Ha', role: 'leader', internal: 'Ranked second.', toldLocale: 'en' },
      // An unknown decider: no name or role invented; the page words that.
      { action: 'reject', from: 'shortlisted', at: at(6), actor: 'gone', internal: 'One post only.', told: 'Another candidate was chosen.', toldLocale: 'en' },
    ]);
    expect(caseDecisions({ history }, { names }).filter(isPanelDecision).map((d) => d.action)).to.deep.equal(['shortlist', 'reject']);
  });

  it("gives the case's told words to its last rejection only, and reads a projection or no history as less known", () => {
    const twice = [...history, { at: at(7), action: 'reject', from: 'evaluation', actor: 'lead1', note: 'Again.' }];
    const read = caseDecisions({ history: twice, decision: { toldReason: 'Told once.' } });
    expect(read.filter((d) => d.told === 'Told once.').map((d) => d.at)).to.deep.equal([at(7)]);
    expect(caseDecisions({ history: [{ at: at(1), action: 'shortlist' }] })).to.deep.equal([{ action: 'shortlist', at: at(1) }]);
    expect(caseDecisions({})).to.deep.equal([]);
    expect(caseDecisions({ history: null })).to.deep.equal([]);
  });
});
