// Retention with an injected clock: exactly the unsuccessful cases past the period without consent
// are erased (files on disk and in GridFS, document records, evaluations, the case), an audit event
// keeps only the reference, call and dates; a second run changes nothing; a run cut short is finished
// by the next one; unused unverified applicant accounts go, every other account stays.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';

import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { CaseDocument } from '../../models/document.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { MailLog } from '../../models/mail-log.ts';
import type { CallDoc } from '../../models/call.ts';
import { runRetention, retentionService } from '../../server/privacy/index.ts';
import { documentStores, eraseCaseFiles, type Stores } from '../../server/privacy/erase.ts';
import { storeDocument } from './support.ts';

const DAY = 86_400_000;

describe('privacy: retention of unsuccessful applications', function () {
  this.timeout(60_000);
  let t: TestApp;
  let stores: Stores;
  let uploadDir: string;
  let call: CallDoc;
  let applicant: UserDoc;
  let member: UserDoc;
  const now = new Date(Date.now() + 10 * DAY); // the job's clock, injected
  const ago = (days: number) => new Date(now.getTime() - days * DAY);

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-privacy-${process.pid}`);
    await rm(uploadDir, { recursive: true, force: true });
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, RETENTION_DAYS: '365' } });
    stores = documentStores(t.ctx);
    const institute = await createInstitute();
    call = await createCall({ institute });
    applicant = await createUser({ role: 'applicant' });
    member = await createUser({ role: 'leader', institute });
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  async function unsuccessful(stage: 'rejected' | 'withdrawn', daysAgo: number, over: Record<string, unknown> = {}): Promise<CaseDoc> {
    return createCase({ applicant, call, stage, stageEnteredAt: ago(daysAgo), ...(stage === 'rejected' ? { decision: { reason: 'Not eligible this year' } } : {}), ...over });
  }

  it('erases exactly the rejected and withdrawn cases past the period without consent, files first', async () => {
    const rejected = await unsuccessful('rejected', 400);
    const withdrawn = await unsuccessful('withdrawn', 366);
    const consenting = await unsuccessful('rejected', 800, { keepDataConsent: true });
    const recent = await unsuccessful('rejected', 364);
    const active = await createCase({ applicant, call, stage: 'screening', stageEnteredAt: ago(500) });
    const draft = await createCase({ applicant, call, stage: 'draft', stageEnteredAt: ago(500) });

    const files = {
      rejectedDisk: await storeDocument(t.config, stores, rejected._id, applicant._id, 'disk'),
      rejectedGrid: await storeDocument(t.config, stores, rejected._id, applicant._id, 'gridfs'),
      withdrawnDisk: await storeDocument(t.config, stores, withdrawn._id, applicant._id, 'disk'),
      consentingDisk: await storeDocument(t.config, stores, consenting._id, applicant._id, 'disk'),
      recentGrid: await storeDocument(t.config, stores, recent._id, applicant._id, 'gridfs'),
      activeDisk: await storeDocument(t.config, stores, active._id, applicant._id, 'disk'),
    };
    // A record whose file is already gone (a crash after the file was removed) is not an error.
    const missing = await storeDocument(t.config, stores, withdrawn._id, applicant._id, 'disk');
    await stores.disk.remove(missing.key);
    for (const c of [rejected, consenting]) {
      await Evaluation.create({ case: c._id, call: call._id, member: member._id, recommendation: 'no', comment: 'Weak record', submittedAt: ago(420) });
    }

    // What the mail log holds of each case: the recipient and the subject are personal data too.
    const logRow = (c: CaseDoc, n: number) => ({ source: 'case', key: `ret.${String(c._id)}.${n}`, case: c._id, reference: c.reference, template: 'rejected', to: applicant.email, locale: 'en', status: 'sent', at: ago(400), subject: 'About your application' });
    await MailLog.insertMany([logRow(rejected, 1), logRow(rejected, 2), logRow(withdrawn, 1), logRow(consenting, 1), logRow(active, 1)]);

    const result = await runRetention({ app: t.ctx, now });
    expect(result.casesErased).to.be.at.least(2);
    expect(await MailLog.countDocuments({ case: { $in: [rejected._id, withdrawn._id] } }), 'mail log of erased cases').to.equal(0);
    expect(await MailLog.countDocuments({ case: { $in: [consenting._id, active._id] } }), 'mail log of kept cases').to.equal(2);

    const left = new Set((await Case.find({ applicant: applicant._id }, { _id: 1 }).lean()).map((c) => String(c._id)));
    expect(left.has(String(rejected._id)), 'rejected past the period').to.equal(false);
    expect(left.has(String(withdrawn._id)), 'withdrawn past the period').to.equal(false);
    for (const [name, c] of Object.entries({ consenting, recent, active, draft })) expect(left.has(String(c._id)), name).to.equal(true);

    expect(await stores.disk.exists(files.rejectedDisk.key)).to.equal(false);
    expect(await stores.gridfs.exists(files.rejectedGrid.key)).to.equal(false);
    expect(await stores.disk.exists(files.withdrawnDisk.key)).to.equal(false);
    expect(await stores.disk.exists(files.consentingDisk.key)).to.equal(true);
    expect(await stores.gridfs.exists(files.recentGrid.key)).to.equal(true);
    expect(await stores.disk.exists(files.activeDisk.key)).to.equal(true);

    expect(await CaseDocument.countDocuments({ case: { $in: [rejected._id, withdrawn._id] } })).to.equal(0);
    expect(await CaseDocument.countDocuments({ case: { $in: [consenting._id, recent._id, active._id] } })).to.equal(3);
    expect(await Evaluation.countDocuments({ case: rejected._id })).to.equal(0);
    expect(await Evaluation.countDocuments({ case: consenting._id })).to.equal(1);
    // The applicant may apply again: the account stays.
    expect(await User.exists({ _id: applicant._id })).to.not.equal(null);
  });

  it('keeps only the reference, call and dates in the audit event', async () => {
    const c = await unsuccessful('rejected', 400, { profile: { fullName: 'Trần Thị Bích', phone: '+84 90 000 0000' } });
    await runRetention({ app: t.ctx, now });
    const events = await AuditEvent.find({ action: 'privacy.case_erased', targetId: String(c._id) }).lean();
    expect(events).to.have.length(1);
    const summary = events[0]!.summary as Record<string, unknown>;
    expect(Object.keys(summary).sort()).to.deep.equal(['call', 'createdAt', 'erasedAt', 'reference', 'stageEnteredAt', 'submittedAt']);
    expect(summary.reference).to.equal(c.reference);
    expect(summary.call).to.equal(String(call._id));
    const text = JSON.stringify(events[0]);
    expect(text).not.to.include('Trần Thị Bích');
    expect(text).not.to.include('+84 90');
  });

  it('is a no-op when run again', async () => {
    const c = await unsuccessful('withdrawn', 500);
    const file = await storeDocument(t.config, stores, c._id, applicant._id, 'disk');
    await runRetention({ app: t.ctx, now });
    const before = {
      cases: await Case.countDocuments({}),
      docs: await CaseDocument.countDocuments({}),
      audits: await AuditEvent.countDocuments({ action: 'privacy.case_erased' }),
      users: await User.countDocuments({}),
    };
    const again = await runRetention({ app: t.ctx, now });
    expect(again).to.deep.equal({ casesErased: 0, filesRemoved: 0, accountsDeleted: 0, more: false });
    expect({
      cases: await Case.countDocuments({}),
      docs: await CaseDocument.countDocuments({}),
      audits: await AuditEvent.countDocuments({ action: 'privacy.case_erased' }),
      users: await User.countDocuments({}),
    }).to.deep.equal(before);
    expect(await stores.disk.exists(file.key)).to.equal(false);
  });

  it('finishes a run that stopped part-way (files gone, or audit written, but the case still there)', async () => {
    const filesGone = await unsuccessful('rejected', 400);
    const f = await storeDocument(t.config, stores, filesGone._id, applicant._id, 'gridfs');
    await stores.gridfs.remove(f.key); // the crash came after the file, before the record
    const audited = await unsuccessful('withdrawn', 400);
    await storeDocument(t.config, stores, audited._id, applicant._id, 'disk');
    await eraseCaseFiles(stores, audited._id);
    await AuditEvent.create({ action: 'privacy.case_erased', targetType: 'Case', targetId: String(audited._id), summary: { reference: audited.reference } });

    await runRetention({ app: t.ctx, now });
    expect(await Case.exists({ _id: { $in: [filesGone._id, audited._id] } })).to.equal(null);
    expect(await CaseDocument.countDocuments({ case: filesGone._id })).to.equal(0);
    expect(await AuditEvent.countDocuments({ action: 'privacy.case_erased', targetId: String(audited._id) })).to.equal(1);
    expect(await AuditEvent.countDocuments({ action: 'privacy.case_erased', targetId: String(filesGone._id) })).to.equal(1);
  });

  it('works in batches and says when there is more', async () => {
    const cases = [await unsuccessful('rejected', 700), await unsuccessful('rejected', 701), await unsuccessful('withdrawn', 702)];
    const first = await runRetention({ app: t.ctx, now, batchSize: 2 });
    expect(first.casesErased).to.equal(2);
    expect(first.more).to.equal(true);
    const second = await runRetention({ app: t.ctx, now, batchSize: 2 });
    expect(second.casesErased).to.equal(1);
    expect(await Case.exists({ _id: { $in: cases.map((c) => c._id) } })).to.equal(null);
  });

  it('deletes an unverified applicant account with no case unused for the period, and no other account', async () => {
    const old = async (opts: { verified?: boolean; role?: 'applicant' | 'hr_officer'; lastSignInDaysAgo?: number; createdDaysAgo?: number }) => {
      const u = await createUser({ role: opts.role ?? 'applicant', verified: opts.verified ?? false });
      const set: Record<string, unknown> = { createdAt: ago(opts.createdDaysAgo ?? 400) };
      if (opts.lastSignInDaysAgo !== undefined) set.lastSignInAt = ago(opts.lastSignInDaysAgo);
      await User.collection.updateOne({ _id: u._id }, { $set: set }); // past dates, past mongoose's timestamps
      return u;
    };
    const gone = await old({});
    await MailLog.create({ source: 'account', key: `ret.account.${String(gone._id)}`, template: 'verify_email', to: gone.email, locale: 'vi', status: 'sent', at: ago(400) });
    const goneSignedInLongAgo = await old({ lastSignInDaysAgo: 380 });
    const verified = await old({ verified: true });
    const recentSignIn = await old({ lastSignInDaysAgo: 30 });
    const recentAccount = await old({ createdDaysAgo: 10 });
    const staff = await old({ role: 'hr_officer' });
    const withDraft = await old({});
    await createCase({ applicant: withDraft, call, stage: 'draft' });

    const r = await runRetention({ app: t.ctx, now });
    expect(r.accountsDeleted).to.be.at.least(2);
    expect(await User.exists({ _id: gone._id })).to.equal(null);
    expect(await MailLog.countDocuments({ to: gone.email }), 'the erased account\'s e-mails in the mail log').to.equal(0);
    expect(await User.exists({ _id: goneSignedInLongAgo._id })).to.equal(null);
    for (const [name, u] of Object.entries({ verified, recentSignIn, recentAccount, staff, withDraft })) {
      expect(await User.exists({ _id: u._id }), name).to.not.equal(null);
    }
    const audit = await AuditEvent.findOne({ action: 'privacy.account_erased', targetId: String(gone._id) }).lean();
    expect(audit).to.not.equal(null);
    expect(JSON.stringify(audit)).not.to.include(gone.email);
  });

  it('runs as a background service that stops cleanly', async () => {
    const c = await unsuccessful('rejected', 900);
    const svc = retentionService({ ...t.ctx, now: () => now }, 3_600_000);
    svc.start();
    await svc.stop(); // the first run waits a minute after start; stop cancels it
    expect(svc.name).to.equal('retention');
    expect(await Case.exists({ _id: c._id })).to.not.equal(null);
    await runRetention({ app: t.ctx, now });
    expect(await Case.exists({ _id: c._id })).to.equal(null);
  });
});
