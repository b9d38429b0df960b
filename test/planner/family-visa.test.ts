// A Vietnamese citizen entering on a Vietnamese passport needs no visa: the visa procedure of their
// case is their foreign family members' TT visas (Law 47/2014/QH13 Art. 8(18), as amended by Law
// 51/2019/QH14). What they are asked for it (the applicant's certificate checklist, the window e-mail,
// the procedure's papers) is the family's passports and the proof of relationship, with their own
// passport as what shows the family's TT ground (relatives of a Vietnamese citizen), never "your
// passport … (visa)" nor "as their sponsor": only a citizen with permanent residence in Vietnam may
// sponsor them (Law 47/2014/QH13 Art. 45(1)(b), (c)), which a citizen coming from abroad may not have
// yet. A foreigner's own visa asks are unchanged.
// Real database, real pages, real outbox and in-process SMTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { runCertificateWindowReminders } from '../../server/planner/jobs.ts';
import { Case } from '../../models/case.ts';
import { procedureDocuments } from '../../server/procedures/rules.ts';
import { signedIn, page, text, deliver } from '../applications/support.ts';

const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);

describe('planner: a Vietnamese citizen is asked for their foreign family\'s TT visa papers, not a visa of their own', () => {
  let t: TestApp;
  const clock = at('2026-10-05');
  let call: CallDoc;
  const family = [
    { fullName: 'Emma Weber', relationship: 'spouse', dateOfBirth: new Date('1990-04-02'), nationality: 'DE' },
    { fullName: 'Minh Weber', relationship: 'child', dateOfBirth: new Date('2019-09-01'), nationality: 'DE' },
  ];

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    // The passport is uploadable; the proof of relationship is not on this call's list (handed to HR).
    call = await createCall({ institute, checklist: [{ type: 'passport', phase: 'onboarding', required: true }] as never });
  });
  after(async () => {
    await t?.close();
  });

  const checklistOf = (html: string) => html.slice(html.indexOf('id="certificate-checklist"'), html.indexOf('</ul>', html.indexOf('id="certificate-checklist"')));
  const row = (rows: string, type: string) => rows.slice(rows.indexOf(`data-window="${type}"`), rows.indexOf('</li>', rows.indexOf(`data-window="${type}"`)));

  // Onboarding since 20 Sep; only the visa ahead (no work permit for a citizen), planned start 1 Jun 2027.
  const onboarding = (applicant: UserDoc, nationality: string) =>
    createCase({
      applicant,
      call,
      stage: 'onboarding',
      stageEnteredAt: at('2026-09-20'),
      profile: { fullName: applicant.name, plannedArrival: at('2027-06-01'), nationality },
      supportRequested: { family: true, visa: nationality !== 'VN' },
      dependants: family,
      supportTracks: [{ kind: 'visa', status: 'requested', updatedAt: at('2026-10-01') }],
    });

  it('names the papers of the family\'s TT visas as the procedure\'s documents, and a foreigner\'s own visa only their passport', () => {
    expect(procedureDocuments('visa', { profile: { nationality: 'VN' }, dependants: family, supportRequested: { family: true } })).to.deep.equal(['dependant_passport', 'relationship_proof', 'passport']);
    // A foreigner whose family's TT visas go with theirs: their passport, then the family's papers (walk 33).
    expect(procedureDocuments('visa', { profile: { nationality: 'DE' }, dependants: family, supportRequested: { family: true, visa: true } })).to.deep.equal(['passport', 'dependant_passport', 'relationship_proof']);
    // Without family support asked, their own visa only.
    expect(procedureDocuments('visa', { profile: { nationality: 'DE' }, dependants: family, supportRequested: { family: false, visa: true } })).to.deep.equal(['passport']);
    // A citizen with no foreign family member has no TT visa to file: the rule's own list (no visa is started: family-support.ts).
    expect(procedureDocuments('visa', { profile: { nationality: 'VN' }, dependants: [{ nationality: 'VN' }] })).to.deep.equal(['passport']);
  });

  it("HR's visa procedure page lists the family's papers for a citizen, and for a foreigner whose family's TT visas go with theirs", async () => {
    const hr = await createUser({ role: 'hr_officer', institute: call.institute as never, name: 'Officer Visa', locale: 'en' });
    const documentsOf = (html: string) => /<dt>Documents<\/dt><dd>([^<]*)<\/dd>/.exec(text(html))?.[1];
    const a = await signedIn(t, hr);
    const citizen = await onboarding(await createUser({ role: 'applicant', locale: 'vi', name: 'Phạm Văn Đức' }), 'VN');
    expect(documentsOf((await page(a, `/cases/${citizen._id}/procedures/visa`)).text)).to.equal("Dependants' passports, Proof of family relationship (marriage or birth certificate, legalised or apostilled, and translated), Passport");
    // The planner's reason cites the rule: Decree 111/2011/ND-CP Art. 4(2) requires the legalisation (Art. 9 is its
    // exemptions, cited alone before); since 11 Sep 2026 an apostille serves from a Hague Convention state.
    expect(text((await page(a, `/cases/${citizen._id}`)).text)).to.include('legalised or apostilled, and translated, before the filing (Decree 111/2011/ND-CP Art. 4(2), 9; an apostille instead from a state of the Hague Apostille Convention (in force for Vietnam from 11 Sep 2026))');
    const foreigner = await onboarding(await createUser({ role: 'applicant', locale: 'en', name: 'Karl Weber' }), 'DE');
    // Their family's TT visas go with theirs (family support asked): the family's papers are listed too (walk 33).
    expect(documentsOf((await page(a, `/cases/${foreigner._id}/procedures/visa`)).text)).to.equal("Passport, Dependants' passports, Proof of family relationship (marriage or birth certificate, legalised or apostilled, and translated)");
  });

  it('English: the checklist and the e-mail ask for the family\'s passports and proof of relationship, and the citizen\'s passport as what shows the TT ground', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Nguyen Van An' });
    const c = await onboarding(applicant, 'VN');
    const rows = checklistOf(text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text));
    expect(row(rows, 'dependant_passport')).to.include("Get your dependants' passports by").and.include("(your foreign family members' TT visas)");
    expect(row(rows, 'relationship_proof')).to.include('Get your proof of family relationship (marriage or birth certificate, legalised or apostilled, and translated) by').and.include("(your foreign family members' TT visas)");
    expect(row(rows, 'passport')).to.include("(your foreign family members' TT visas: your passport, showing they are family of a Vietnamese citizen)");
    // Not "as their sponsor": a citizen without permanent residence in Vietnam cannot sponsor them (Law 47/2014/QH13 Art. 45(1)).
    expect(rows).not.to.include('sponsor');
    expect(rows).not.to.include('(visa)');

    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Time to get your/);
    expect(mail.text).to.match(/- Dependants' passports: between 5 Oct 2026 and \d+ \w+ 2026 \(\d+ working days? left\)\. Needed for: your foreign family members' TT visas\./);
    expect(mail.text).to.match(/- Proof of family relationship \(marriage or birth certificate, legalised or apostilled, and translated\): between .* \(\d+ working days? left\)\. Needed for: your foreign family members' TT visas\. Once you have it, hand it to the HR office/);
    expect(mail.text).to.match(/- Passport: .* Needed for: your foreign family members' TT visas: your passport, showing they are family of a Vietnamese citizen\. Upload it/);
    expect(mail.text).not.to.include('sponsor');
    expect(mail.text).not.to.include('Needed for: visa');
  });

  it('Vietnamese: the same, addressed "Ông/Bà", with Vietnamese dates', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn Bình' });
    const c = await onboarding(applicant, 'VN');
    const html = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    const rows = checklistOf(html);
    expect(row(rows, 'dependant_passport')).to.match(/Xin Hộ chiếu của người phụ thuộc (chậm nhất ngày|trong khoảng từ) [\d/]+/).and.include('(thị thực TT của các thành viên gia đình Ông/Bà là người nước ngoài)');
    expect(row(rows, 'relationship_proof')).to.include('Giấy tờ chứng minh quan hệ gia đình (giấy chứng nhận kết hôn, giấy khai sinh; đã hợp pháp hóa lãnh sự hoặc có chứng nhận Apostille, và dịch)');
    expect(row(rows, 'passport')).to.include('hộ chiếu của Ông/Bà, chứng minh họ là thân nhân của công dân Việt Nam');
    expect(rows).not.to.include('người bảo lãnh');
    expect(rows).not.to.include('(thị thực)');
    expect(rows).not.to.match(/\bbạn\b|planner\./);

    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Đến lúc xin/);
    expect(mail.text).to.match(/- Hộ chiếu của người phụ thuộc: trong khoảng từ 5\/10\/2026 đến \d+\/\d+\/2026 \(.*ngày làm việc.*\)\. Cần cho: thị thực TT của các thành viên gia đình Ông\/Bà là người nước ngoài\./);
    expect(mail.text).to.include('Cần cho: thị thực TT của các thành viên gia đình Ông/Bà là người nước ngoài: hộ chiếu của Ông/Bà, chứng minh họ là thân nhân của công dân Việt Nam.');
    expect(mail.text).to.include('- Giấy tờ chứng minh quan hệ gia đình');
    expect(mail.text).not.to.match(/Cần cho: thị thực\.|\bbạn\b/);
  });

  it("a foreign applicant's own visa asks are unchanged: their passport, for the visa, no proof of relationship", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Weber' });
    const c = await onboarding(applicant, 'DE');
    // No family support asked: their own visa alone (with it asked, the family's TT visa papers are
    // the procedure's too: the next test, walk 33).
    await Case.updateOne({ _id: c._id }, { $set: { 'supportRequested.family': false } });
    const rows = checklistOf(text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text));
    expect(row(rows, 'passport')).to.include('Get your passport').and.include('(visa)');
    expect(rows).not.to.include('data-window="relationship_proof"');
    expect(rows).not.to.include('data-window="dependant_passport"');
    expect(rows).not.to.include('TT visas');
    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Time to get your/);
    expect(mail.text).to.match(/- Passport: .* Needed for: visa\./);
    expect(mail.text).not.to.include('relationship');
  });

  it("a foreign applicant whose family's TT visas go with theirs is asked for the family's passports and proof of relationship, for the visa (walk 33)", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Jonas Weber' });
    const c = await onboarding(applicant, 'DE');
    const rows = checklistOf(text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text));
    expect(row(rows, 'passport')).to.include('(visa)');
    expect(row(rows, 'relationship_proof')).to.include('visa');
    expect(row(rows, 'dependant_passport')).to.include('visa');
  });

  it('an open window with a fixed last day says the working days left on the page; one waiting only for the papers (its day moves with today) does not', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Lena Weber' });
    // The work permit lodged on its target, Mon 17 May 2027: the health certificate's window is open
    // from today to 5 working days before, Mon 10 May 2027; the visa waits only for its papers.
    const c = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      stageEnteredAt: at('2026-09-20'),
      profile: { fullName: applicant.name, plannedArrival: at('2027-06-01'), nationality: 'DE' },
      supportTracks: [
        { kind: 'work_permit', status: 'preparing', updatedAt: at('2026-10-01'), dueAt: vnEndOfDay(vnStartOfDay('2027-05-17')) },
        { kind: 'visa', status: 'requested', updatedAt: at('2026-10-01') },
      ],
    });
    const rows = checklistOf(text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text));
    expect(row(rows, 'health_certificate')).to.match(/Get your health certificate between 5 Oct 2026 and 10 May 2027 \(\d+ working days left\)/);
    const vi = await createUser({ role: 'applicant', locale: 'vi', name: 'Lê Thị Hoa' });
    const cVi = await onboarding(vi, 'VN');
    const rowsVi = checklistOf(text((await page(await signedIn(t, vi), `/applications/${cVi._id}`)).text));
    expect(row(rowsVi, 'relationship_proof')).to.include('chậm nhất ngày 5/10/2026').and.not.include('ngày làm việc');
  });
});
