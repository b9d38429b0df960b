// The call's minimum of complete scorecards before a leader decides (Call.minScorecards): the
// administrator's call form shows it, stores it, refuses what is not a whole number from 1 to 20
// (in the administrator's language, the typed value kept, nothing stored), and an edit keeps it.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, submitForm, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn, uniqueSuffix } from '../support/factories.ts';
import { Call } from '../../models/call.ts';
import { validateCall, emptyCallValues } from '../../server/admin/call-form.ts';

describe('leaders: the call minimum of complete scorecards (admin call form)', () => {
  let t: TestApp;
  let adminEn: Agent;
  let adminVi: Agent;
  before(async () => {
    t = await startTestApp();
    adminEn = agent(t.app);
    await signIn(adminEn, await createUser({ role: 'admin', locale: 'en' }));
    adminVi = agent(t.app);
    await signIn(adminVi, await createUser({ role: 'admin', locale: 'vi' }));
  });
  after(async () => {
    await t?.close();
  });

  async function base() {
    const institute = await createInstitute();
    return {
      institute: String(institute._id), code: `M-${uniqueSuffix()}`.slice(0, 40), titleVi: 'Chuyên gia', titleEn: 'Expert', descriptionVi: '', descriptionEn: '',
      track: 'expert', fieldVi: 'Vật lý', fieldEn: 'Physics', opensAt: '2026-03-01', closesAt: '2099-04-30', status: 'open',
      checklistRows: '0', scorecardRows: '1', sc_key_0: 'research', sc_labelVi_0: 'Nghiên cứu', sc_labelEn_0: 'Research', sc_weight_0: '100', op: 'save',
    };
  }

  it('offers the field with the default 1 on a new call', async () => {
    const page = await adminEn.get('/admin/calls/new').set('Accept', 'text/html');
    expect(page.text).to.match(/<input id="f-minScorecards" name="minScorecards" type="number" value="1" required min="1" max="20"/);
    expect(emptyCallValues(new Date()).minScorecards).to.equal('1');
  });

  for (const [lang, a, message] of [
    ['en', () => adminEn, 'Enter a whole number from 1 to 20.'],
    ['vi', () => adminVi, 'Nhập số nguyên từ 1 đến 20.'],
  ] as const) {
    it(`refuses 0, 21, 2.5, -1, text and \`$\`-looking values (${lang}) with the value kept and nothing stored`, async () => {
      for (const v of ['0', '21', '2.5', '-1', 'two', '$gt', '1e1']) {
        const fields = await base();
        const res = await submitForm(a(), '/admin/calls/new', { ...fields, minScorecards: v });
        expect(res.status, v).to.equal(422);
        expect(res.text, v).to.include('id="f-minScorecards-error"');
        expect(res.text, v).to.include(message);
        expect(res.text, v).to.include(`value="${v}"`);
        expect(await Call.countDocuments({ code: fields.code }), v).to.equal(0);
      }
    });
  }

  it('stores the minimum, shows it when editing, and keeps 1 when the field is left empty', async () => {
    const fields = await base();
    const res = await submitForm(adminEn, '/admin/calls/new', { ...fields, minScorecards: '3' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const call = (await Call.findOne({ code: fields.code }).lean())!;
    expect(call.minScorecards).to.equal(3);
    const edit = await adminEn.get(`/admin/calls/${call._id}`).set('Accept', 'text/html');
    expect(edit.text).to.match(/name="minScorecards" type="number" value="3"/);
    const saved = await submitForm(adminEn, `/admin/calls/${call._id}`, { ...fields, minScorecards: '' });
    expect(saved.status).to.equal(303);
    expect((await Call.findById(call._id).lean())!.minScorecards).to.equal(1);
  });

  it('validates without HTTP: 1 to 20 accepted, the rest a field error', () => {
    const values = { ...emptyCallValues(new Date()), institute: 'i', titleVi: 'x', titleEn: 'x', fieldEn: 'f', closesAt: '2026-12-31', opensAt: '2026-01-01' };
    expect(validateCall({ ...values, minScorecards: '20' }, ['i']).data?.minScorecards).to.equal(20);
    expect(validateCall({ ...values, minScorecards: '1' }, ['i']).data?.minScorecards).to.equal(1);
    expect(validateCall({ ...values, minScorecards: '21' }, ['i']).errors.minScorecards).to.equal('admin.calls.errors.minScorecards');
  });
});
