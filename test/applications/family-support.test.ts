// Family support asked in the application (walk: "Hỗ trợ gia đình" disappeared after submitting): it is
// the family members' TT visas, lodged with the visa (Law 47/2014/QH13 Art. 8, as amended by Law
// 51/2019/QH14), so the acceptance page says so by name and the acceptance starts the visa for them
// even when the applicant asked none for themselves; the applicant's procedures and HR's case page
// name them; schooling and the spouse's work are said to be no procedure here. With no family member
// named, the pages say that rather than promise visas for no one, and no visa is started.
// Real database, the real pages and forms with their CSRF tokens.
import { expect } from 'chai';
import { renderEmail } from '../../server/mail/render.ts';
import { loadCalendar, procedureEmail } from '../../server/procedures/service.ts';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, versionIn, text, deliver } from './support.ts';
import { vnDateKey } from '../../server/calendar/index.ts';

describe('applications: family support asked is followed to the visa procedure, and said', () => {
  let t: TestApp;
  let leader: UserDoc;
  let hr: UserDoc;
  let call: CallDoc;
  const family = [
    { fullName: 'Emma Weber', relationship: 'spouse', dateOfBirth: new Date('1990-04-02'), nationality: 'DE' },
    { fullName: 'Minh Weber', relationship: 'child', dateOfBirth: new Date('2019-09-01'), nationality: 'DE' },
  ];

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    leader = await createUser({ role: 'leader', institute });
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer Family', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  async function offered(who: UserDoc, over: Record<string, unknown>): Promise<CaseDoc> {
    const c = await createCase({ applicant: who, call, stage: 'shortlisted', assignee: hr, offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId() }, ...over });
    return transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: 'First on the shortlist.' }, asDecision: true });
  }

  async function accept(a: Awaited<ReturnType<typeof signedIn>>, c: CaseDoc) {
    const confirm = await page(a, `/applications/${c._id}/offer/accept`);
    const done = await post(a, confirm.text, `/applications/${c._id}/offer/accept`, { version: versionIn(confirm.text, `/applications/${c._id}/offer/accept`) });
    expect(done.status).to.equal(303);
    return text(confirm.text);
  }

  it('English: the acceptance page names the family members and their TT visas; the visa starts for them though none was asked for the applicant; both case pages say it', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant, { supportRequested: { housing: true, family: true }, dependants: family });
    const a = await signedIn(t, applicant);
    const confirm = await accept(a, c);
    expect(confirm).to.include('<li>Visa</li><li>Housing</li>');
    expect(confirm).to.include('Family support: the TT visas of Emma Weber (Spouse), Minh Weber (Child) are applied for with the visa (Law 47/2014/QH13 Art. 8, as amended by Law 51/2019/QH14).');
    expect(confirm).to.include("Schooling and your spouse's work have no procedure here");

    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('onboarding');
    expect(after.supportTracks.find((s) => s.kind === 'visa')?.status).to.equal('requested');
    expect(after.supportTracks.find((s) => s.kind === 'housing')?.status).to.equal('requested');
    expect(after.supportTracks.find((s) => s.kind === 'work_permit')?.status).to.equal('not_needed');

    const mine = (await page(a, `/applications/${c._id}`)).text;
    const visa = mine.slice(mine.indexOf('data-procedure="visa"'), mine.indexOf('</li>', mine.indexOf('data-procedure="visa"')));
    expect(text(visa)).to.include('Family support asked: the TT visas of Emma Weber (Spouse), Minh Weber (Child) go with this procedure');

    const staff = await signedIn(t, hr);
    const casePage = (await page(staff, `/cases/${c._id}`)).text;
    const panel = text(casePage.slice(casePage.indexOf('id="support-requested"'), casePage.indexOf('</section>', casePage.indexOf('id="support-requested"'))));
    expect(panel).to.include('<li>Family support</li>');
    expect(panel).to.include('Family support: the TT visas of Emma Weber (Spouse), Minh Weber (Child) go with the visa procedure');
    expect(panel).to.include('agree them with the applicant');
    expect(text((await page(staff, `/cases/${c._id}/procedures/visa`)).text)).to.include('the TT visas of Emma Weber (Spouse), Minh Weber (Child) go with this procedure');
  });

  it('Vietnamese: the same, addressing the applicant formally; with the visa asked too, one visa procedure', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await offered(applicant, { supportRequested: { visa: true, family: true }, dependants: family });
    const a = await signedIn(t, applicant);
    const confirm = await accept(a, c);
    const line = confirm.slice(confirm.indexOf('id="offer-family"'), confirm.indexOf('</li>', confirm.indexOf('id="offer-family"')));
    expect(line).to.include('Hỗ trợ gia đình: thị thực TT của Emma Weber (');
    expect(line).to.include('Ông/Bà nhắn cho phòng nhân sự');
    expect(line).to.not.match(/\bbạn\b/);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.supportTracks.filter((s) => s.kind === 'visa')).to.have.length(1);
    expect(after.supportTracks.find((s) => s.kind === 'visa')?.status).to.equal('requested');
    const mine = text((await page(a, `/applications/${c._id}`)).text);
    expect(mine).to.include('Có đề nghị hỗ trợ gia đình: thị thực TT của Emma Weber (');
  });

  it('family support with no family member named: said on both pages, and no visa started for no one', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant, { supportRequested: { family: true }, dependants: [] });
    const a = await signedIn(t, applicant);
    const confirm = await accept(a, c);
    expect(confirm).to.include('You asked for no support procedures.');
    expect(confirm).to.include('Family support: your application names no family members, so no visa is applied for anyone.');
    expect((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'visa')?.status).to.equal('not_needed');
    const casePage = text((await page(await signedIn(t, hr), `/cases/${c._id}`)).text);
    expect(casePage).to.include('Family support asked with no family members named: ask the applicant who comes along before the visa is lodged.');
  });

  // A Vietnamese citizen needs no visa (a foreigner's entry paper, Law 47/2014/QH13 Art. 3(11)); their
  // foreign parents, spouse and children get TT visas (Art. 8(18), as amended by Law 51/2019/QH14).
  const mixed = [
    { fullName: 'Anna Smith', relationship: 'spouse', dateOfBirth: new Date('1988-02-11'), nationality: 'US' },
    { fullName: 'Nguyễn Minh', relationship: 'child', dateOfBirth: new Date('2016-06-01'), nationality: 'VN' },
  ];
  const citizenProfile = { fullName: 'Nguyễn Văn An', dateOfBirth: new Date('1985-05-20'), gender: 'male', nationality: 'VN', countryOfResidence: 'US', overseasVietnamese: true, phone: '+1 415 555 0100', currentPosition: 'Professor', currentEmployer: 'Stanford', highestDegree: 'phd', field: 'Materials' };
  const slice = (html: string, marker: string) => html.slice(html.indexOf(marker), html.indexOf('</li>', html.indexOf(marker)));

  it('a Vietnamese citizen with a foreign spouse: the welcome e-mail and the next step name the visa procedure as the family’s TT visas, with the dual national’s exception (vi, en)', async () => {
    for (const locale of ['vi', 'en'] as const) {
      const applicant = await createUser({ role: 'applicant', locale });
      const c = await offered(applicant, { profile: citizenProfile, supportRequested: { family: true }, dependants: mixed });
      const a = await signedIn(t, applicant);
      await accept(a, c);
      const next = text((await page(a, `/applications/${c._id}`)).text);
      await deliver(t, c._id);
      const mail = await t.smtp.waitForTo(applicant.email, locale === 'vi' ? /đã chấp nhận lời mời/ : /offer accepted/);
      if (locale === 'vi') {
        expect(next).to.include('Viện đang thực hiện thị thực TT của các thành viên gia đình Ông/Bà là người nước ngoài: tiến độ ở bên dưới');
        expect(mail.text).to.match(/- Thị thực: Dự kiến nộp hồ sơ trước \d+\/\d+\/\d{4} \(còn \d+ ngày làm việc\)\. Ông\/Bà không cần thị thực: là công dân Việt Nam/);
        expect(mail.text).to.include('nhập cảnh bằng hộ chiếu nước ngoài thì cần thị thực hoặc giấy miễn thị thực');
        expect(mail.text).to.include('thị thực TT của Anna Smith (');
        expect(mail.text).to.not.match(/(?<!\p{L})bạn(?!\p{L})/iu);
      } else {
        expect(next).to.include("The institute is handling your foreign family members' TT visas for you");
        expect(next).to.not.include('handling the visa for you');
        expect(mail.text).to.match(/- Visa: We aim to file by \d+ \w+ \d{4} \(\d+ working days left\)\. None for you: as a Vietnamese citizen you need no visa\./);
        expect(mail.text).to.include('enter on the foreign passport, you need a visa or a visa exemption certificate');
        expect(mail.text).to.include('the TT visas of Anna Smith (Spouse) go with this procedure');
      }
      expect(mail.text).to.not.include('Nguyễn Minh');
    }
  });

  it('a Vietnamese citizen with a foreign spouse: the visa procedure is the spouse’s TT visa, never “your visa”, on every page; the Vietnamese child needs none; their arrival does not wait for it', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant, { profile: citizenProfile, supportRequested: { family: true }, dependants: mixed });
    const a = await signedIn(t, applicant);
    const confirm = await accept(a, c);
    expect(confirm).to.include('<li>Visa</li>');
    expect(confirm).to.include('Family support: as a Vietnamese citizen you need no visa yourself; the visa procedure is for the TT visas of Anna Smith (Spouse), open to the parents, spouse and children of a Vietnamese citizen (Law 47/2014/QH13 Art. 8(18), as amended by Law 51/2019/QH14).');
    expect(confirm).not.to.include('Nguyễn Minh (Child)');
    const after = (await Case.findById(c._id).lean())!;
    expect(after.supportTracks.find((s) => s.kind === 'visa')?.status).to.equal('requested');
    expect(after.supportTracks.find((s) => s.kind === 'work_permit')?.status).to.equal('not_needed');

    // The applicant's procedures: no LĐ1/LĐ2 and no "your visa follows".
    const visa = text(slice((await page(a, `/applications/${c._id}`)).text, 'data-procedure="visa"'));
    expect(visa).to.include('None for you: as a Vietnamese citizen you need no visa. This procedure is for the TT visas of your family members who are foreigners.');
    // A dual national entering on the foreign passport is a foreigner to the immigration law (Law 47/2014/QH13 Art. 4(4), 12(5)).
    expect(visa).to.include('If you also hold another nationality and enter on the foreign passport, you need a visa or a visa exemption certificate like any foreigner (Law 47/2014/QH13 Art. 4(4), 12(5); Decree 82/2015/NĐ-CP)');
    expect(visa).to.include('Parents, spouse and children of a Vietnamese citizen: TT (Law 47/2014/QH13 Art. 8(18), as amended by Law 51/2019/QH14)');
    // Who may sponsor them: a citizen with permanent residence in Vietnam only (Art. 45(1)(b), (c)); one coming from abroad may not be yet.
    expect(visa).to.include('The citizen sponsors their visas and TT cards only with permanent residence in Vietnam (Law 47/2014/QH13 Art. 45(1)(b), (c)); without it another sponsor is needed: the HR office advises.');
    expect(visa).to.include('the TT visas of Anna Smith (Spouse) go with this procedure');
    expect(visa).not.to.include('your visa follows');
    expect(visa).not.to.include('LĐ1');
    expect(visa).not.to.include('Spouse and children under 18');

    // HR: the case page and the procedure's page say the same, with no "start the permit or the exemption".
    const staff = await signedIn(t, hr);
    const casePage = text((await page(staff, `/cases/${c._id}`)).text);
    expect(casePage).to.include('Family support: the applicant is a Vietnamese citizen and needs no visa; the visa procedure is for the TT visas of Anna Smith (Spouse)');
    const visaPage = text((await page(staff, `/cases/${c._id}/procedures/visa`)).text);
    expect(visaPage).to.include('None for the applicant: a Vietnamese citizen needs no visa');
    expect(visaPage).to.include('A Vietnamese citizen who also holds another nationality and enters on the foreign passport needs a visa or a visa exemption certificate like any foreigner');
    expect(visaPage).not.to.include('start one of the two to know which');

    // Their own arrival is not held up by their family's visas (a foreigner's would be: test/workflow/lifecycle.test.ts).
    const now = (await Case.findById(c._id).lean())!;
    const arrived = await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: c._id, action: 'mark_arrived', expectedVersion: now.version, payload: { arrivedOn: vnDateKey(new Date()) } });
    expect(arrived.stage).to.equal('arrived');
  });

  it('Vietnamese: the same to a Vietnamese citizen, formally; family members who are all Vietnamese need no visa and none is started', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await offered(applicant, { profile: citizenProfile, supportRequested: { family: true }, dependants: mixed });
    const a = await signedIn(t, applicant);
    const confirm = await accept(a, c);
    expect(confirm).to.include('Hỗ trợ gia đình: là công dân Việt Nam, Ông/Bà không cần thị thực; thủ tục thị thực dành cho thị thực TT của Anna Smith (');
    const visa = text(slice((await page(a, `/applications/${c._id}`)).text, 'data-procedure="visa"'));
    expect(visa).to.include('Ông/Bà không cần thị thực: là công dân Việt Nam');
    expect(visa).to.include('Cha, mẹ, vợ, chồng, con của công dân Việt Nam: TT (khoản 18 Điều 8 Luật 47/2014/QH13');
    expect(visa).not.to.include('thị thực của Ông/Bà theo giấy được cấp');
    expect(visa).to.not.match(/\bbạn\b/);

    const allVn = await createUser({ role: 'applicant', locale: 'en' });
    const d = await offered(allVn, { profile: citizenProfile, supportRequested: { family: true }, dependants: [mixed[1]] });
    const confirmVn = await accept(await signedIn(t, allVn), d);
    expect(confirmVn).to.include('Family support: the family members named are Vietnamese citizens and need no visa, so none is applied for.');
    expect((await Case.findById(d._id).lean())!.supportTracks.find((s) => s.kind === 'visa')?.status).to.equal('not_needed');
  });

  it('the support step tells a Vietnamese citizen they need no visa nor work permit of their own', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, profile: citizenProfile });
    const step = text((await page(await signedIn(t, applicant), `/applications/${c._id}/edit/support`)).text);
    expect(step).to.include('As a Vietnamese citizen you need no visa: tick it for the TT visas of family members who are foreigners.');
    expect(step).to.include('Entering on a foreign passport (if you also hold another nationality), you need a visa or a visa exemption certificate (Law 47/2014/QH13 Art. 4(4), 12(5))');
    expect(step).to.include('As a Vietnamese citizen you need no work permit: it is for foreign workers.');
    expect(step).not.to.include('LĐ1/LĐ2 for you');
    const foreigner = await createUser({ role: 'applicant', locale: 'en' });
    const f = await createCase({ applicant: foreigner, call });
    const foreignStep = text((await page(await signedIn(t, foreigner), `/applications/${f._id}/edit/support`)).text);
    expect(foreignStep).to.include('LĐ1/LĐ2 for you, TT for your spouse and children.');
    // Decree 219/2025: the exemption is for experts a ministry or province confirms, on a certificate; housing
    // support for S&T experts is Decree 249/2025's (Decree 231/2025 is the chief engineers' and architects' only).
    expect(foreignStep).to.include("experts confirmed by a ministry or provincial People's Committee as working in science, technology, innovation or digital transformation are exempt from a work permit (the institute asks for the exemption certificate)");
    expect(foreignStep).to.include('Housing support or a housing allowance (Decree 249/2025 on S&T experts; chief engineers and chief architects: Decree 231/2025).');
    expect(foreignStep).not.to.include('Official housing or rent support (Decree 231/2025)');
  });

  // Walk (overseas Vietnamese scientist): the hint said no work permit was needed, yet the tick was
  // kept, the acceptance listed it and started a work-permit procedure the family's TT visas then waited on.
  it('a Vietnamese citizen who ticks the work permit is told to untick it, in their language, with the other ticks kept and nothing saved', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await createCase({ applicant, call, profile: citizenProfile, supportRequested: { housing: false } });
    const a = await signedIn(t, applicant);
    const form = (await page(a, `/applications/${c._id}/edit/support`)).text;
    const res = await post(a, form, `/applications/${c._id}/edit/support`, { workPermit: 'on', housing: 'on', family: 'on', go: 'next' });
    expect(res.status).to.equal(422);
    const html = text(res.text);
    expect(html).to.include('Là công dân Việt Nam, Ông/Bà không cần giấy phép lao động (giấy này dành cho người lao động nước ngoài): vui lòng bỏ chọn mục này.');
    expect(html).to.match(/id="f-workPermit" name="workPermit" value="on" checked aria-invalid="true"/);
    expect(html).to.match(/id="f-housing" name="housing" value="on" checked/);
    expect(html).to.match(/id="f-family" name="family" value="on" checked/);
    expect(html).to.not.match(/\bbạn\b/);
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.supportRequested?.housing).to.equal(false);
    expect(stored.supportRequested?.workPermit ?? false).to.equal(false);

    // Unticked, the same form saves.
    const ok = await post(a, form, `/applications/${c._id}/edit/support`, { housing: 'on', family: 'on', go: 'next' });
    expect(ok.status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.supportRequested?.housing).to.equal(true);
  });

  it('a work permit stored for a Vietnamese citizen before that check is neither promised on the acceptance page nor started', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant, { profile: citizenProfile, supportRequested: { workPermit: true, housing: true, family: true }, dependants: mixed });
    const confirm = await accept(await signedIn(t, applicant), c);
    expect(confirm).to.include('<li>Visa</li><li>Housing</li>');
    expect(confirm).to.not.include('Work permit');
    const after = (await Case.findById(c._id).lean())!;
    expect(after.supportTracks.find((s) => s.kind === 'work_permit')?.status).to.equal('not_needed');
    // The spouse's TT visa has its own clock: it waits for no work permit.
    const visa = after.supportTracks.find((s) => s.kind === 'visa')!;
    expect(visa.status).to.equal('requested');
    expect(visa.dueAt).to.be.instanceOf(Date);
  });

  // Walk: a Vietnamese citizen could ask a temporary residence card for themselves, a foreigner's paper.
  it('a Vietnamese citizen with no foreign family who ticks the residence card is told to untick it or enter the family members it is for, form kept, nothing saved', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await createCase({ applicant, call, profile: citizenProfile, supportRequested: { housing: false } });
    const a = await signedIn(t, applicant);
    const form = (await page(a, `/applications/${c._id}/edit/support`)).text;
    expect(text(form)).to.include('Là công dân Việt Nam, Ông/Bà không cần thẻ tạm trú: chọn mục này cho thẻ tạm trú TT của thành viên gia đình là người nước ngoài.');
    const res = await post(a, form, `/applications/${c._id}/edit/support`, { residenceCard: 'on', housing: 'on', go: 'next' });
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include('Là công dân Việt Nam, Ông/Bà không cần thẻ tạm trú: vui lòng bỏ chọn mục này, hoặc khai thành viên gia đình là người nước ngoài cần thẻ ở bước Người phụ thuộc.');
    expect(res.text).to.match(/id="f-residenceCard" name="residenceCard" value="on" checked aria-invalid="true"/);
    expect(res.text).to.match(/id="f-housing" name="housing" value="on" checked/);
    expect((await Case.findById(c._id).lean())!.supportRequested?.housing).to.equal(false);
  });

  it('a Vietnamese citizen with a foreign spouse: the residence card is the spouse’s TT card, said on both pages; one stored with no foreign family is neither promised nor started', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const a = await signedIn(t, applicant);
    // With the foreign spouse entered, the tick saves and the card procedure is theirs.
    const draft = await createCase({ applicant, call, profile: citizenProfile, dependants: mixed, supportRequested: { housing: false } });
    const form = (await page(a, `/applications/${draft._id}/edit/support`)).text;
    expect((await post(a, form, `/applications/${draft._id}/edit/support`, { residenceCard: 'on', go: 'next' })).status).to.equal(303);
    const c = await offered(applicant, { profile: citizenProfile, supportRequested: { residenceCard: true, family: true }, dependants: mixed });
    expect(await accept(a, c)).to.include('<li>Temporary residence card</li>');
    expect((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'residence_card')?.status).to.equal('requested');
    const card = text(slice((await page(a, `/applications/${c._id}`)).text, 'data-procedure="residence_card"'));
    expect(card).to.include('The TT residence cards of Anna Smith (Spouse) (as a Vietnamese citizen you need none)');
    expect(card).not.to.include('Nguyễn Minh');
    const staff = await signedIn(t, hr);
    expect(text((await page(staff, `/cases/${c._id}`)).text)).to.include('The TT residence cards of Anna Smith (Spouse) (the applicant is a Vietnamese citizen and needs none)');
    // Its e-mails say so too, as the visa's do.
    const stored = (await Case.findById(c._id).lean())!;
    const cardMail = procedureEmail({ applicant: { email: applicant.email, locale: 'en', name: 'An' }, reference: stored.reference, caseId: String(c._id), kind: 'residence_card', track: stored.supportTracks.find((s) => s.kind === 'residence_card')! as never, change: { kind: 'residence_card', from: 'requested', to: 'requested' } as never, key: 'k', now: new Date(), calendar: await loadCalendar(), family: stored as never });
    expect((await renderEmail('procedure_update', 'en', cardMail.data as Record<string, unknown>)).text).to.include('The TT residence cards of Anna Smith (Spouse) (as a Vietnamese citizen you need none).');

    // Stored before the check, with only Vietnamese family: no card promised, none started.
    const other = await createUser({ role: 'applicant', locale: 'en' });
    const old = await offered(other, { profile: citizenProfile, supportRequested: { residenceCard: true, housing: true }, dependants: [{ fullName: 'Nguyễn Minh', relationship: 'child', nationality: 'VN', dateOfBirth: new Date('2018-01-01') }] });
    const confirm = await accept(await signedIn(t, other), old);
    expect(confirm).to.include('<li>Housing</li>');
    expect(confirm).not.to.include('Temporary residence card');
    expect((await Case.findById(old._id).lean())!.supportTracks.find((s) => s.kind === 'residence_card')?.status ?? 'not_needed').to.equal('not_needed');
  });

  // Walk (walk-staff): a Vietnamese citizen with no family ticked the visa, as for the residence card
  // above; the acceptance started a visa procedure with a 5-working-day target "for the TT visas of
  // their family members" of someone with none, which HR could only set not needed.
  it('a Vietnamese citizen with no foreign family who ticks the visa is told to untick it or enter the family members it is for (vi, en), form kept, nothing saved; with a foreign spouse it saves', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await createCase({ applicant, call, profile: citizenProfile, dependants: [mixed[1]], supportRequested: { housing: false } });
    const a = await signedIn(t, applicant);
    const form = (await page(a, `/applications/${c._id}/edit/support`)).text;
    const res = await post(a, form, `/applications/${c._id}/edit/support`, { visa: 'on', housing: 'on', go: 'next' });
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include('Là công dân Việt Nam, Ông/Bà không cần thị thực: vui lòng bỏ chọn mục này, hoặc khai thành viên gia đình là người nước ngoài cần thị thực ở bước Người phụ thuộc.');
    expect(res.text).to.match(/id="f-visa" name="visa" value="on" checked aria-invalid="true"/);
    expect(res.text).to.match(/id="f-housing" name="housing" value="on" checked/);
    expect(res.text).to.not.match(/\bbạn\b/);
    expect((await Case.findById(c._id).lean())!.supportRequested?.housing).to.equal(false);

    const english = await createUser({ role: 'applicant', locale: 'en' });
    const e = await createCase({ applicant: english, call, profile: citizenProfile });
    const b = await signedIn(t, english);
    const enForm = (await page(b, `/applications/${e._id}/edit/support`)).text;
    const enRes = await post(b, enForm, `/applications/${e._id}/edit/support`, { visa: 'on', go: 'next' });
    expect(enRes.status).to.equal(422);
    expect(text(enRes.text)).to.include('As a Vietnamese citizen you need no visa: untick it, or add the family members of foreign nationality it is for in the Dependants step.');
    expect(text(enRes.text)).to.include('If you will enter on a foreign passport (holding another nationality too), that entry needs a visa or a visa exemption certificate: write to the HR office from your application page.');

    // With the foreign spouse entered, the tick is for her TT visa: it saves.
    const withSpouse = await createCase({ applicant, call, profile: citizenProfile, dependants: mixed, supportRequested: { housing: false } });
    const ok = (await page(a, `/applications/${withSpouse._id}/edit/support`)).text;
    expect((await post(a, ok, `/applications/${withSpouse._id}/edit/support`, { visa: 'on', go: 'next' })).status).to.equal(303);
    expect((await Case.findById(withSpouse._id).lean())!.supportRequested?.visa).to.equal(true);
  });

  it('a visa stored for a Vietnamese citizen with no foreign family before that check is neither promised on the acceptance page nor started; a foreigner\'s still is', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant, { profile: citizenProfile, supportRequested: { visa: true, housing: true }, dependants: [mixed[1]] });
    const confirm = await accept(await signedIn(t, applicant), c);
    expect(confirm).to.include('<li>Housing</li>');
    expect(confirm).not.to.include('<li>Visa</li>');
    expect((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'visa')?.status ?? 'not_needed').to.equal('not_needed');

    const foreigner = await createUser({ role: 'applicant', locale: 'en' });
    const f = await offered(foreigner, { profile: { ...citizenProfile, nationality: 'US' }, supportRequested: { visa: true } });
    expect(await accept(await signedIn(t, foreigner), f)).to.include('<li>Visa</li>');
    expect((await Case.findById(f._id).lean())!.supportTracks.find((s) => s.kind === 'visa')?.status).to.equal('requested');
  });

  // Walk: a Vietnamese citizen's e-mails read "Thị thực: đã được cấp" of what were their family's visas.
  it('the visa e-mails to a Vietnamese citizen say the procedure is their family’s TT visas, by name; a foreigner’s name the family visas going with theirs', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await offered(applicant, { profile: citizenProfile, supportRequested: { family: true }, dependants: mixed });
    await accept(await signedIn(t, applicant), c);
    const staff = await signedIn(t, hr);
    const form = await page(staff, `/cases/${c._id}/procedures/visa`);
    const today = vnDateKey(new Date());
    const filed = await post(staff, form.text, `/cases/${c._id}/procedures/visa`, { version: versionIn(form.text, `/cases/${c._id}/procedures/visa`), status: 'filed', filedAt: today });
    expect(filed.status, filed.text.slice(0, 300)).to.equal(303);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Thị thực: hồ sơ đã được nộp/);
    expect(mail.text).to.include('Ông/Bà không cần thị thực: là công dân Việt Nam, Ông/Bà không phải xin thị thực. Thủ tục này dành cho thị thực TT của các thành viên gia đình Ông/Bà là người nước ngoài. Nếu Ông/Bà đồng thời có quốc tịch nước ngoài và nhập cảnh bằng hộ chiếu nước ngoài thì cần thị thực hoặc giấy miễn thị thực như người nước ngoài (khoản 4 Điều 4, khoản 5 Điều 12 Luật 47/2014/QH13; Nghị định 82/2015/NĐ-CP): phòng nhân sự sẽ tư vấn. Có đề nghị hỗ trợ gia đình: thị thực TT của Anna Smith (');
    expect(mail.text).to.not.include('Nguyễn Minh');
    expect(mail.text).to.not.match(/\bbạn\b/);

    const foreigner = await createUser({ role: 'applicant', locale: 'en' });
    const d = await offered(foreigner, { supportRequested: { visa: true, family: true }, dependants: family });
    await accept(await signedIn(t, foreigner), d);
    // The visa waits for the work permit only when one was asked: none here, so it can be filed now.
    const fForm = await page(staff, `/cases/${d._id}/procedures/visa`);
    expect((await post(staff, fForm.text, `/cases/${d._id}/procedures/visa`, { version: versionIn(fForm.text, `/cases/${d._id}/procedures/visa`), status: 'filed', filedAt: today })).status).to.equal(303);
    await deliver(t, d._id);
    const fMail = await t.smtp.waitForTo(foreigner.email, /Visa: /);
    expect(fMail.text).to.include('Family support asked: the TT visas of Emma Weber (Spouse), Minh Weber (Child) go with this procedure.');
    expect(fMail.text).to.not.include('None for you');
  });

  it('no family support asked: nothing said about it', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant, { supportRequested: { visa: true }, dependants: family });
    const confirm = text((await page(await signedIn(t, applicant), `/applications/${c._id}/offer/accept`)).text);
    expect(confirm).to.include('<li>Visa</li>');
    expect(confirm).to.not.include('Family support');
  });
});
