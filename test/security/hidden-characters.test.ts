// Invisible characters that hide or reorder what the next reader sees (NUL, the bidirectional
// overrides of "Trojan Source") are refused in every text a person types for others to read: beside
// the field, in the writer's language, with what they typed kept and nothing stored. Line breaks,
// tabs and the joiners emoji use still pass. Text of invisible characters only is no text (below).
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { submitForm } from '../support/http.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { signedIn, page, post, versionIn } from '../applications/support.ts';
import { hasHiddenCharacters, visibleLength } from '../../server/support/hidden-characters.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { makeWorld, applicantCase } from '../leaders/context.ts';
import { validateCall, emptyCallValues } from '../../server/admin/call-form.ts';

const RLO = '\u202E';
const ZWSP = '\u200B';
const WJ = '\u2060';

describe('security: hidden characters in typed texts', () => {
  let t!: TestApp;
  useTestApp((app) => (t = app));

  /** An English-speaking HR officer signed in on the page of a case in screening of their institute. */
  async function hrOnScreeningCase() {
    const institute = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const applicant = await createUser({ role: 'applicant' });
    const c = await createCase({ applicant, call: await createCall({ institute, checklist: [] }), stage: 'screening' });
    const a = await signedIn(t, hr);
    return { a, c, p: await page(a, `/cases/${c._id}`) };
  }

  /** Nothing a refused form sent was written: the case's stage, notes, messages and version as they were. */
  async function expectNothingStored(c: { _id: unknown; version: number }) {
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('screening');
    expect(after.notes).to.have.length(0);
    expect(after.messages).to.have.length(0);
    expect(after.version).to.equal(c.version);
  }

  it('tells C0/C1 controls and direction overrides apart from line breaks, tabs, soft hyphens and joiners', () => {
    for (const bad of ['a\u0000b', 'a\u0007', `x${RLO}y`, 'x\u2066y', 'x\u0085y', 'x\u007Fy']) expect(hasHiddenCharacters(bad), JSON.stringify(bad)).to.equal(true);
    for (const good of ['line one\r\nline two\tend', 'Nguyễn Văn An', 'co\u00ADoperation', '👩\u200D🔬', 'مرحبا\u200F']) expect(hasHiddenCharacters(good), good).to.equal(false);
  });

  it("refuses them in HR's notes, messages and a rejection reason, beside the field, keeping the text and storing nothing", async () => {
    const { a, c, p } = await hrOnScreeningCase();

    const note = await post(a, p.text, `/cases/${c._id}/notes`, { note: 'Checked\u0000 references' });
    expect(note.status).to.equal(422);
    expect(note.text).to.include('invisible control character');
    const message = await post(a, p.text, `/cases/${c._id}/messages`, { message: `Please send your passport ${RLO}fdp.exe` });
    expect(message.status).to.equal(422);
    expect(message.text).to.include('invisible control character');
    expect(message.text).to.include('Please send your passport');
    const reject = await post(a, p.text, `/cases/${c._id}/actions/reject`, { version: versionIn(p.text, `/cases/${c._id}/actions/reject`), reason: `Outside ${RLO}the field` });
    expect(reject.status).to.equal(422);
    expect(reject.text).to.match(/id="f-reason-reject-error"[^>]*>[^<]*invisible control character/);

    await expectNothingStored(c);

    // A note over several lines, with a tab, is a note.
    const ok = await post(a, p.text, `/cases/${c._id}/notes`, { note: 'First line\r\n\tindented second line' });
    expect(ok.status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.notes).to.have.length(1);
  });

  it("refuses them in the applicant's message and application fields, in the applicant's language", async () => {
    const institute = await createInstitute();
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const draft = await createCase({ applicant, call: await createCall({ institute, checklist: [] }), stage: 'draft' });
    const a = await signedIn(t, applicant);
    const url = `/applications/${draft._id}/edit/profile`;
    const form = await page(a, url);
    const bad = await post(a, form.text, url, { fullName: 'Lan Tran', currentEmployer: `TU ${RLO}nilreB`, go: 'stay' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.match(/id="f-currentEmployer-error"[^>]*>Nội dung có chứa ký tự điều khiển ẩn/);
    expect(bad.text).to.include(`value="TU ${RLO}nilreB"`);
    expect((await Case.findById(draft._id).lean())!.profile?.currentEmployer).to.equal(draft.profile?.currentEmployer);
    expect(draft.profile?.currentEmployer).not.to.include(RLO);

    const submitted = await createCase({ applicant, call: await createCall({ institute, checklist: [] }), stage: 'screening' });
    const mine = await page(a, `/applications/${submitted._id}`);
    const msg = await post(a, mine.text, `/applications/${submitted._id}/messages`, { text: 'Sent\u0000 it' });
    expect(msg.status).to.equal(422);
    expect(msg.text).to.include('Nội dung có chứa ký tự điều khiển ẩn');
    expect((await Case.findById(submitted._id).lean())!.messages).to.have.length(0);
  });

  it("refuses them in a call's title, field and description", () => {
    const v = { ...emptyCallValues(new Date('2027-01-01T00:00:00Z')), titleVi: 'Chuyên gia', titleEn: `Expert ${RLO}`, descriptionEn: 'Text\u0000', fieldVi: 'Vật lý', fieldEn: 'Physics' };
    const { errors } = validateCall(v, []);
    expect(errors.titleEn).to.equal('errors.hiddenCharacters');
    expect(errors.descriptionEn).to.equal('errors.hiddenCharacters');
    expect(errors.titleVi).to.equal(undefined);
  });

  // A required text, and a reason's minimum length, count the characters that show: zero-width spaces
  // (U+200B) or word joiners (U+2060) alone are no reason and no message, so nothing is stored and
  // nobody is notified. Inside real text they, and the joiners emoji and Persian use, still pass.
  describe('text of invisible characters only is no text', () => {
    it('counts only what shows, without taking joiners out of real text', () => {
      expect(visibleLength(ZWSP.repeat(11))).to.equal(0);
      expect(visibleLength(` ${WJ}\u3164\uFEFF\u00A0\t\r\n`)).to.equal(0);
      expect(visibleLength(`a${ZWSP}b`)).to.equal(2);
      expect(visibleLength('👩\u200D🔬')).to.equal(2);
      expect(visibleLength('می\u200Cخواهم')).to.equal(7);
    });

    it("refuses HR's hold reason, rejection reason, note and message of zero-width characters, storing nothing", async () => {
      const { a, c, p } = await hrOnScreeningCase();

      const hold = await post(a, p.text, `/cases/${c._id}/actions/put_on_hold`, { version: versionIn(p.text, `/cases/${c._id}/actions/put_on_hold`), reason: ZWSP.repeat(11) });
      expect(hold.status).to.equal(422);
      expect(hold.text).to.match(/id="f-reason-put_on_hold-error"[^>]*>[^<]*Give the reason for putting this case on hold/);
      const reject = await post(a, p.text, `/cases/${c._id}/actions/reject`, { version: versionIn(p.text, `/cases/${c._id}/actions/reject`), reason: `${WJ} ${ZWSP}` });
      expect(reject.status).to.equal(422);
      expect((await post(a, p.text, `/cases/${c._id}/notes`, { note: ZWSP })).status).to.equal(422);
      expect((await post(a, p.text, `/cases/${c._id}/messages`, { message: WJ.repeat(3) })).status).to.equal(422);

      await expectNothingStored(c);

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
});
