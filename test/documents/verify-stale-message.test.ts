// A document decision refused because the file changed since the page was opened says what now
// stands (walk s38): who decided it and which way, that this officer's decision was not saved; the
// same decision sent twice is said to be saved already (news, not an error). In the officer's language.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { DOCUMENT_DECISION_EVENT } from '../../server/cases/conflict.ts';
import { makePdf, signedInWithToken, tokenOf } from './support.ts';

const DAY = 86_400_000;
const plain = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

describe('documents: a stale or repeated decision says what now stands', function () {
  this.timeout(60_000);
  let t: TestApp;
  let uploadDir: string;
  let caseDoc: CaseDoc;
  let first: Agent;
  let second: Agent;
  let firstToken: string;
  let secondToken: string;

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-verify-stale-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Ingrid Solberg' });
    const ha = await createUser({ role: 'hr_officer', institute, name: 'Trần Thu Hà', locale: 'vi' });
    const emma = await createUser({ role: 'hr_officer', institute, name: 'Officer Emma Clark', locale: 'en' });
    caseDoc = await createCase({ applicant, call, stage: 'screening', profile: { fullName: 'Ingrid Solberg', nationality: 'NO', plannedArrival: new Date(Date.now() + 60 * DAY) } as never });
    const a = agent(t.app);
    await signIn(a, applicant);
    const res = await a.post(`/cases/${caseDoc._id}/documents`).field('_csrf', await tokenOf(a)).set('Accept', 'application/json').attach('cv', await makePdf('CV'), 'cv.pdf');
    expect(res.status, res.text).to.equal(201);
    ({ agent: first, token: firstToken } = await signedInWithToken(t.app, emma));
    ({ agent: second, token: secondToken } = await signedInWithToken(t.app, ha));
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  /** A decision sent from the case page's form, and the page it leads to (its flash), as the browser reads it. */
  const decide = async (who: Agent, token: string, body: Record<string, string>) => {
    const docId = String((await CaseDocument.findOne({ case: caseDoc._id }).lean())!._id);
    const res = await who.post(`/documents/${docId}/verify`).type('form').set('Accept', 'text/html').send({ _csrf: token, ...body });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const page = await who.get(res.headers.location!).set('Accept', 'text/html');
    const flash = /<div class="flash flash-session flash-(\w+)"[^>]*>([\s\S]*?)<button/.exec(page.text);
    return { kind: flash?.[1], text: plain(flash?.[2] ?? ''), location: res.headers.location };
  };
  const lines = async () => ((await Case.findById(caseDoc._id).lean())!.history ?? []).filter((e) => e.action === DOCUMENT_DECISION_EVENT).length;

  it('a stale accept after another officer refused: told who refused it and that hers was not saved, in Vietnamese', async () => {
    const refused = await decide(first, firstToken, { decision: 'reject', reason: 'The scan is cut off at the bottom.' });
    expect(refused.kind).to.equal('success');
    // Back at the paper decided, so the keyboard goes on from it (walk s38), not from the list's top.
    expect(refused.location).to.equal(`/cases/${caseDoc._id}#doc-cv`);
    const stale = await decide(second, secondToken, { decision: 'accept' });
    expect(stale.kind).to.equal('error');
    expect(stale.text).to.include('Officer Emma Clark đã trả lại giấy tờ này sau khi trang của Anh/Chị được mở').and.include('chưa được lưu');
    expect(stale.text).to.not.match(/\bbạn\b/i);
    expect(await lines(), 'no line for the stale form').to.equal(1);
  });

  it('the same refusal sent again: said to be saved already, as information, nothing added; in English for an English reader', async () => {
    const again = await decide(first, firstToken, { decision: 'reject', reason: 'The scan is cut off at the bottom.' });
    expect(again.kind).to.equal('info');
    expect(again.text).to.include('Officer Emma Clark had already saved this decision').and.include('nothing more was saved or sent');
    expect(await lines()).to.equal(1);
  });
});
