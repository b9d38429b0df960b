// The queue's total above COUNT_CAP ("more than 500") is reused for a few seconds per filter; a
// total under the cap is read on every page view, so an officer's own change shows at once.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CAPPED_COUNT_TTL_MS, COUNT_CAP, loadQueue, parseQueueQuery } from '../../server/cases/queue.ts';

describe('cases: the queue total above the count cap', () => {
  let t: TestApp;
  after(async () => {
    await t?.close();
  });

  it('says "more than 500" from a count read at most every 10 s; a total under the cap is exact at once', async function () {
    this.timeout(60_000);
    t = await startTestApp();
    const institute = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute });
    const call = await createCall({ institute, checklist: [] });
    const applicant = new Types.ObjectId();
    const docs = Array.from({ length: COUNT_CAP + 20 }, (_, i) => ({
      reference: `TA-2026-${String(900000 + i)}`,
      applicant,
      call: call._id,
      institute: call.institute,
      track: call.track,
      stage: 'submitted',
      stageEnteredAt: new Date(),
      stageDueAt: new Date(Date.now() + (i + 1) * 3_600_000),
      profile: { fullName: `Count ${i}` },
      version: 0,
    }));
    await Case.insertMany(docs, { lean: true });
    const q = parseQueueQuery({ size: '25' });
    const t0 = new Date();
    const first = await loadQueue(hr, q, t0);
    expect([first.total, first.capped]).to.deep.equal([COUNT_CAP, true]);

    // 100 cases leave the queue: within the reuse window the total still says "more than 500".
    const gone = (await Case.find({ institute: call.institute }, { _id: 1 }).sort({ _id: 1 }).limit(100).lean()).map((c) => c._id);
    await Case.updateMany({ _id: { $in: gone } }, { $set: { stage: 'closed' } });
    const soon = await loadQueue(hr, q, new Date(t0.getTime() + 1000));
    expect(soon.capped).to.equal(true);
    // The rows are always read: the closed cases are not on the page.
    expect(soon.rows.map((r) => r.id).some((id) => gone.some((g) => String(g) === id))).to.equal(false);
    // After the window: counted again, exact under the cap, and from then on read every time.
    const later = await loadQueue(hr, q, new Date(t0.getTime() + CAPPED_COUNT_TTL_MS + 1));
    expect([later.total, later.capped]).to.deep.equal([COUNT_CAP + 20 - 100, false]);
    await Case.updateMany({ _id: { $in: gone.slice(0, 10) } }, { $set: { stage: 'submitted' } });
    const again = await loadQueue(hr, q, new Date(t0.getTime() + CAPPED_COUNT_TTL_MS + 2));
    expect([again.total, again.capped]).to.deep.equal([COUNT_CAP + 20 - 90, false]);
  });
});
