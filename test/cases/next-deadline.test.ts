// The case's next deadline (models/case-deadline.ts): the soonest of the stage's deadline and the
// procedures' under way. It orders the HR queue's "soonest deadline first", so a work permit due in
// two days comes before a screening due in three weeks, and the row says what is due and the
// working days left. Kept in step by the workflow and the procedure update in their own atomic
// update (no second write), by saves through the model, by any other update that touches a
// deadline, and by the start-time backfill for cases stored before the field existed.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { useTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { nextDeadline, nextDueAt, updateLeavesNextDueStale } from '../../models/case-deadline.ts';
import { backfillNextDeadlines } from '../../server/cases/deadline-backfill.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, post, versionIn } from '../applications/support.ts';
import { holdReviewDay } from '../support/hold.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

/** The case writes the driver sends while `fn` runs (collection method names). */
async function caseWrites(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  mongoose.set('debug', (collection: string, method: string) => {
    if (collection === 'cases' && /update|bulkWrite|insert/i.test(method)) seen.push(method);
  });
  try {
    await fn();
  } finally {
    mongoose.set('debug', false);
  }
  return seen;
}

describe('cases: the next deadline, stage or procedure', () => {
  describe('worked out from the stage and the procedures under way', () => {
    it('takes the soonest of the stage and the active procedures, and ignores procedures decided, stopped or without a clock', () => {
      const stage = vn('2027-03-20');
      expect(nextDeadline({ stageDueAt: stage, supportTracks: [] })).to.deep.equal({ at: stage, for: 'stage' });
      const tracks = [
        { kind: 'visa', status: 'approved', dueAt: vn('2027-03-01') },
        { kind: 'housing', status: 'not_needed', dueAt: vn('2027-03-02') },
        { kind: 'residence_card', status: 'requested' },
        { kind: 'work_permit', status: 'filed', dueAt: vn('2027-03-10') },
        { kind: 'citizenship', status: 'preparing', dueAt: vn('2027-03-15') },
      ];
      expect(nextDeadline({ stageDueAt: stage, supportTracks: tracks })).to.deep.equal({ at: vn('2027-03-10'), for: 'work_permit', what: 'decision' });
      expect(nextDeadline({ stageDueAt: null, supportTracks: tracks })).to.deep.equal({ at: vn('2027-03-10'), for: 'work_permit', what: 'decision' });
      // Whose move it waits for: HR's filing before the procedure is filed, the applicant's answer to an ask.
      expect(nextDeadline({ supportTracks: [{ kind: 'visa', status: 'preparing', dueAt: vn('2027-03-10') }] })).to.deep.equal({ at: vn('2027-03-10'), for: 'visa', what: 'filing' });
      expect(nextDeadline({ supportTracks: [{ kind: 'visa', status: 'filed', dueAt: vn('2027-03-10'), asks: [{ dueAt: vn('2027-03-05') }, { dueAt: vn('2027-03-01'), receivedAt: vn('2027-02-27') }] }] })).to.deep.equal({ at: vn('2027-03-05'), for: 'visa', what: 'answer' });
      expect(nextDeadline({ stageDueAt: null, supportTracks: tracks.slice(0, 3) })).to.equal(null);
      expect(nextDueAt({})).to.equal(null);
      // A case closed, rejected or withdrawn has nothing due, whatever its procedures still say.
      for (const ended of ['closed', 'rejected', 'withdrawn']) expect(nextDeadline({ stage: ended, stageDueAt: stage, supportTracks: tracks }), ended).to.equal(null);
      expect(nextDeadline({ stage: 'arrived', supportTracks: tracks })!.for).to.equal('work_permit');
      // A tie goes to the stage, the row's first line.
      expect(nextDeadline({ stageDueAt: vn('2027-03-10'), supportTracks: tracks })!.for).to.equal('stage');
    });

    it('counts a refusal’s written reasons while owed, and nothing of a refusal once they are received', () => {
      const stage = vn('2027-03-20');
      const refused = { kind: 'work_permit', status: 'refused', reasonsDueAt: vn('2027-03-04') };
      expect(nextDeadline({ stageDueAt: stage, supportTracks: [refused, { kind: 'visa', status: 'requested', dueAt: vn('2027-03-10') }] })).to.deep.equal({ at: vn('2027-03-04'), for: 'work_permit', what: 'reasons' });
      expect(nextDeadline({ stageDueAt: stage, supportTracks: [{ ...refused, reasonsReceivedAt: vn('2027-03-02') }] })).to.deep.equal({ at: stage, for: 'stage' });
      // Left over on a procedure no longer refused (lodged again): not a deadline.
      expect(nextDeadline({ stageDueAt: stage, supportTracks: [{ ...refused, status: 'filed' }] })).to.deep.equal({ at: stage, for: 'stage' });
      expect(nextDeadline({ stage: 'closed', supportTracks: [refused] })).to.equal(null);
    });

    it('tells the updates that leave it behind from those that set it or touch nothing it comes from', () => {
      expect(updateLeavesNextDueStale({ $set: { stageDueAt: new Date() } })).to.equal(true);
      expect(updateLeavesNextDueStale({ $unset: { stageDueAt: '' } })).to.equal(true);
      expect(updateLeavesNextDueStale({ $set: { 'supportTracks.$[t].status': 'approved' } })).to.equal(true);
      expect(updateLeavesNextDueStale({ $push: { supportTracks: { kind: 'visa', status: 'requested' } } })).to.equal(true);
      expect(updateLeavesNextDueStale({ $set: { supportTracks: [], nextDueAt: null } })).to.equal(false);
      expect(updateLeavesNextDueStale({ $push: { outbox: {} }, $set: { stageDueAtNote: 1 } })).to.equal(false);
      expect(updateLeavesNextDueStale(null)).to.equal(false);
    });
  });

  // One app for the HTTP parts, on a clock the tests move; each part has an institute of its own.
  let t: TestApp;
  let clock = vn('2027-03-01');
  useTestApp((app) => (t = app), { now: () => clock });
  before(async () => {
    await seedHolidays();
  });

  describe('kept in step on every write', () => {
    let hr: UserDoc;
    let applicant: UserDoc;
    let call: CallDoc;

    before(async () => {
      const institute = await createInstitute();
      hr = await createUser({ role: 'hr_officer', institute, name: 'Deadline Officer', locale: 'en' });
      applicant = await createUser({ role: 'applicant', locale: 'en' });
      call = await createCall({ institute, checklist: [] });
    });

    const stored = async (id: unknown) => (await Case.findById(id, { nextDueAt: 1, stage: 1, stageDueAt: 1, supportTracks: 1 }).lean())!;

    it('is set when a case is saved through the model, and worked out again after an update that does not say it', async () => {
      const c = await createCase({ applicant, call, stage: 'onboarding', stageDueAt: vn('2027-04-01'), supportTracks: [{ kind: 'visa', status: 'requested', dueAt: vn('2027-03-12') }] });
      expect((await stored(c._id)).nextDueAt?.toISOString()).to.equal(vn('2027-03-12').toISOString());
      // A script marks the visa granted without saying the next deadline: the hook catches up after it.
      const writes = await caseWrites(() => Case.updateOne({ _id: c._id }, { $set: { 'supportTracks.$[t].status': 'approved' } }, { arrayFilters: [{ 't.kind': 'visa' }] }));
      expect(writes).to.deep.equal(['updateOne', 'bulkWrite']);
      expect((await stored(c._id)).nextDueAt?.toISOString()).to.equal(vn('2027-04-01').toISOString());
      // Withdrawn: nothing is due any more; back in a stage with a deadline, it is again.
      await Case.updateOne({ _id: c._id }, { $set: { stage: 'withdrawn' } });
      expect((await stored(c._id)).nextDueAt).to.equal(null);
      await Case.updateOne({ _id: c._id }, { $set: { stage: 'onboarding' } });
      expect((await stored(c._id)).nextDueAt?.toISOString()).to.equal(vn('2027-04-01').toISOString());
      await Case.findOneAndUpdate({ _id: c._id }, { $unset: { stageDueAt: '' } });
      expect((await stored(c._id)).nextDueAt).to.equal(null);
      // Many cases at once: each is worked out after the update.
      const other = await createCase({ applicant, call, stage: 'screening', stageDueAt: vn('2027-03-30') });
      await Case.updateMany({ _id: { $in: [c._id, other._id] } }, { $set: { stageDueAt: vn('2027-05-01') } });
      for (const id of [c._id, other._id]) expect((await stored(id)).nextDueAt?.toISOString()).to.equal(vn('2027-05-01').toISOString());
    });

    it('moves with a procedure an officer files and then sees granted, in the same update as the procedure', async () => {
      clock = vn('2027-03-01');
      const c = await createCase({
        applicant,
        call,
        stage: 'onboarding',
        assignee: hr._id,
        stageDueAt: vn('2027-04-30'),
        supportTracks: [
          { kind: 'work_permit', status: 'requested', dueAt: vn('2027-03-05'), updatedAt: vn('2027-02-20') },
          { kind: 'residence_card', status: 'requested', updatedAt: vn('2027-02-20') },
        ],
      });
      const a = await signedIn(t, hr);
      const url = `/cases/${c._id}/procedures/work_permit`;
      const form = await page(a, url);
      let res: Awaited<ReturnType<typeof post>> | undefined;
      const writes = await caseWrites(async () => {
        res = await post(a, form.text, url, { version: versionIn(form.text, url), status: 'filed', office: 'Sở Nội vụ Hà Nội', filedAt: '2027-03-01' });
      });
      expect(res!.status).to.equal(303);
      // The procedure and its next deadline in one update: no catch-up write after it (the other
      // update is the arrival forecast's).
      expect(writes[0]).to.equal('findOneAndUpdate');
      expect(writes).not.to.include('bulkWrite');
      const filed = await stored(c._id);
      const wp = filed.supportTracks.find((s) => s.kind === 'work_permit')!;
      expect(vnDateKey(wp.dueAt!)).to.equal('2027-03-15'); // the authority's 10 working days from 1 March
      expect(filed.nextDueAt?.toISOString()).to.equal(wp.dueAt!.toISOString());

      // Granted: the work permit has no clock any more; the residence card's starts now and comes first.
      clock = vn('2027-03-10');
      const b = await signedIn(t, hr); // nine days on: a new session
      const again = await page(b, url);
      expect((await post(b, again.text, url, { version: versionIn(again.text, url), status: 'approved', office: 'Sở Nội vụ Hà Nội', filedAt: '2027-03-01', decidedAt: '2027-03-10', message: 'Granted; collect it at the office.' })).status).to.equal(303);
      const granted = await stored(c._id);
      const card = granted.supportTracks.find((s) => s.kind === 'residence_card')!;
      expect(card.dueAt, 'the residence card clock started').to.be.instanceOf(Date);
      expect(granted.nextDueAt?.toISOString()).to.equal(nextDueAt(granted)!.toISOString());
      expect(granted.nextDueAt!.getTime()).to.be.below(vn('2027-04-30').getTime());
    });

    it('moves with the stage on a workflow step: the offer accepted opens procedures with their clocks; a hold keeps only theirs', async () => {
      clock = vn('2027-03-01');
      const c = await createCase({ applicant, call, stage: 'offer', assignee: hr._id, stageDueAt: vn('2027-03-08'), supportRequested: { workPermit: true, visa: true, residenceCard: false, housing: false, citizenship: false, family: false } });
      const accepted = await transition({ app: t.ctx, ctx: actorContext(t.ctx, applicant), caseId: c._id, action: 'accept_offer', expectedVersion: c.version });
      const onboarding = await stored(c._id);
      expect(onboarding.nextDueAt, 'set by the transition').to.be.instanceOf(Date);
      expect(onboarding.nextDueAt!.toISOString()).to.equal(nextDueAt(onboarding)!.toISOString());
      const wp = onboarding.supportTracks.find((s) => s.kind === 'work_permit')!;
      expect(onboarding.nextDueAt!.getTime()).to.equal(Math.min(wp.dueAt!.getTime(), onboarding.stageDueAt!.getTime()));

      const writes = await caseWrites(() => transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: c._id, action: 'put_on_hold', expectedVersion: accepted.version, payload: { reason: 'The lab is not ready yet.', reviewBy: holdReviewDay(clock) } }));
      expect(writes.filter((w) => w === 'bulkWrite'), 'no catch-up write').to.deep.equal([]);
      const held = await stored(c._id);
      // The hold's deadline is its review date (the end of that day in Vietnam); the next deadline the sooner of it and the permit's.
      expect(vnDateKey(held.stageDueAt!)).to.equal(holdReviewDay(clock));
      expect(held.nextDueAt!.getTime()).to.equal(Math.min(wp.dueAt!.getTime(), held.stageDueAt!.getTime()));
    });

    it('is written at start for cases stored before it existed, once', async () => {
      const c = await createCase({ applicant, call, stage: 'screening', stageDueAt: vn('2027-06-01') });
      const bare = await createCase({ applicant, call, stage: 'arrived' });
      await Case.collection.updateMany({ _id: { $in: [c._id, bare._id] } }, { $unset: { nextDueAt: '' } });
      expect(await backfillNextDeadlines(1)).to.be.at.least(2);
      expect((await stored(c._id)).nextDueAt?.toISOString()).to.equal(vn('2027-06-01').toISOString());
      const none = await Case.findById(bare._id, { nextDueAt: 1 }).lean();
      expect(none).to.have.property('nextDueAt', null);
      expect(await backfillNextDeadlines()).to.equal(0);
    });
  });

  describe('orders the queue and is shown on the row', () => {
    let hr: UserDoc;
    let hrVi: UserDoc;

    before(async () => {
      clock = vn('2027-03-01');
      const institute = await createInstitute();
      hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
      hrVi = await createUser({ role: 'hr_officer', institute, locale: 'vi' });
    });

    it('puts a work permit due in 3 working days before a screening due in 3 weeks, and says which and how long is left', async () => {
      const applicant = await createUser({ role: 'applicant' });
      const call = await createCall({ institute: hr.institute!, checklist: [] });
      const screening = await createCase({ applicant, call, stage: 'screening', stageDueAt: vn('2027-03-22') });
      const permit = await createCase({
        applicant,
        call,
        stage: 'onboarding',
        stageDueAt: vn('2027-04-30'),
        supportTracks: [{ kind: 'work_permit', status: 'filed', dueAt: vn('2027-03-04') }, { kind: 'visa', status: 'requested' }],
      });
      const late = await createCase({
        applicant,
        call,
        stage: 'onboarding',
        stageDueAt: vn('2027-05-30'),
        supportTracks: [{ kind: 'housing', status: 'requested', dueAt: vn('2027-02-25') }, { kind: 'visa', status: 'filed', dueAt: vn('2027-02-26') }],
      });
      const none = await createCase({ applicant, call, stage: 'arrived' });
      const a = await signedIn(t, hr);
      const res = await page(a, '/cases?size=100&sort=due');
      expect(res.status).to.equal(200);
      const order = [...res.text.matchAll(/data-case="([a-f0-9]{24})"/g)].map((m) => m[1]);
      expect(order).to.deep.equal([late, permit, screening, none].map((c) => String(c._id)));
      const row = (c: { _id: unknown }, html = res.text) => {
        const from = html.indexOf(`data-case="${String(c._id)}"`);
        return html.slice(from, html.indexOf('</tr>', from)).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
      };
      expect(row(permit)).to.include("4 Mar 2027 · Work permit: the authority&#x27;s decision 3 working days left");
      expect(row(screening)).to.include('22 Mar 2027 15 working days left');
      expect(row(late)).to.include('25 Feb 2027 · Housing: filing by HR 2 working days overdue');
      // Its late procedures in one red badge, each named once.
      expect(row(late)).to.include('Overdue: Housing, Visa');
      expect(row(late).match(/Overdue/g)).to.have.length(1);
      expect(row(none)).to.include('No deadline');
      const vi = await page(await signedIn(t, hrVi), '/cases?size=100&sort=due');
      expect(row(permit, vi.text)).to.include('còn 3 ngày làm việc');
    });
  });
});
