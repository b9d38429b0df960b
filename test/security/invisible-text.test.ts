// A required text, and a reason's minimum length, count the characters that show: zero-width spaces
// (U+200B) or word joiners (U+2060) alone are no reason and no message, so nothing is stored and
// nobody is notified. Inside real text they, and the joiners emoji and Persian use, still pass.
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { submitForm } from '../support/http.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { signedIn, page, post, versionIn } from '../applications/support.ts';
import { visibleLength } from '../../server/support/hidden-characters.ts';
import { makeWorld, applicantCase } from '../leaders/context.ts';

const ZWSP = '\u200B';
const WJ = '\u2060';

describe('security: text of invisible characters only is no text', () => {
  let t!: TestApp;
  useTestApp((app) => (t = app));

  it('counts only what shows, without taking joiners out of real text', () => {
    expect(visibleLength(ZWSP.repeat(11))).to.equal(0);
    expect(visibleLength(` ${WJ}\u3164\uFEFF\u00A0\t\r\n`)).to.equal(0);
    expect(visibleLength(`a${ZWSP}b`)).to.equal(2);
    expect(visibleLength('👩\u200D🔬')).to.equal(2);
    expect(visibleLength('می\u200Cخواهم')).to.equal(7);
  });

  it("refuses HR's hold reason, rejection reason, note and message of zero-width characters, storing nothing", async () => {
    const institute = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const applicant = await createUser({ role: 'applicant' });
    const c = await createCase({ applicant, call: await createCall({ institute, checklist: [] }), stage: 'screening' });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);

    const hold = await post(a, p.text, `/cases/${c._id}/actions/put_on_hold`, { version: versionIn(p.text, `/cases/${c._id}/actions/put_on_hold`), reason: ZWSP.repeat(11) });
    expect(hold.status).to.equal(422);
    expect(hold.text).to.match(/id="f-reason-put_on_hold-error"[^>]*>[^<]*Please fill this in/);
    const reject = await post(a, p.text, `/cases/${c._id}/actions/reject`, { version: versionIn(p.text, `/cases/${c._id}/actions/reject`), reason: `${WJ} ${ZWSP}` });
    expect(reject.status).to.equal(422);
    expect((await post(a, p.text, `/cases/${c._id}/notes`, { note: ZWSP })).status).to.equal(422);
    expect((await post(a, p.text, `/cases/${c._id}/messages`, { message: WJ.repeat(3) })).status).to.equal(422);

    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('screening');
    expect(after.notes).to.have.length(0);
    expect(after.messages).to.have.length(0);
    expect(after.version).to.equal(c.version);

    // A zero-width space inside a real message is text like any other.
    expect((await post(a, p.text, `/cases/${c._id}/messages`, { message: `Please send${ZWSP} your passport 👩\u200D🔬` })).status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.messages).to.have.length(1);
  });

  it("refuses the applicant's message of word joiners", async () => {
    const institute = await createInstitute();
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call: await createCall({ institute, checklist: [] }), stage: 'screening' });
    const a = await signedIn(t, applicant);
    const mine = await page(a, `/applications/${c._id}`);
    const msg = await post(a, mine.text, `/applications/${c._id}/messages`, { text: WJ + ZWSP });
    expect(msg.status).to.equal(422);
    expect(msg.text).to.include('Write a message.');
    expect((await Case.findById(c._id).lean())!.messages).to.have.length(0);
  });

  it("counts a leader's reason in characters that show: twelve zero-width spaces are not ten characters", async () => {
    const w = await makeWorld();
    const { kase } = await applicantCase(w.call, 'evaluation');
    await Evaluation.create({ case: kase._id, call: kase.call, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
    const leader = await signedIn(t, w.leader);
    const url = `/shortlists/${w.call._id}/cases/${kase._id}`;
    const blank = await submitForm(leader, url, { action: 'reject', version: String(kase.version), reason: ZWSP.repeat(12) }, `${url}/decision`);
    expect(blank.status).to.equal(422);
    expect(blank.text).to.include('Give the reason for this decision.');
    const short = await submitForm(leader, url, { action: 'reject', version: String(kase.version), reason: `Too${ZWSP.repeat(12)} short` }, `${url}/decision`);
    expect(short.status).to.equal(422);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');
  });
});
