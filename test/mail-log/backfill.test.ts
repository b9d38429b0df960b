// The one-off backfill: e-mails tried before the mail log existed get their row; never-tried ones
// and rows the dispatcher wrote are left alone; a second run adds nothing.
import { expect } from 'chai';
import { testDatabase } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { MailLog } from '../../models/mail-log.ts';
import { caseEmail } from '../../server/outbox/index.ts';
import { backfillMailLog } from '../../server/mail-log/backfill.ts';

describe('mail log: backfill from the outboxes', () => {
  it('adds a row per tried e-mail, once', async () => {
    await testDatabase();
    const applicant = await createUser({ role: 'applicant' });
    const c = await createCase({ applicant, call: await createCall({ institute: await createInstitute() }), stage: 'submitted' });
    const at = new Date('2026-02-01T03:00:00Z');
    const sent = { ...caseEmail(applicant, 'closed', {}, `bf.${c._id}.sent`, at), status: 'sent', attempts: 1, sentAt: at, lastAttemptAt: at };
    const dead = { ...caseEmail(applicant, 'closed', {}, `bf.${c._id}.dead`, at), status: 'dead', attempts: 8, lastError: '550 no', lastAttemptAt: at };
    const fresh = caseEmail(applicant, 'closed', {}, `bf.${c._id}.fresh`, at);
    await Case.updateOne({ _id: c._id }, { $push: { outbox: { $each: [sent, dead, fresh] } } });
    await MailLog.create({ source: 'case', case: c._id, key: `bf.${c._id}.sent`, template: 'closed', to: applicant.email, locale: 'vi', status: 'sent', attempts: 1, at, subject: 'from the dispatcher' });

    await backfillMailLog({ batchSize: 7 });
    const rows = await MailLog.find({ case: c._id }).sort({ key: 1 }).lean();
    expect(rows.map((r) => [r.key, r.status])).to.deep.equal([
      [`bf.${c._id}.dead`, 'dead'],
      [`bf.${c._id}.sent`, 'sent'],
    ]);
    expect(rows[0]).to.include({ lastError: '550 no', attempts: 8, reference: c.reference });
    expect(rows[1]!.subject).to.equal('from the dispatcher');
    const again = await backfillMailLog();
    expect(await MailLog.countDocuments({ case: c._id })).to.equal(2);
    expect(again.added).to.equal(0);
  });
});
