// Drill: the process SIGKILLed inside the applicant's answer to HR's information request with the
// paper it asks for (server/applications/answer.ts answerWithFiles: the file stored and its record
// written, then the case's update naming it, carrying HR's e-mail, the applicant's receipt and the
// audit event). On a data folder of the drill's own, a child process
// (test/drills/support/answer-step.ts) runs the real service and kills itself:
//   1. as the case's update is issued: after the restart no answer is recorded, no e-mail is owed
//      or sent; the start-up sweep takes the file no answer names back (record, file, audited: it
//      was shown to the officer as the case's document before the sweep knew of answers' files),
//      so the officer sees no document of it;
//   2. the applicant sends the answer again (the lost one is not a repeat), killed at the first
//      write after the case's update: after the restart the answer names its file, the officer's
//      page links it and it downloads whole (sha256 equal), HR is e-mailed once, the event recorded
//      once; the sweep keeps the file the answer names (and clears its mark).
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { runScriptToEnd } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';
import { AUDITED, SWEPT, officerPages, sleep, storedFiles, useDrillSmtp } from './support/crash-drill.ts';
import type { AnswerStep } from './support/answer-step.ts';

describe('drill: SIGKILL inside an information request’s answer with its file', function () {
  this.timeout(300_000);
  const drill = useDrill('answer-files');
  const smtp = useDrillSmtp();

  it('keeps the answer with its file or nothing of it, e-mails HR once, and lets the applicant send it again', async () => {
    const env = drill.env({ SMTP_URL: smtp().url, DISPATCH_INTERVAL_MS: '200' });
    const seeded = await drill.seed(env, { applicants: 1, stage: 'awaiting_applicant', askedDocument: 'degree' });
    const { caseId, email: applicantEmail } = seeded.applicants[0]!;
    const uploadDir = path.join(drill.dir, 'uploads');
    const step = async (at: AnswerStep['at'], answer: string) => {
      const r = await runScriptToEnd('test/drills/support/answer-step.ts', [JSON.stringify({ hr: seeded.hr.email, caseId, answer, type: 'degree', at } satisfies AnswerStep)], env);
      expect(r.signal, `the step was killed at ${at} (exit ${r.code}):\n${r.err}\n${r.out}`).to.equal('SIGKILL');
      expect(r.out).to.match(new RegExp(`killed at ${at}: `));
      return /sha256 ([0-9a-f]{64})/.exec(r.out)![1]!;
    };
    const t0 = Date.now();
    const phases: string[] = [];
    const phaseDone = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const theCase = async () => (await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
    const papers = async () => drill.db().collection('documents').find({ case: new ObjectId(caseId), type: 'degree' }).sort({ _id: 1 }).toArray();
    const hrMails = () => smtp().to(seeded.hr.email).filter((m) => m.messageId.includes('info_answered'));
    const receipts = () => smtp().to(applicantEmail).filter((m) => m.messageId.includes('info_answer_received'));
    const events = () => drill.db().collection('auditevents').countDocuments({ targetId: caseId, action: 'case.transition', 'summary.action': 'answer_info' });
    const { page: read, client: hr } = officerPages(drill, seeded.hr, seeded.password);
    const officerPage = () => read(`/cases/${caseId}`);

    // 1. Killed as the case's update is issued.
    const seededVersion = 3; // the seed's three steps to `awaiting_applicant` (support/seed.ts)
    await step('case', 'First try: my degree.');
    await drill.boot(env);
    const swept1 = JSON.parse(await drill.app().waitForLog(SWEPT, 60_000)) as { sweep: { answerFiles: { removed: number; kept: number } } };
    expect(swept1.sweep.answerFiles, 'the lost answer’s file taken back').to.deep.equal({ removed: 1, kept: 0 });
    const first = await theCase();
    // The sweep's claim moved the version (an answer still under way elsewhere would be refused as stale).
    expect(first.version, 'the case is as it was, but for the sweep’s claim').to.equal(seededVersion + 1);
    expect(first.stage).to.equal('awaiting_applicant');
    expect(first.infoRequest.answeredAt, 'no answer').to.equal(undefined);
    expect(first.outbox ?? [], 'no e-mail owed').to.deep.equal([]);
    expect(await papers(), 'no record of the lost answer’s file').to.deep.equal([]);
    expect(storedFiles(uploadDir), 'nor its file').to.deep.equal([]);
    const removal = await drill.db().collection('auditevents').find({ action: 'document.orphan_removed', 'summary.case': caseId }).toArray();
    expect(removal.map((e) => e.summary.answerFile), 'its removal audited').to.deep.equal([true]);
    const page1 = await officerPage();
    expect(page1, 'the officer sees no document of it').not.to.include('/download');
    await sleep(1000);
    expect(hrMails(), 'HR not e-mailed').to.deep.equal([]);
    expect(await events(), 'no event').to.equal(0);
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('first kill checked');

    // 2. The applicant sends the answer again; killed at the first write after the case's update.
    const sha256 = await step('after', 'Second try: my degree.');
    await drill.boot(env);
    const swept2 = JSON.parse(await drill.app().waitForLog(SWEPT, 60_000)) as { sweep: { answerFiles: { removed: number; kept: number } } };
    expect(swept2.sweep.answerFiles, 'the answered file kept').to.deep.equal({ removed: 0, kept: 1 });
    const answered = await theCase();
    expect(answered.version, 'one step').to.equal(seededVersion + 2);
    expect(answered.stage).to.equal('screening');
    expect(answered.infoRequest.answer).to.equal('Second try: my degree.');
    const named = (answered.infoRequest.answerDocuments as ObjectId[]).map(String);
    expect(named, 'the answer names one file').to.have.length(1);
    const doc = (await papers()).find((d) => String(d._id) === named[0])!;
    expect(doc, 'its record').to.not.equal(undefined);
    expect(doc.sha256).to.equal(sha256);
    expect(doc.answerPending, 'unmarked').to.equal(undefined);
    expect(await papers(), 'its only record').to.have.length(1);
    expect(storedFiles(uploadDir), 'its only file').to.deep.equal([doc.storageKey]);
    const page2 = await officerPage();
    expect(page2, 'the officer sees the answer').to.include('Second try: my degree.');
    const href = `/documents/${named[0]}/download`;
    expect(page2, 'and its file').to.include(href);
    const download = await fetch(`${drill.app().url}${href}`, { headers: { cookie: hr.cookieHeader() } });
    expect(download.status).to.equal(200);
    expect(createHash('sha256').update(Buffer.from(await download.arrayBuffer())).digest('hex'), 'the file whole').to.equal(sha256);
    const until = Date.now() + 30_000;
    while ((hrMails().length === 0 || receipts().length === 0) && Date.now() < until) await sleep(100);
    await sleep(1000); // a duplicate, if any, would arrive now
    expect(hrMails(), 'HR e-mailed once').to.have.length(1);
    expect(receipts(), 'the applicant’s receipt, once').to.have.length(1);
    await drill.app().waitForLog(AUDITED, 90_000);
    expect(await events(), 'the answer’s event, once').to.equal(1);
    phaseDone('second kill checked');
    expect(await drill.app().stop()).to.equal(0);
    process.stdout.write(`      drill figures (two kills, two starts): ${phases.join('; ')}\n`);
  });
});
