// The dashboard counts cases by stage, track, call and country in two passes over the cases in
// scope (server/dashboard/index.ts) instead of one per figure: the figures must be those of one
// $group per figure, country included ($ifNull: residence, else nationality; missing and null
// alike; a country typed "null" is a country).
import { expect } from 'chai';
import { Types } from 'mongoose';
import { testDatabase } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { computeDashboard } from '../../server/dashboard/index.ts';

describe('dashboard: stage, track, call and country counted in one pass', function () {
  this.timeout(30_000);

  it('gives the counts of one $group per figure, with and without a period', async () => {
    await testDatabase();
    const inst = await createInstitute();
    const expert = await createCall({ institute: inst._id, track: 'expert', status: 'open' });
    const researcher = await createCall({ institute: inst._id, track: 'researcher', status: 'open' });
    const profiles: Array<Record<string, unknown>> = [
      { countryOfResidence: 'JP', nationality: 'VN' },
      { countryOfResidence: null, nationality: 'FR' },
      { countryOfResidence: undefined, nationality: 'FR' },
      { countryOfResidence: undefined, nationality: undefined },
      { countryOfResidence: 'null', nationality: 'DE' },
      { countryOfResidence: '', nationality: 'DE' },
    ];
    const stages = ['submitted', 'screening', 'evaluation', 'rejected', 'draft'] as const;
    let i = 0;
    for (const profile of profiles) {
      for (const call of [expert, researcher]) {
        const stage = stages[i % stages.length]!;
        const applicant = await createUser({ role: 'applicant' });
        const c = await createCase({ applicant: applicant._id, call, stage, submittedAt: stage === 'draft' ? undefined : new Date(Date.UTC(2026, i % 6, 10)) });
        // As stored by older versions or imports: fields unset or null, which the schema's defaults would fill.
        const set: Record<string, unknown> = {};
        const unset: Record<string, 1> = {};
        for (const [k, v] of Object.entries(profile)) {
          if (v === undefined) unset[`profile.${k}`] = 1;
          else set[`profile.${k}`] = v;
        }
        await Case.collection.updateOne({ _id: c._id }, { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) });
        i += 1;
      }
    }
    for (const period of [{}, { from: '2026-02-01', to: '2026-04-30' }]) {
      const filter = { institute: inst._id, ...period };
      const data = await computeDashboard({ filter, now: new Date() });
      // One $group per figure, as the figures were counted before.
      const match: Record<string, unknown> = { stage: { $ne: 'draft' }, institute: inst._id };
      if ('from' in period) match.submittedAt = { $gte: new Date('2026-01-31T17:00:00Z'), $lt: new Date('2026-04-30T17:00:00Z') };
      const group = async (id: unknown) => Case.aggregate<{ _id: unknown; n: number }>([{ $match: match }, { $group: { _id: id, n: { $sum: 1 } } }]);
      const byStage = new Map((await group('$stage')).map((r) => [r._id, r.n]));
      const byTrack = new Map((await group('$track')).map((r) => [r._id, r.n]));
      const byCountry = (await group({ $ifNull: ['$profile.countryOfResidence', '$profile.nationality'] })).map((r) => ({ key: r._id === null || r._id === undefined ? '' : String(r._id), n: r.n }));
      const byCall = await group('$call');
      expect(data.total).to.equal([...byStage.values()].reduce((a, b) => a + b, 0)).and.to.be.greaterThan(0);
      for (const s of data.stages) expect(s.now, s.stage).to.equal(byStage.get(s.stage) ?? 0);
      for (const t of data.byTrack) expect(t.n, t.key).to.equal(byTrack.get(t.key) ?? 0);
      const sorted = (rows: { key: string; n: number }[]) => [...rows].sort((a, b) => b.n - a.n || a.key.localeCompare(b.key));
      expect(data.byCountry).to.deep.equal(sorted(byCountry));
      expect(data.byCountry.map((r) => r.key), 'a country typed "null" is a country').to.include('null');
      expect(data.byField.en.reduce((a, b) => a + b.n, 0)).to.equal(byCall.reduce((a, b) => a + b.n, 0));
      expect(byCall.every((r) => r._id instanceof Types.ObjectId)).to.equal(true);
    }
  });
});
