import { expect } from 'chai';
import { weightedScore, criterionMeans } from '../../server/evaluations/score.ts';
import { submitEvaluation } from '../../server/evaluations/index.ts';
import { loadShortlist } from '../../server/evaluations/shortlist.ts';
import { systemContext } from '../../server/context.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { testDatabase } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCall } from '../support/case-factories.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

const card = [
  { key: 'research', weight: 60 },
  { key: 'fit', weight: 40 },
];

describe('leaders: ranking by weighted panel score', () => {
  describe('the score rule', () => {
    it('applies the criterion weights', () => {
      // (5×60 + 1×40) / 100 = 3.4, not the plain mean 3
      expect(weightedScore(card, [{ scores: { research: 5, fit: 1 } }])).to.equal(3.4);
      expect(weightedScore(card, [{ scores: { research: 1, fit: 5 } }])).to.equal(2.6);
    });

    it('averages the members: mean over members of Σ(score×weight)/Σweight when every criterion is scored', () => {
      const sheets = [{ scores: { research: 5, fit: 1 } }, { scores: { research: 3, fit: 3 } }];
      expect(weightedScore(card, sheets)).to.equal((3.4 + 3) / 2);
    });

    it('leaves a member out of a criterion they skipped, and only of that criterion', () => {
      // research: mean of 4 and 2 = 3; fit: only the second member scored it = 5
      const sheets = [{ scores: { research: 4 } }, { scores: { research: 2, fit: 5 } }];
      const means = criterionMeans(card, sheets);
      expect(means.map((m) => [m.key, m.mean, m.count])).to.deep.equal([
        ['research', 3, 2],
        ['fit', 5, 1],
      ]);
      expect(weightedScore(card, sheets)).to.equal((3 * 60 + 5 * 40) / 100);
      // A criterion nobody scored drops out and the weights are renormalised over the rest.
      expect(weightedScore(card, [{ scores: { research: 4 } }])).to.equal(4);
    });

    it('gives no score without scores, ignores criteria no longer on the scorecard, and weighs zero-weight cards equally', () => {
      expect(weightedScore(card, [])).to.equal(null);
      expect(weightedScore(card, [{ scores: { retired: 5 } }])).to.equal(null);
      expect(weightedScore([{ key: 'a', weight: 0 }, { key: 'b', weight: 0 }], [{ scores: { a: 2, b: 4 } }])).to.equal(3);
    });

    it('rounds to 4 decimals so equal panels tie exactly', () => {
      const third = [{ key: 'a', weight: 1 }, { key: 'b', weight: 1 }, { key: 'c', weight: 1 }];
      expect(weightedScore(third, [{ scores: { a: 1, b: 1, c: 2 } }])).to.equal(1.3333);
    });
  });

  describe('stored score and shortlist order', () => {
    let w: World;
    before(async () => {
      await testDatabase();
      w = await makeWorld();
    });

    it('stores Case.score from the evaluations and ranks by it, ties by publications + patents, then earlier submission', async () => {
      const t0 = new Date('2026-03-01T00:00:00Z').getTime();
      const mk = (name: string, pubs: number, pats: number, day: number) =>
        applicantCase(w.call, 'evaluation', { profile: { fullName: name, countryOfResidence: 'DE', nationality: 'VN', highestDegree: 'phd', field: 'Physics' }, achievements: { publicationsCount: pubs, patentsCount: pats }, submittedAt: new Date(t0 + day * 86_400_000) });
      const low = await mk('Low', 50, 5, 1); // 2.6
      const tieFewer = await mk('Tie fewer', 3, 0, 1); // 4.0, 3 achievements
      const tieMoreLate = await mk('Tie more late', 4, 1, 5); // 4.0, 5 achievements, submitted later
      const tieMoreEarly = await mk('Tie more early', 2, 3, 2); // 4.0, 5 achievements, earlier
      const unscored = await mk('Unscored', 99, 99, 0);
      const second = await createUser({ role: 'hr_officer', institute: w.instituteId, panelCalls: [w.call._id] });
      const now = new Date();
      const score = async (kase: { _id: unknown }, member: typeof w.leader, scores: Record<string, number>) =>
        submitEvaluation({ ctx: systemContext({ now, actor: member }), caseId: String(kase._id), callId: String(w.call._id), input: { scores, recommendation: 'yes', comment: '' } });

      await score(low.kase, w.leader, { research: 1, fit: 5 });
      await score(low.kase, second, { research: 1, fit: 5 });
      for (const c of [tieFewer, tieMoreLate, tieMoreEarly]) {
        await score(c.kase, w.leader, { research: 5, fit: 5 }); // 5
        await score(c.kase, second, { research: 3, fit: 3 }); // 3 → mean 4
      }
      const stored = await Case.findById(tieFewer.kase._id).lean();
      expect(stored!.score).to.equal(4);
      expect((await Case.findById(low.kase._id).lean())!.score).to.equal(2.6);
      expect((await Case.findById(unscored.kase._id).lean())!.score).to.equal(undefined);
      expect(await Evaluation.countDocuments({ case: tieFewer.kase._id })).to.equal(2);

      const list = await loadShortlist({ ctx: systemContext({ now, actor: w.leader }), call: w.call, query: {} });
      expect(list.rows.map((r) => r.name)).to.deep.equal(['Tie more early', 'Tie more late', 'Tie fewer', 'Low', 'Unscored']);
      expect(list.rows.map((r) => r.rank)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(list.rows[0]!.score).to.equal(4);
      expect(list.rows[0]!.recommendations).to.have.length(2);

      // Filters: minimum score, and sort by achievements.
      const min = await loadShortlist({ ctx: systemContext({ now, actor: w.leader }), call: w.call, query: { minScore: 3 } });
      expect(min.rows.map((r) => r.name)).to.deep.equal(['Tie more early', 'Tie more late', 'Tie fewer']);
      const byAch = await loadShortlist({ ctx: systemContext({ now, actor: w.leader }), call: w.call, query: { sort: 'achievements' } });
      expect(byAch.rows[0]!.name).to.equal('Unscored');

      // A member who changes their sheet moves the case: the score is recomputed, not appended.
      await score(low.kase, w.leader, { research: 5, fit: 5 });
      expect((await Case.findById(low.kase._id).lean())!.score).to.equal((5 + 2.6) / 2);
      expect(await Evaluation.countDocuments({ case: low.kase._id })).to.equal(2);
    });

    it('refuses, with what to do, a score under a criterion named like a property of every object (a call saved before such keys were refused)', async () => {
      // Written past the call form, which now refuses these keys (test/workflow/admin.test.ts).
      const criterion = (key: string, weight: number) => ({ key, label: { vi: key, en: key }, weight });
      for (const key of ['constructor', '__proto__']) {
        const odd = await createCall({ institute: w.instituteId, status: 'closed', scorecard: [criterion('research', 50), criterion(key, 50)] } as never);
        const { kase } = await applicantCase(odd, 'evaluation');
        // Built as the form parser builds it: an own property, even for "__proto__".
        const scores = Object.fromEntries([['research', 4], [key, 2]]) as Record<string, number>;
        let err: unknown;
        try {
          await submitEvaluation({ ctx: systemContext({ now: new Date(), actor: w.leader }), caseId: String(kase._id), callId: String(odd._id), input: { scores, recommendation: 'yes', comment: '' } });
        } catch (e) {
          err = e;
        }
        expect(err, key).to.have.property('fields').that.deep.equals({ scores: 'shortlists.errors.reservedCriterion' });
        expect(await Evaluation.countDocuments({ case: kase._id }), key).to.equal(0);
      }
    });

    it('refuses scores outside 1–5, unknown criteria, and cases not in evaluation', async () => {
      const { kase } = await applicantCase(w.call, 'evaluation');
      const now = new Date();
      let err: unknown;
      try {
        await submitEvaluation({ ctx: systemContext({ now, actor: w.leader }), caseId: String(kase._id), callId: String(w.call._id), input: { scores: { research: 6 }, recommendation: 'yes', comment: '' } });
      } catch (e) {
        err = e;
      }
      expect(err).to.have.property('code', 'validation_failed');
      err = undefined;
      try {
        await submitEvaluation({ ctx: systemContext({ now, actor: w.leader }), caseId: String(kase._id), callId: String(w.call._id), input: { scores: { charisma: 3 }, recommendation: 'yes', comment: '' } });
      } catch (e) {
        err = e;
      }
      expect(err).to.have.property('code', 'validation_failed');
      const { kase: shortlisted } = await applicantCase(w.call, 'shortlisted');
      err = undefined;
      try {
        await submitEvaluation({ ctx: systemContext({ now, actor: w.leader }), caseId: String(shortlisted._id), callId: String(w.call._id), input: { scores: { research: 3 }, recommendation: 'yes', comment: '' } });
      } catch (e) {
        err = e;
      }
      expect(err).to.have.property('code', 'conflict');
      expect(await Evaluation.countDocuments({ case: { $in: [kase._id, shortlisted._id] } })).to.equal(0);
    });
  });
});
