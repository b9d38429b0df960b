// HR's decisions on a document's versions on the case's timelines, over HTTP: refused, accepted,
// changed; staff read who decided, which paper and version, and what the applicant was told
// (escaped); the applicant reads what they were told, in their language, without staff names; a
// double submit or a stale form adds no second line; a reader kept from the institute's reasons
// reads none; the case's version does not move, and the page reads nothing more for it.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { type Agent } from '../support/http.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import mongoose from 'mongoose';
import { failNext, type Op } from '../support/fail-next.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { timeline } from '../../server/cases/present.ts';
import { translator } from '../../server/i18n/index.ts';
import { DOCUMENT_DECISION_EVENT } from '../../server/cases/conflict.ts';
import { expectApplicantDecisionLines, makePdf, makePng, plain, signedInWithToken, timelineHtml } from './support.ts';

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);

describe('documents: HR’s decisions on the case’s timelines', function () {
  this.timeout(60_000);
  let t: TestApp;
  let uploadDir: string;
  let applicant: UserDoc;
  let hr: UserDoc;
  let caseDoc: CaseDoc;
  let call: CallDoc;
  let a: Agent;
  let h: Agent;
  let token: string;
  let hrToken: string;
  // Hostile words in a reason: shown as text, never as markup.
  const REFUSED = 'Scan cut off <img src=x onerror=alert(1)> & "blurred"';
  const CHANGED = 'Expiry date <b>unreadable</b> after all';
  let v1: string;
  let v2: string;

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-verify-timeline-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
    const institute = await createInstitute();
    call = await createCall({ institute, checklist: [{ type: 'passport', phase: 'application', required: true }] as never });
    applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer Lan' });
    caseDoc = await createCase({ applicant, call, stage: 'screening', profile: { fullName: 'Trần Thị Bình', nationality: 'FR', plannedArrival: new Date(Date.now() + 60 * DAY) } as never });
    ({ agent: a, token } = await signedInWithToken(t.app, applicant));
    ({ agent: h, token: hrToken } = await signedInWithToken(t.app, hr));
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const uploadPassport = async (file: Buffer, name: string) => {
    const res = await a.post(`/cases/${caseDoc._id}/documents`).field('_csrf', token).set('Accept', 'application/json').field('passport_expiresAt', iso(new Date(Date.now() + 3650 * DAY))).attach('passport', file, name);
    expect(res.status, res.text).to.equal(201);
    return res.body.documents[0].id as string;
  };
  const verify = (id: string, body: Record<string, string>) => h.post(`/documents/${id}/verify`).set('Accept', 'application/json').type('form').send({ _csrf: hrToken, ...body });
  const decisionLines = async () => ((await Case.findById(caseDoc._id).lean())!.history ?? []).filter((e) => e.action === DOCUMENT_DECISION_EVENT);

  it('HR refuses version 1 and accepts version 2 (the accept sent twice at once): one line each, the case’s version unmoved', async () => {
    v1 = await uploadPassport(makePng(), 'passport.png');
    const before = (await Case.findById(caseDoc._id).lean())!.version;
    expect((await verify(v1, { decision: 'reject', reason: REFUSED })).status).to.equal(200);
    v2 = await uploadPassport(await makePdf('Passport, sharper scan'), 'passport-2.pdf');
    // A double submit: both requests at once, one decision, one line.
    const both = await Promise.all([verify(v2, { decision: 'accept' }), verify(v2, { decision: 'accept' })]);
    expect(both.map((r) => r.status).sort()).to.deep.equal([200, 409]);
    // A stale form (built while version 1 was pending) sent again: refused, no line.
    expect((await verify(v1, { decision: 'accept' })).status).to.equal(409);
    const lines = await decisionLines();
    expect(lines.map((l) => [l.document?.version, l.document?.decision, l.told ?? null, String(l.actor)])).to.deep.equal([
      [1, 'rejected', REFUSED, String(hr._id)],
      [2, 'accepted', null, String(hr._id)],
    ]);
    // Tied to the decision's audit event, the case's own version untouched (no open form of the case goes stale).
    expect(lines.every((l) => !!l.document?.event)).to.equal(true);
    expect((await Case.findById(caseDoc._id).lean())!.version).to.equal(before);
  });

  it('HR changes the decision on version 2 with a reason: a third line, and the same change sent again adds none', async () => {
    expect((await verify(v2, { decision: 'reject', from: 'accepted', reason: CHANGED })).status).to.equal(200);
    expect((await verify(v2, { decision: 'reject', from: 'accepted', reason: CHANGED })).status, 'sent again').to.equal(409);
    const lines = await decisionLines();
    expect(lines).to.have.length(3);
    expect(lines[2]!.document).to.deep.include({ version: 2, decision: 'rejected', changedFrom: 'accepted', type: 'passport' });
    expect(lines[2]!.told).to.equal(CHANGED);
  });

  it('the staff case page names the officer, the paper, the version and what the applicant was told, escaped', async () => {
    const res = await h.get(`/cases/${caseDoc._id}`).set('Accept', 'text/html');
    expect(res.status).to.equal(200);
    const raw = timelineHtml(res.text);
    expect(raw, 'markup from a reason is never rendered').not.to.include('<img src=x').and.not.to.include('<b>unreadable');
    expect(raw).to.include('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    const shown = plain(raw);
    expect(shown).to.match(/Passport, version 1: refused\b[^·]*· Officer Lan/);
    expect(shown).to.include(`Told to the applicant: ${REFUSED}`);
    expect(shown).to.match(/Passport, version 2: accepted\b[^·]*· Officer Lan/);
    expect(shown).to.match(/Passport, version 2: decision changed, now refused \(it was accepted\)[^·]*· Officer Lan/);
    expect(shown, 'the name under the line, not again in it').not.to.include('by Officer Lan');
    expect(shown).to.include(`Told to the applicant: ${CHANGED}`);
    // Newest first, as the rest of the timeline.
    expect(shown.indexOf('decision changed')).to.be.lessThan(shown.indexOf('version 2: accepted')).and.lessThan(shown.indexOf('version 1: refused'));
  });

  it('the applicant’s page says what they were told, in Vietnamese and in English, without staff names', async () => {
    await expectApplicantDecisionLines(a, String(caseDoc._id), { refused: REFUSED, changed: CHANGED });
  });

  it('the case page reads nothing more for them: the same database commands with the lines as without', async () => {
    const commands = async () => {
      const seen: string[] = [];
      const listener = (op: Op) => void seen.push(`${op.collectionName}.${op.method}`);
      mongoose.connection.on('operation-start', listener);
      try {
        expect((await h.get(`/cases/${caseDoc._id}`).set('Accept', 'text/html')).status).to.equal(200);
      } finally {
        mongoose.connection.off('operation-start', listener);
      }
      return seen.filter((c) => !c.startsWith('sessions.')).sort();
    };
    await commands(); // warm: what the page keeps a few seconds is read once
    const withLines = await commands();
    const { history } = (await Case.collection.findOne({ _id: caseDoc._id }))!;
    await Case.collection.updateOne({ _id: caseDoc._id }, { $pull: { history: { action: DOCUMENT_DECISION_EVENT } } } as never);
    try {
      expect(withLines).to.deep.equal(await commands());
    } finally {
      await Case.collection.updateOne({ _id: caseDoc._id }, { $set: { history } });
    }
    expect(await decisionLines()).to.have.length(3);
  });

  it('a reader kept from the institute’s reasons (another institute’s panel member) reads the decisions, no reason', async () => {
    const stored = (await Case.findById(caseDoc._id).lean())!;
    const names = new Map([[String(hr._id), { name: 'Officer Lan', role: 'hr_officer' }]]);
    const outside = timeline(stored.history as never, names, translator('en'), { applicantId: stored.applicant, forApplicant: false, locale: 'en', ofInstitute: false });
    const lines = outside.filter((e) => /Passport, version/.test(e.label));
    expect(lines.map((e) => e.label)).to.have.length(3);
    expect(JSON.stringify(lines)).not.to.include('Scan cut off').and.not.to.include('unreadable');
    // The institute's own staff do read them (the same history).
    const inside = timeline(stored.history as never, names, translator('en'), { applicantId: stored.applicant, forApplicant: false, locale: 'en', ofInstitute: true });
    expect(JSON.stringify(inside)).to.include('Scan cut off');
  });

  it('a type or version from the database never becomes a key path: shown as "Other document"', async () => {
    // Written past Mongoose (its schema would refuse it), as a damaged record would be.
    await Case.collection.updateOne({ _id: caseDoc._id }, { $push: { history: { at: new Date(), actor: hr._id, actorRole: 'hr_officer', action: DOCUMENT_DECISION_EVENT, document: { type: 'stages.rejected', version: 'cases.title', decision: 'accepted' } } } as never });
    const shown = plain(timelineHtml((await h.get(`/cases/${caseDoc._id}`).set('Accept', 'text/html')).text));
    expect(shown).to.match(/Other document, version \?: accepted\b[^·]*· Officer Lan/);
    await Case.collection.updateOne({ _id: caseDoc._id }, { $pull: { history: { 'document.type': 'stages.rejected' } } } as never);
  });

  it('a failure between the two writes loses the line only: the decision stands and is answered as done, and sending it again is refused', async () => {
    const v3 = await uploadPassport(await makePdf('Passport, third scan'), 'passport-3.pdf');
    const linesBefore = (await decisionLines()).length;
    // The timeline's write (its filter is the decision's event, once per case).
    const fault = failNext((op) => op.collectionName === 'cases' && op.method === 'updateOne' && Object.hasOwn((op.params[0] ?? {}) as object, 'history.document.event'));
    const res = await verify(v3, { decision: 'accept' });
    fault.stop();
    expect(fault.failed()).to.equal(1);
    expect(res.status, 'the decision is done: the officer is told so').to.equal(200);
    expect((await CaseDocument.findById(v3).lean())!.status, 'the decision stands').to.equal('accepted');
    expect((await decisionLines()).length, 'only the line is lost').to.equal(linesBefore);
    expect((await verify(v3, { decision: 'accept' })).status, 'no second decision, no line').to.equal(409);
    expect((await decisionLines()).length).to.equal(linesBefore);
  });
});
