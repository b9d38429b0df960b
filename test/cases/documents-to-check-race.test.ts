// The cases' "documents to check" flag (models/case.ts documentsToCheck) cannot go stale:
// - two recounts crossing (one counts, another document write and its recount happen, then the
//   first writes what it counted) used to leave the earlier count last: now its writer counts again
//   (models/document.ts recountDocumentsToCheck), made to happen here, both ways;
// - many uploads and HR decisions on one case at the same moment, round after round, through the
//   real routes and through the model at once, leave the flag as the documents are;
// - a recount that fails after its document write is logged, leaves the case marked, and the marked
//   cases' repair (server/documents/to-check.ts repairMarkedCases, run every minute) puts it right.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { useUploadTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument, setDocumentsToCheckLogger, setRecountHook, unmarkedRecounts } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { forgetKeptReads } from '../../server/support/kept-reads.ts';
import { backfillDocumentsToCheck, repairMarkedCases } from '../../server/documents/to-check.ts';
import type { Agent } from '../support/http.ts';
import { signedIn, page, post } from '../applications/support.ts';
import { makePdf, tokenOf } from '../documents/support.ts';

// Items without a date to give with the file.
const TYPES = ['cv', 'degree', 'degree_translation', 'publications_list', 'recommendation_letter', 'other'] as const;
const casesIn = (html: string) => [...html.matchAll(/<tr data-case="([a-f0-9]{24})"/g)].map((m) => m[1]!);

describe('cases: the "documents to check" flag under concurrent writes and failed recounts', function () {
  this.timeout(180_000);
  let t: TestApp;
  let inst: InstituteDoc;
  let hr: Agent;
  let applicant: UserDoc;
  let call: Awaited<ReturnType<typeof createCall>>;
  let pdf: Buffer;

  useUploadTestApp('to-check-race', (app) => {
    t = app;
  }, { UPLOAD_RATE_PER_HOUR: '10000' });

  before(async () => {
    inst = await createInstitute();
    call = await createCall({ institute: inst, checklist: TYPES.map((type) => ({ type, phase: 'application', required: true })) as never });
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    hr = await signedIn(t, await createUser({ role: 'hr_officer', institute: inst }));
    pdf = await makePdf('Curriculum vitae');
    await backfillDocumentsToCheck();
  });
  after(async () => {
    setRecountHook(undefined);
    setDocumentsToCheckLogger(t.ctx.logger);
  });

  /** The case's flag, whether its documents say one waits, and whether a recount is still due. */
  async function state(c: { _id: Types.ObjectId }) {
    const stored = (await Case.findById(c._id, { documentsToCheck: 1, documentsToCheckDue: 1 }).lean())!;
    const waiting = (await CaseDocument.countDocuments({ case: c._id, current: true, status: 'pending' })) > 0;
    return { flag: stored.documentsToCheck === true, waiting, marked: stored.documentsToCheckDue != null };
  }
  async function expectTrue(c: { _id: Types.ObjectId }, why: string) {
    const s = await state(c);
    expect(s.flag, `${why}: the flag says what the documents say`).to.equal(s.waiting);
    expect(s.marked, `${why}: no recount left due`).to.equal(false);
  }
  async function upload(a: Agent, c: CaseDoc, type: string): Promise<string> {
    const res = await a.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(a)).set('Accept', 'application/json').attach(type, pdf, `${type}.pdf`);
    expect(res.status, res.text).to.equal(201);
    return (res.body.documents as Array<{ id: string }>)[0]!.id;
  }
  async function verify(casePage: string, id: string, decision: 'accept' | 'reject'): Promise<void> {
    const res = await post(hr, casePage, `/documents/${id}/verify`, decision === 'accept' ? { decision } : { decision, reason: 'Blurred scan.' });
    expect(res.status).to.equal(303);
  }

  it('many uploads and decisions on one case at once, round after round, leave the flag as the documents are', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, applicant);
    const rounds = 8;
    for (let round = 0; round < rounds; round++) {
      // Every item uploaded at once (a new version over last round's rejected ones).
      const ids = await Promise.all(TYPES.map((type) => upload(a, c, type)));
      await expectTrue(c, `round ${round}: uploads`);
      expect((await state(c)).flag).to.equal(true);
      // HR decides them all at once: every one rejected (so each can be uploaded again), or in
      // every other round all but one, which keeps the case waiting.
      const casePage = (await page(hr, `/cases/${c._id}`)).text;
      const deciding = round % 2 === 0 ? ids : ids.slice(1);
      await Promise.all(deciding.map((id) => verify(casePage, id, 'reject')));
      await expectTrue(c, `round ${round}: decisions`);
      expect((await state(c)).flag).to.equal(round % 2 !== 0);
      if (round % 2 !== 0) await verify(casePage, ids[0]!, 'reject');
    }
    // The queue, which reads only the flag, agrees.
    forgetKeptReads();
    expect(casesIn((await page(hr, '/cases?documents=1&size=100')).text)).to.not.include(String(c._id));
  });

  it('status changes through the model at once, in bursts, leave the flag as the documents are', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, applicant);
    const ids = await Promise.all(TYPES.map((type) => upload(a, c, type)));
    const docs = ids.map((id) => new Types.ObjectId(id));
    // Each burst sets every document's status at once: all decided but (sometimes) one, or all
    // waiting again; a recount that read the documents before another's write and wrote after it
    // would leave the flag wrong. 40 bursts: without the tickets, a run here saw it within a few.
    for (let burst = 0; burst < 40; burst++) {
      const keepWaiting = burst % 3 === 0 ? burst % TYPES.length : -1;
      const allPending = burst % 4 === 1;
      await Promise.all(docs.map((_id, i) => CaseDocument.updateOne({ _id }, { $set: { status: allPending || i === keepWaiting ? 'pending' : 'accepted' } })));
      await expectTrue(c, `burst ${burst}`);
      expect((await state(c)).flag, `burst ${burst}`).to.equal(allPending || keepWaiting >= 0);
    }
  });

  it('a recount that counted before another write and writes after it is put right by its own next count, both ways', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, applicant);
    const [d1, d2] = (await Promise.all([upload(a, c, 'cv'), upload(a, c, 'degree')])).map((id) => new Types.ObjectId(id));
    /** `first` is written; its recount, between its count and its write, waits for `second` and its recount. */
    async function crossed(first: () => Promise<unknown>, second: () => Promise<unknown>) {
      const rounds: number[] = [];
      setRecountHook(async (id, round) => {
        if (String(id) !== String(c._id)) return;
        rounds.push(round);
        if (rounds.length === 1) await second();
      });
      try {
        await first();
      } finally {
        setRecountHook(undefined);
      }
      return rounds;
    }
    // d1 accepted: its recount counts d2 waiting; meanwhile d2 is accepted and its recount clears
    // the flag; then the first writes "waiting", and its next count finds nothing waiting.
    const accept = (_id: Types.ObjectId) => () => CaseDocument.findOneAndUpdate({ _id, status: 'pending' }, { $set: { status: 'accepted' } });
    const rounds = await crossed(accept(d1!), accept(d2!));
    await expectTrue(c, 'accepted, crossed');
    expect((await state(c)).flag).to.equal(false);
    expect(rounds.length, 'the crossed recount counted and wrote again').to.be.at.least(3);
    // The other way: d1 rejected, its recount counts nothing waiting; meanwhile d2 waits again and
    // its recount raises the flag; then the first lowers it, and its next count raises it again.
    const setStatus = (_id: Types.ObjectId, status: string) => () => CaseDocument.updateOne({ _id }, { $set: { status } });
    await crossed(setStatus(d1!, 'rejected'), setStatus(d2!, 'pending'));
    await expectTrue(c, 'waiting again, crossed');
    expect((await state(c)).flag).to.equal(true);
  });

  it('a recount that fails is logged and marks the case, and the marked cases\' repair puts it right', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const other = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, applicant);
    const logged: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    setDocumentsToCheckLogger({ error: (obj, msg) => logged.push({ obj: obj as Record<string, unknown>, msg }) });
    // As a connection lost between the count and the write would: this case's recounts only.
    setRecountHook((id) => {
      if (String(id) === String(c._id)) throw new Error('connection closed');
    });
    try {
      await upload(a, c, 'cv'); // the upload itself stands
      await upload(a, other, 'cv');
    } finally {
      setRecountHook(undefined);
      setDocumentsToCheckLogger(t.ctx.logger);
    }
    expect(await state(c), 'stale, and marked').to.deep.equal({ flag: false, waiting: true, marked: true });
    await expectTrue(other, 'a recount that did not fail');
    expect(logged.map((l) => [l.obj.case, (l.obj.err as Error).message])).to.deep.equal([[String(c._id), 'connection closed']]);
    expect(logged[0]!.msg).to.include('marked for the repair');
    expect(unmarkedRecounts(), 'the mark was written: nothing held in memory').to.not.include(String(c._id));
    // The next run of the repair (every minute) finds it from the marks alone, and only it.
    expect(await repairMarkedCases({ institutes: [inst._id] })).to.deep.equal({ recounted: 1, failed: 0 });
    await expectTrue(c, 'repaired');
    expect((await state(c)).flag).to.equal(true);
    forgetKeptReads();
    expect(casesIn((await page(hr, '/cases?documents=1&size=100')).text)).to.include(String(c._id));
    // Nothing left for the next run.
    expect(await repairMarkedCases({ institutes: [inst._id] })).to.deep.equal({ recounted: 0, failed: 0 });
  });

  it('a repair whose recount fails again keeps the mark for its next run', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, applicant);
    setDocumentsToCheckLogger({ error: () => undefined });
    setRecountHook((id) => {
      if (String(id) === String(c._id)) throw new Error('connection closed');
    });
    try {
      await upload(a, c, 'cv');
      expect(await repairMarkedCases({ institutes: [inst._id] })).to.deep.equal({ recounted: 0, failed: 1 });
      expect((await state(c)).marked).to.equal(true);
    } finally {
      setRecountHook(undefined);
      setDocumentsToCheckLogger(t.ctx.logger);
    }
    expect(await repairMarkedCases({ institutes: [inst._id] })).to.deep.equal({ recounted: 1, failed: 0 });
    await expectTrue(c, 'repaired at the next run');
  });

  it('reads the marked cases from { documentsToCheckDue } alone', async () => {
    const explained = (await Case.find({ documentsToCheckDue: { $gte: new Date(-8.64e15) } }, { _id: 1 }).sort({ documentsToCheckDue: 1 }).limit(1000).explain('executionStats')) as unknown as { queryPlanner: { winningPlan: unknown }; executionStats: { totalDocsExamined: number; nReturned: number } };
    expect(JSON.stringify(explained.queryPlanner.winningPlan)).to.include('documentsToCheckDue_1');
    expect(explained.executionStats.totalDocsExamined).to.equal(explained.executionStats.nReturned);
  });
});
