// "Export my data": a JSON attachment with the person's account and applications as they may see
// them; internal notes, staff-only fields, other people's evaluations, the outbox and every secret
// are left out; refused to anonymous visitors; audited.
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { CaseDoc } from '../../models/case.ts';
import { documentStores } from '../../server/privacy/erase.ts';
import { storeDocument } from './support.ts';
import { sealTotpSecret } from '../../server/accounts/totp-secret.ts';
import { testKeyConfig } from '../support/keys.ts';

let sealedSecret = '';

const NOTE = 'INTERNAL: checked with the referee by phone';
const STAFF_HISTORY_NOTE = 'Assigned to the senior officer';
const EVAL_COMMENT = 'Panel-only comment on the candidate';

describe('privacy: export my data', function () {
  this.timeout(60_000);
  let t: TestApp;
  let applicant: UserDoc;
  let hr: UserDoc;
  let leader: UserDoc;
  let caseDoc: CaseDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    const call = await createCall({ institute });
    applicant = await createUser({ role: 'applicant', name: 'Lê Văn Export' });
    hr = await createUser({ role: 'hr_officer', institute });
    leader = await createUser({ role: 'leader', institute });
    const at = new Date();
    caseDoc = await createCase({
      applicant,
      call,
      stage: 'screening',
      assignee: hr,
      priority: 'high',
      score: 4.2,
      dependants: [{ fullName: 'Lê Thị Con', relationship: 'child', dateOfBirth: new Date('2015-01-01'), nationality: 'VN' }],
      achievements: { publications: [{ title: 'Graphene at scale', venue: 'Nature', year: 2020 }], publicationsCount: 1, patents: [], projectsLed: [] },
      history: [
        { at, actor: applicant._id, actorRole: 'applicant', action: 'create', to: 'draft' },
        { at, actor: applicant._id, actorRole: 'applicant', action: 'submit', from: 'draft', to: 'submitted' },
        { at, actor: hr._id, actorRole: 'hr_officer', action: 'assign', note: STAFF_HISTORY_NOTE },
      ],
      notes: [{ at, author: hr._id, text: NOTE }],
      messages: [
        { at, author: applicant._id, fromApplicant: true, text: 'When will I hear back?' },
        { at, author: hr._id, fromApplicant: false, text: 'Within two weeks.' },
      ],
      outbox: [{ key: 'outbox-key-secret-1', template: 'submitted', to: applicant.email, locale: 'en', createdAt: at, nextAttemptAt: at, status: 'sent' }],
    });
    await storeDocument(t.config, documentStores(t.ctx), caseDoc._id, applicant._id, 'disk');
    await Evaluation.create({ case: caseDoc._id, call: call._id, member: leader._id, recommendation: 'yes', comment: EVAL_COMMENT, submittedAt: at });
    // Secrets on the applicant's own account must not leave either (stored as the app stores them: encrypted).
    sealedSecret = sealTotpSecret(testKeyConfig, applicant._id, 'JBSWY3DPEHPK3PXPSECRET');
    await User.updateOne({ _id: applicant._id }, { $set: { 'totp.secret': sealedSecret, 'totp.enabledAt': at, 'totp.recoveryCodeHashes': ['recovery-hash-1'] } });
  });
  after(async () => {
    await t?.close();
  });

  /** Signs in as `user` and downloads their export, the body kept as the text sent. */
  async function exportOf(user: UserDoc) {
    const a = agent(t.app);
    await signIn(a, user);
    return a.get('/account/export').buffer(true).parse((r, cb) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (body += c));
      r.on('end', () => cb(null, body));
    });
  }

  it('downloads the applicant’s data as a JSON attachment, without notes, staff-only data or secrets', async () => {
    const res = await exportOf(applicant);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    expect(res.headers['content-disposition']).to.match(/^attachment; filename="my-data-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['cache-control']).to.include('no-store');
    const text = res.body as string;
    const data = JSON.parse(text);

    expect(data.account.email).to.equal(applicant.email);
    expect(data.account.name).to.equal('Lê Văn Export');
    expect(data.account.secondFactorEnabled).to.equal(true);
    expect(data.cases).to.have.length(1);
    const c = data.cases[0];
    expect(c.reference).to.equal(caseDoc.reference);
    expect(c.profile.fullName).to.equal('Nguyễn Văn An');
    expect(c.profile.phone).to.equal('+49 30 1234567');
    expect(c.achievements.publications[0].title).to.equal('Graphene at scale');
    expect(c.dependants[0].fullName).to.equal('Lê Thị Con');
    expect(c.messages.map((m: { text: string }) => m.text)).to.deep.equal(['When will I hear back?', 'Within two weeks.']);
    expect(c.history.map((h: { action: string }) => h.action)).to.deep.equal(['create', 'submit']);
    expect(c.documents).to.have.length(1);
    expect(c.documents[0]).to.include({ type: 'cv', version: 1, status: 'pending', mimeType: 'application/pdf' });
    expect(c.documents[0].sha256).to.match(/^[a-f0-9]{64}$/);
    expect(c.documents[0].originalName).to.match(/^cv-\d+\.pdf$/);
    expect(c.documents[0]).not.to.have.property('storageKey');

    for (const secret of [NOTE, STAFF_HISTORY_NOTE, EVAL_COMMENT, 'outbox-key-secret-1', 'JBSWY3DPEHPK3PXPSECRET', sealedSecret, 'recovery-hash-1', '$argon2']) {
      expect(text, secret).not.to.include(secret);
    }
    for (const field of ['passwordHash', 'recoveryCodeHashes', '"secret"', '"notes"', '"outbox"', '"assignee"', '"priority"', '"score"', '"storageKey"', '"evaluations"', '"sessionEpoch"']) {
      expect(text, field).not.to.include(field);
    }
    expect(text).not.to.include(String(hr._id));
    expect(await AuditEvent.exists({ action: 'privacy.exported', targetId: String(applicant._id) })).to.not.equal(null);
  });

  it("tells what the applicant's own page tells of a rejection: HR's reason at screening, not a leader's after the panel, nor procedure steps kept from them", async () => {
    const institute = await createInstitute();
    const call = await createCall({ institute });
    const person = await createUser({ role: 'applicant' });
    const at = new Date();
    const SCREENING_REASON = 'The doctorate is not yet awarded';
    const PANEL_REASON = 'LEADER-INTERNAL: weaker than the two shortlisted';
    const ESCALATION_NOTE = 'Escalated to the director';
    await createCase({
      applicant: person,
      call,
      stage: 'rejected',
      decision: { reason: SCREENING_REASON, decidedAt: at },
      history: [
        { at, actor: person._id, actorRole: 'applicant', action: 'submit', from: 'draft', to: 'submitted' },
        { at, actor: hr._id, actorRole: 'hr_officer', action: 'reject', from: 'screening', to: 'rejected', note: SCREENING_REASON },
      ],
    } as never);
    await createCase({
      applicant: person,
      call,
      stage: 'rejected',
      decision: { reason: PANEL_REASON, decidedAt: at },
      history: [
        { at, actor: person._id, actorRole: 'applicant', action: 'submit', from: 'draft', to: 'submitted' },
        { at, actorRole: 'system', action: 'procedure_escalated', note: ESCALATION_NOTE, procedure: { kind: 'visa', from: 'filed', to: 'filed', escalated: 'hr', applicantVisible: false } },
        { at, actor: leader._id, actorRole: 'leader', action: 'reject', from: 'evaluation', to: 'rejected', note: PANEL_REASON },
      ],
    } as never);
    const res = await exportOf(person);
    expect(res.status).to.equal(200);
    const text = res.body as string;
    const [atScreening, afterPanel] = JSON.parse(text).cases as Array<{ decision: { reason?: string }; history: Array<{ action: string; note?: string }> }>;
    expect(atScreening!.decision.reason).to.equal(SCREENING_REASON);
    expect(atScreening!.history.find((h) => h.action === 'reject')?.note).to.equal(SCREENING_REASON);
    expect(afterPanel!.decision).not.to.have.property('reason');
    expect(afterPanel!.history.map((h) => h.action)).to.deep.equal(['submit', 'reject']);
    expect(text).not.to.include(PANEL_REASON);
    expect(text).not.to.include(ESCALATION_NOTE);
  });

  it('gives a panel member their own account and scorecards, never secrets', async () => {
    const res = await exportOf(leader);
    expect(res.status).to.equal(200);
    const data = JSON.parse(res.body as string);
    expect(data.account.email).to.equal(leader.email);
    expect(data.account.role).to.equal('leader');
    expect(data.evaluations).to.have.length(1);
    expect(data.evaluations[0]).to.include({ case: caseDoc.reference, recommendation: 'yes', comment: EVAL_COMMENT });
    expect(data).not.to.have.property('cases');
    expect(res.body as string).not.to.include(leader.totp!.secret!);
    expect(res.body as string).not.to.include('passwordHash');
  });

  it("gives a panel member the conflicts of interest they declared (case, reason, day), never another member's; the applicant's export has none", async () => {
    const institute = await createInstitute();
    const call = await createCall({ institute });
    const member = await createUser({ role: 'leader', institute });
    const other = await createUser({ role: 'leader', institute });
    const declared = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'evaluation' });
    const declaredAt = new Date('2026-11-02T03:04:05.000Z');
    await PanelConflict.create({ case: declared._id, call: call._id, member: member._id, reason: 'She was my doctoral student until 2024.', declaredAt });
    await PanelConflict.create({ case: declared._id, call: call._id, member: other._id, reason: 'OTHER-MEMBER-REASON co-author', declaredAt });

    const res = await exportOf(member);
    expect(res.status).to.equal(200);
    const data = JSON.parse(res.body as string);
    expect(data.panelConflicts).to.deep.equal([{ case: declared.reference, call: String(call._id), reason: 'She was my doctoral student until 2024.', declaredAt: declaredAt.toISOString() }]);
    expect(res.body as string).not.to.include('OTHER-MEMBER-REASON');
    // A member who declared none: an empty list, said rather than left out.
    expect(JSON.parse((await exportOf(leader)).body as string).panelConflicts).to.deep.equal([]);
    // The applicant of the case never learns of it (the reason is the panel's and the leaders' only).
    const applicantExport = (await exportOf(applicant)).body as string;
    expect(applicantExport).not.to.include('panelConflicts');
  });

  it('is refused to an anonymous visitor', async () => {
    const json = await request(t.app).get('/account/export').set('Accept', 'application/json');
    expect(json.status).to.equal(401);
    const html = await request(t.app).get('/account/export').set('Accept', 'text/html');
    expect(html.status).to.equal(303);
    expect(html.headers.location).to.match(/^\/signin/);
  });

  it('is linked from the account page', async () => {
    const a = agent(t.app);
    await signIn(a, applicant);
    const page = await a.get('/account').set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('href="/account/export"');
    expect(page.text).to.include('href="/account/delete"');
  });
});
