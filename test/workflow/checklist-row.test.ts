// A call's document checklist gaining a row: "add row" gives an optional one (a required row would
// make every open application of the call incomplete at once), and a save that makes a row required
// while the call has open cases tells the administrator, in their language, how many open cases lack
// that document and that their applicants are not e-mailed about it. Real app, real database.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import type { UserDoc } from '../../models/user.ts';
import type { Types } from 'mongoose';
import type { DocumentType } from '../../models/constants.ts';
import { page, post, signedIn, text } from '../applications/support.ts';
import type { Agent } from '../support/http.ts';

describe('a call\'s checklist row: added optional, and a new required row is counted against open cases', function () {
  this.timeout(60_000);
  let t: TestApp;
  let institute: InstituteDoc;
  let applicant: UserDoc;
  const admins: Partial<Record<'vi' | 'en', Agent>> = {};

  before(async () => {
    t = await startTestApp();
    institute = await createInstitute();
    applicant = await createUser({ role: 'applicant' });
    for (const locale of ['vi', 'en'] as const) admins[locale] = await signedIn(t, await createUser({ role: 'admin', locale }));
  });
  after(async () => {
    await t?.close();
  });

  /** The call's form as the edit page shows it, every field as it would be posted. */
  function formOf(call: CallDoc, rows: Array<{ type: string; phase?: string; required: boolean }>): Record<string, string> {
    const body: Record<string, string> = {
      institute: String(institute._id), code: call.code ?? '', titleVi: call.title!.vi!, titleEn: call.title!.en!, descriptionVi: '', descriptionEn: '',
      track: call.track, fieldVi: 'Khoa học vật liệu', fieldEn: 'Materials science', opensAt: '2026-03-01', closesAt: '2099-04-30', status: 'open', minScorecards: '1',
      checklistRows: String(rows.length),
      scorecardRows: '2', sc_key_0: 'research', sc_labelVi_0: 'Nghiên cứu', sc_labelEn_0: 'Research', sc_weight_0: '60', sc_key_1: 'fit', sc_labelVi_1: 'Phù hợp', sc_labelEn_1: 'Fit', sc_weight_1: '40',
      op: 'save',
    };
    rows.forEach((r, i) => {
      body[`cl_type_${i}`] = r.type;
      body[`cl_phase_${i}`] = r.phase ?? 'application';
      body[`cl_maxMb_${i}`] = '';
      if (r.required) body[`cl_required_${i}`] = 'on';
    });
    return body;
  }
  const submit = async (a: Agent, url: string, body: Record<string, string>) => post(a, (await page(a, url)).text, url, body);
  const doc = (caseId: Types.ObjectId, type: DocumentType) =>
    CaseDocument.create({ case: caseId, type, slot: 0, version: 1, current: true, status: 'pending', storage: 'disk', storageKey: 'a'.repeat(32), originalName: `${type}.pdf`, mimeType: 'application/pdf', size: 10, sha256: 'b'.repeat(64), uploadedBy: applicant._id });

  it('"add a document row" gives a row that is not required', async () => {
    const call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] });
    const url = `/admin/calls/${call._id}`;
    const res = await submit(admins.en!, url, { ...formOf(call, [{ type: 'cv', required: true }]), op: 'addChecklistRow' });
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/name="cl_required_0"[^>]* checked/);
    expect(res.text).to.match(/name="cl_type_1"/);
    expect(res.text).to.not.match(/name="cl_required_1"[^>]* checked/);
    // Nothing stored by adding a row.
    expect((await Call.findById(call._id).lean())!.checklist).to.have.length(1);
  });

  for (const locale of ['en', 'vi'] as const) {
    it(`a row made required with open cases: says how many open cases lack it and that nobody is e-mailed (${locale})`, async () => {
      const call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }, { type: 'health_certificate', phase: 'application', required: false }] });
      // Open: a draft and a screening case without a health certificate, a submitted one with it. Closed ones do not count.
      const lacking = [await createCase({ applicant, call, stage: 'draft' }), await createCase({ applicant, call, stage: 'screening' })];
      const having = await createCase({ applicant, call, stage: 'submitted' });
      await doc(having._id, 'health_certificate');
      await createCase({ applicant, call, stage: 'rejected' });
      await createCase({ applicant, call, stage: 'withdrawn' });
      const url = `/admin/calls/${call._id}`;
      const res = await submit(admins[locale]!, url, formOf(call, [{ type: 'cv', required: true }, { type: 'health_certificate', required: true }]));
      expect(res.status).to.equal(303);
      expect((await Call.findById(call._id).lean())!.checklist.find((r) => r.type === 'health_certificate')!.required).to.equal(true);
      const shown = text((await page(admins[locale]!, url)).text);
      const words = {
        en: ['Health certificate', '2 open cases of this call have no file of it', 'Their applicants are not e-mailed about it'],
        vi: ['Giấy chứng nhận sức khỏe', '2 hồ sơ đang mở của đợt tuyển này chưa có giấy tờ này', 'Ứng viên của các hồ sơ đó không được gửi e-mail'],
      }[locale];
      for (const w of words) expect(shown).to.include(w);
      expect(shown).to.match(/class="flash[^"]*flash-warning/);
      // And indeed no e-mail is owed to them.
      for (const c of lacking) expect((await Case.findById(c._id).lean())!.outbox ?? []).to.deep.equal([]);

      // Saved again as it is: nothing newly required, nothing said.
      const again = await submit(admins[locale]!, url, formOf(call, [{ type: 'cv', required: true }, { type: 'health_certificate', required: true }]));
      expect(again.status).to.equal(303);
      expect(text((await page(admins[locale]!, url)).text)).to.not.include(words[1]!);
    });
  }

  it('an optional row added, or a required one no open case lacks: no warning', async () => {
    const call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] });
    const c = await createCase({ applicant, call, stage: 'screening' });
    await doc(c._id, 'passport');
    const url = `/admin/calls/${call._id}`;
    expect((await submit(admins.en!, url, formOf(call, [{ type: 'cv', required: true }, { type: 'degree', required: false }]))).status).to.equal(303);
    let shown = text((await page(admins.en!, url)).text);
    expect(shown).to.include('Saved.');
    expect(shown).to.not.include('open cases of this call');
    expect((await submit(admins.en!, url, formOf(call, [{ type: 'cv', required: true }, { type: 'degree', required: false }, { type: 'passport', required: true }]))).status).to.equal(303);
    shown = text((await page(admins.en!, url)).text);
    expect(shown).to.include('Saved.');
    expect(shown).to.not.include('open case');
  });
});
