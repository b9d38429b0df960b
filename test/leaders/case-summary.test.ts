// The dashboard counts stages reached and time in stage from figures stored on each case; they must
// stay in step with the history however the case was written.
import { expect } from 'chai';
import { summarizeHistory } from '../../models/case-summary.ts';
import { Case } from '../../models/case.ts';
import { backfillCaseSummaries } from '../../server/dashboard/backfill.ts';
import { testDatabase } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';

const d = (iso: string) => new Date(iso);

describe('dashboard: figures derived from a case history', () => {
  before(async () => {
    await testDatabase();
  });

  it('lists stages reached in order and completed stays in whole hours, ignoring events without a stage', () => {
    const s = summarizeHistory(
      [
        { at: d('2026-01-01T00:00:00Z'), to: 'draft' },
        { at: d('2026-01-02T00:00:00Z'), to: 'submitted' },
        { at: d('2026-01-02T05:00:00Z') }, // a note or an assignment: no stage change
        { at: d('2026-01-03T01:30:00Z'), to: 'screening' },
        { at: d('2026-01-04T00:00:00Z'), to: 'awaiting_applicant' },
        { at: d('2026-01-05T00:00:00Z'), to: 'screening' },
      ],
      'screening',
    );
    expect(s.reached).to.deep.equal(['draft', 'submitted', 'screening', 'awaiting_applicant']);
    expect(s.stays.map((x) => [x.stage, x.hours])).to.deep.equal([
      ['draft', 24],
      ['submitted', 25],
      ['screening', 22],
      ['awaiting_applicant', 24],
    ]);
  });

  it('is written when a case is saved, and filled in at start for cases stored without it', async () => {
    const institute = await createInstitute();
    const call = await createCall({ institute });
    const applicant = await createUser({ role: 'applicant' });
    const saved = await createCase({ applicant, call, stage: 'screening' });
    expect(saved.reached).to.include('screening');

    const raw = saved.toObject() as Record<string, unknown>;
    delete raw._id;
    delete raw.reached;
    delete raw.stays;
    raw.reference = 'TA-2026-999999';
    const { insertedId } = await Case.collection.insertOne(raw);
    expect((await Case.findById(insertedId).lean())!.reached).to.equal(undefined);
    expect(await backfillCaseSummaries()).to.be.greaterThan(0);
    const filled = (await Case.findById(insertedId).lean())!;
    expect(filled.reached).to.deep.equal(saved.reached);
    expect(filled.stays).to.have.length(saved.stays!.length);
    expect(await backfillCaseSummaries()).to.equal(0);
  });
});
