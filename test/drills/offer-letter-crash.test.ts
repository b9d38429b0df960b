// Drill: the process SIGKILLed inside HR's save of an offer with its letter (server/cases/
// offer-terms.ts changeOfferTerms: the letter's file and record, marked offerPending, then the case's
// update naming it and carrying the applicant's e-mail and the audit event, then the mark cleared).
// On a data folder of the drill's own, a child process (test/drills/support/offer-step.ts) runs the
// real service and kills itself:
//   1. as the case's update is issued: after the restart the case is as it was (no letter named, no
//      history, no e-mail owed), the officer's page shows no letter, nobody is e-mailed; the letter
//      is left marked for the sweep;
//   2. HR saves again, killed at the first write after the case's update: after the restart the
//      case names the new letter, the applicant gets exactly one offer_letter_ready e-mail, the
//      officer's page links the letter and it downloads whole, the case's audit event is recorded once;
//   3. once the sweep's grace has passed (the letters' createdAt moved back 20 minutes, as a later
//      start would find them): the unnamed letter of step 1 is removed (record and file, audited),
//      the named one is kept and unmarked, and still one e-mail.
import { expect } from 'chai';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { runScriptToEnd } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';
import { AUDITED, SWEPT, officerPages, sleep, storedFiles, useDrillSmtp } from './support/crash-drill.ts';
import type { OfferStep } from './support/offer-step.ts';

describe('drill: SIGKILL inside an offer’s save with its letter', function () {
  this.timeout(300_000);
  const drill = useDrill('offer-letter');
  const smtp = useDrillSmtp();

  it('leaves the case whole at each kill point, e-mails the applicant once, and sweeps only the letter no case names', async () => {
    const env = drill.env({ SMTP_URL: smtp().url, DISPATCH_INTERVAL_MS: '200' });
    const seeded = await drill.seed(env, { applicants: 1, stage: 'offer' });
    const { caseId, email: applicantEmail } = seeded.applicants[0]!;
    const uploadDir = path.join(drill.dir, 'uploads');
    const step = async (at: OfferStep['at'], position: string) => {
      const r = await runScriptToEnd('test/drills/support/offer-step.ts', [JSON.stringify({ hr: seeded.hr.email, caseId, position, at } satisfies OfferStep)], env);
      expect(r.signal, `the step was killed at ${at} (exit ${r.code}):\n${r.err}\n${r.out}`).to.equal('SIGKILL');
      expect(r.out).to.match(new RegExp(`killed at ${at}: `));
    };
    const t0 = Date.now();
    const phases: string[] = [];
    const phaseDone = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const theCase = async () => (await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
    const letters = async () => drill.db().collection('documents').find({ case: new ObjectId(caseId), type: 'offer_letter' }).sort({ version: 1 }).toArray();
    const offerMails = () => smtp().to(applicantEmail).filter((m) => m.messageId.includes('offer_letter_ready'));
    const { page: read, client: hr } = officerPages(drill, seeded.hr, seeded.password);
    const officerPage = () => read(`/cases/${caseId}`);

    // 1. Killed as the case's update is issued.
    const seededVersion = 5; // the seed's five steps to `offer` (support/seed.ts)
    await step('case', 'Researcher (first try)');
    await drill.boot(env);
    const afterFirst = await theCase();
    expect(afterFirst.version, 'the case is as it was').to.equal(seededVersion);
    expect(afterFirst.offerTerms?.letter, 'no letter named').to.equal(undefined);
    expect((afterFirst.history as Array<{ action: string }>).map((h) => h.action)).not.to.include('offer_terms');
    expect((afterFirst.outbox ?? []).filter((o: { key: string }) => o.key.includes('offer_letter_ready')), 'no e-mail owed').to.deep.equal([]);
    const [orphan, ...more] = await letters();
    expect(more, 'one letter written before the kill').to.deep.equal([]);
    expect(orphan!.offerPending, 'left marked for the sweep').to.equal(true);
    expect(await officerPage(), 'the officer sees no letter').not.to.include('id="offer-letter-link"');
    await sleep(1000); // an e-mail, if one were owed, would be sent by now (dispatch every 200 ms)
    expect(offerMails(), 'nobody e-mailed').to.deep.equal([]);
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('first kill checked');

    // 2. HR saves again; killed at the first write after the case's update.
    await step('named', 'Senior researcher');
    await drill.boot(env);
    const named = await theCase();
    expect(named.version, 'one step').to.equal(seededVersion + 1);
    expect(named.offerTerms).to.deep.include({ position: 'Senior researcher' });
    const offerHistory = (named.history as Array<{ action: string }>).filter((h) => h.action === 'offer_terms');
    expect(offerHistory, 'one history entry').to.have.length(1);
    const all = await letters();
    expect(all.map((d) => d.version)).to.deep.equal([1, 2]);
    const letter = all[1]!;
    expect(String(named.offerTerms.letter), 'the case names the second letter').to.equal(String(letter._id));
    const text = await officerPage();
    const href = /href="([^"]+)" id="offer-letter-link"/.exec(text)?.[1];
    expect(href, 'the officer sees the letter').to.equal(`/documents/${String(letter._id)}/download`);
    const download = await fetch(`${drill.app().url}${href}`, { headers: { cookie: hr.cookieHeader() } });
    expect(download.status).to.equal(200);
    expect((await download.arrayBuffer()).byteLength, 'the letter whole').to.equal(letter.size);
    const until = Date.now() + 30_000;
    while (offerMails().length === 0 && Date.now() < until) await sleep(100);
    await sleep(1000); // a duplicate, if any, would arrive now
    expect(offerMails(), 'the applicant e-mailed once').to.have.length(1);
    // The repair's first run comes once its grace (10 s) has passed since the start: checked last.
    await drill.app().waitForLog(AUDITED, 90_000);
    expect(await drill.db().collection('auditevents').countDocuments({ targetId: caseId, action: 'case.offer_terms_changed' }), 'the case’s event, once').to.equal(1);

    // 3. The sweep's grace passed: the unnamed letter goes, the named one stays. (Moved back while
    // this app runs, through its database; the sweep runs at the next start.)
    const longAgo = new Date(Date.now() - 20 * 60_000);
    await drill.db().collection('documents').updateMany({ case: new ObjectId(caseId), type: 'offer_letter' }, { $set: { createdAt: longAgo } });
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('second kill checked');
    expect(storedFiles(uploadDir).sort(), 'both letters’ files before the sweep').to.deep.equal([orphan!.storageKey, letter.storageKey].sort());
    await drill.boot(env);
    const swept = JSON.parse(await drill.app().waitForLog(SWEPT, 60_000)) as { sweep: { offerLetters: { removed: number; kept: number } } };
    expect(swept.sweep.offerLetters).to.deep.equal({ removed: 1, kept: 1 });
    const left = await letters();
    expect(left.map((d) => String(d._id)), 'the named letter kept').to.deep.equal([String(letter._id)]);
    expect(left[0]!.offerPending, 'and unmarked').to.equal(undefined);
    expect(storedFiles(uploadDir), 'the unnamed letter’s file removed').to.deep.equal([letter.storageKey]);
    expect(await drill.db().collection('auditevents').countDocuments({ action: 'document.orphan_removed', targetId: String(orphan!._id) }), 'its removal audited').to.equal(1);
    expect(String((await theCase()).offerTerms.letter)).to.equal(String(letter._id));
    await sleep(1000);
    expect(offerMails(), 'still one e-mail').to.have.length(1);
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('swept');
    process.stdout.write(`      drill figures (two kills, three starts): ${phases.join('; ')}\n`);
  });
});
