// Drill: the process SIGKILLed inside HR's record of a procedure step (server/procedures/service.ts
// updateProcedure: the work permit recorded as filed; one case update carries the track, its history
// entry, the applicant's e-mail in the outbox and the pending audit event). On a data folder of the
// drill's own, a child process (test/drills/support/procedure-step.ts) runs the real service and
// kills itself:
//   1. as the case's update is issued: after the restart the case is as it was (no track, no
//      history, no e-mail owed), the officer's page shows no filing, nobody is e-mailed, no event;
//   2. HR records it again, killed at the first write after the case's update: after the restart
//      the track and its history entry agree, the officer's page shows the stored filing day and
//      the stored decision deadline, the applicant gets exactly one e-mail for the step (sent by
//      the dispatcher after the restart), and the case's audit event is recorded once (by the repair).
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { formatDay } from '../../server/views/time.ts';
import { runScriptToEnd } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';
import { AUDITED, officerPages, sleep, useDrillSmtp } from './support/crash-drill.ts';
import type { ProcedureStep } from './support/procedure-step.ts';

describe('drill: SIGKILL inside a procedure step with its e-mail', function () {
  this.timeout(300_000);
  const drill = useDrill('procedure-step');
  const smtp = useDrillSmtp();

  it('leaves the case whole at each kill point, e-mails the applicant once for the step, and audits it once', async () => {
    const env = drill.env({ SMTP_URL: smtp().url, DISPATCH_INTERVAL_MS: '200' });
    const seeded = await drill.seed(env, { applicants: 1, stage: 'offer' });
    const { caseId, email: applicantEmail } = seeded.applicants[0]!;
    const step = async (at: ProcedureStep['at'], office: string) => {
      const r = await runScriptToEnd('test/drills/support/procedure-step.ts', [JSON.stringify({ hr: seeded.hr.email, caseId, office, at } satisfies ProcedureStep)], env);
      expect(r.signal, `the step was killed at ${at} (exit ${r.code}):\n${r.err}\n${r.out}`).to.equal('SIGKILL');
      expect(r.out).to.match(new RegExp(`killed at ${at}: `));
      return r.out.trim();
    };
    const t0 = Date.now();
    const phases: string[] = [];
    const phaseDone = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const theCase = async () => (await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
    const stepMails = () => smtp().to(applicantEmail).filter((m) => m.messageId.includes('procedure'));
    const events = () => drill.db().collection('auditevents').countDocuments({ targetId: caseId, action: 'case.support_update' });
    const { page: read } = officerPages(drill, seeded.hr, seeded.password);
    const officerPage = () => read(`/cases/${caseId}/procedures/work_permit`);

    // 1. Killed as the case's update is issued.
    const seededVersion = 5; // the seed's five steps to `offer` (support/seed.ts)
    await step('case', 'Hanoi Department of Home Affairs (first try)');
    await drill.boot(env);
    const first = await theCase();
    expect(first.version, 'the case is as it was').to.equal(seededVersion);
    expect(first.supportTracks ?? [], 'no track').to.deep.equal([]);
    expect((first.history as Array<{ action: string }>).map((h) => h.action)).not.to.include('support_update');
    expect(first.outbox ?? [], 'no e-mail owed').to.deep.equal([]);
    expect(first.pendingAudits ?? [], 'no event owed').to.deep.equal([]);
    const page1 = await officerPage();
    expect(page1, 'the officer sees no filing').not.to.include('first try');
    expect(page1).not.to.include('data-deadline');
    await sleep(1000); // an e-mail, if one were owed, would be sent by now (dispatch every 200 ms)
    expect(stepMails(), 'nobody e-mailed').to.deep.equal([]);
    expect(await events(), 'no event').to.equal(0);
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('first kill checked');

    // 2. HR records it again; killed at the first write after the case's update.
    const said = await step('after', 'Hanoi Department of Home Affairs');
    await drill.boot(env);
    const landed = await theCase();
    expect(landed.version, `one step (${said}; history ${(landed.history as Array<{ action: string }>).map((h) => h.action).join(', ')})`).to.equal(seededVersion + 1);
    const tracks = landed.supportTracks as Array<{ kind: string; status: string; office: string; filedAt: Date; dueAt: Date }>;
    expect(tracks.map((t) => [t.kind, t.status, t.office])).to.deep.equal([['work_permit', 'filed', 'Hanoi Department of Home Affairs']]);
    const track = tracks[0]!;
    expect(track.dueAt, 'the decision deadline stored').to.be.instanceOf(Date);
    const entries = (landed.history as Array<{ action: string; procedure?: { kind: string; from: string; to: string; filedAt?: Date } }>).filter((h) => h.action === 'support_update');
    expect(entries, 'one history entry').to.have.length(1);
    expect(entries[0]!.procedure, 'the history says what the track is').to.deep.include({ kind: 'work_permit', from: 'not_needed', to: track.status });
    expect(entries[0]!.procedure!.filedAt?.getTime()).to.equal(track.filedAt.getTime());
    const outbox = (landed.outbox ?? []) as Array<{ key: string }>;
    expect(outbox.map((o) => o.key), 'the step’s e-mail owed with it').to.deep.equal([`${caseId}.${seededVersion + 1}.procedure.work_permit`]);
    const page2 = await officerPage();
    expect(page2).to.include('Hanoi Department of Home Affairs');
    // The day and the working days the page counts are the stored deadline's (not one recomputed differently).
    const deadline = new RegExp(`${formatDay(track.dueAt, 'en').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · <span data-deadline>`);
    expect(page2, `the stored deadline (${track.dueAt.toISOString()}) shown`).to.match(deadline);
    expect(page2, 'the stored filing day shown').to.include(`value="${new Date(track.filedAt.getTime() + 7 * 3_600_000).toISOString().slice(0, 10).split('-').reverse().join('/')}"`);
    const until = Date.now() + 30_000;
    while (stepMails().length === 0 && Date.now() < until) await sleep(100);
    await sleep(1000); // a duplicate, if any, would arrive now
    expect(stepMails(), 'the applicant e-mailed once').to.have.length(1);
    expect(stepMails()[0]!.messageId).to.include(`${caseId}.${seededVersion + 1}.procedure.work_permit`);
    // The repair's first run comes once its grace (10 s) has passed since the start.
    await drill.app().waitForLog(AUDITED, 90_000);
    expect(await events(), 'the case’s event, once').to.equal(1);
    expect((await theCase()).pendingAudits ?? [], 'nothing left owed').to.deep.equal([]);
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('second kill checked');
    process.stdout.write(`      drill figures (two kills, two starts): ${phases.join('; ')}\n`);
  });
});
