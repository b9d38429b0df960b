// A file the applicant uploads into the slot a procedure's request names e-mails the assigned officer
// (server/procedures/asks.ts tellOfficerOfUploads). When the case keeps changing under that write
// (every version-matched try loses), the e-mail is still queued through the outbox, once, with the
// request marked told, and the other writes to the case are kept; it reaches the officer by SMTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { tellOfficerOfUploads } from '../../server/procedures/asks.ts';
import { actorContext } from '../workflow/context.ts';
import { deliver } from '../applications/support.ts';
import type { UserDoc } from '../../models/user.ts';

describe('procedures: the officer e-mail of an upload answering a request, with the case changing all along', function () {
  this.timeout(60_000);
  let t: TestApp;
  let hr: UserDoc;
  let applicant: UserDoc;
  let c: CaseDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    const call = await createCall({ institute, checklist: [] });
    const now = new Date();
    const ask = { text: 'The certified translation of your diploma.', askedAt: now, dueAt: new Date(now.getTime() + 10 * 86_400_000), documentType: 'degree_translation' };
    c = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, supportTracks: [{ kind: 'work_permit', status: 'preparing', updatedAt: now, asks: [ask] }] as never });
  });
  after(async () => {
    await t?.close();
  });

  it('queues it once, marks the request told and keeps the other writes, even when no version-matched try can win', async () => {
    // Another writer bumps the case's version without pause while the e-mail is written.
    let running = true;
    let bumps = 0;
    const bumper = (async () => {
      while (running) {
        await Case.updateOne({ _id: c._id }, { $inc: { version: 1 }, $set: { 'profile.phone': `+49 30 ${bumps}` } });
        bumps += 1;
      }
    })();
    const ctx = actorContext(t.ctx, applicant);
    const r = await tellOfficerOfUploads({ app: t.ctx, ctx, caseId: c._id, documents: [{ type: 'degree_translation' }] });
    running = false;
    await bumper;
    expect(r.told).to.equal(1);

    const stored = (await Case.findById(c._id).lean())!;
    const askId = String(stored.supportTracks[0]!.asks![0]!._id);
    const items = stored.outbox.filter((o) => o.template === 'procedure_ask_replied');
    expect(items.map((o) => [o.to, o.key])).to.deep.equal([[hr.email, `${c._id}.askUploaded.${askId}`]]);
    expect(stored.supportTracks[0]!.asks![0]!.uploadToldAt).to.be.instanceOf(Date);
    expect(stored.profile?.phone, 'the other writer kept its last write').to.equal(`+49 30 ${bumps - 1}`);
    const audits = await AuditEvent.find({ action: 'case.procedure_ask_uploaded', targetId: String(c._id) }).lean();
    expect(audits).to.have.length(1);

    // Told once: another upload of the slot queues nothing more.
    expect((await tellOfficerOfUploads({ app: t.ctx, ctx, caseId: c._id, documents: [{ type: 'degree_translation' }] })).told).to.equal(0);
    expect((await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'procedure_ask_replied')).to.have.length(1);

    await deliver(t, c._id);
    const mail = await t.smtp.waitFor((m) => m.to.includes(hr.email.toLowerCase()) && m.subject.includes(c.reference));
    expect(mail.text).to.include('The certified translation of your diploma.');
  });
});
