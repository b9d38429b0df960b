// Mentions in internal notes (issue 14): `@name` or `@e-mail` of a colleague who may see the case
// notifies them by e-mail (received on the in-process SMTP server) and on their home page; a
// colleague without access, or a name that fits two colleagues, notifies nobody and the writer is
// told why, in Vietnamese and English; another institute's staff are answered like names that match
// no one, with only what was typed; hostile text is only text.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser, uniqueSuffix } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { signedIn, page, post, deliver, text } from '../applications/support.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Mention } from '../../models/mention.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import type { Agent } from '../support/http.ts';
import { indexColleagues, resolveMentions } from '../../server/mentions/parse.ts';

/** Writes the note and returns the flash the writer is shown (not the page: the note itself is on it). */
async function writeNote(a: Agent, c: CaseDoc, note: string): Promise<string> {
  const p = await page(a, `/cases/${c._id}`);
  const res = await post(a, p.text, `/cases/${c._id}/notes`, { note });
  expect(res.status, res.text.slice(0, 300)).to.equal(303);
  // The flash is on the page the writer is sent back to.
  const back = text((await page(a, `/cases/${c._id}`)).text);
  // The message's text ends where its close button begins (views/partials/flash.hbs).
  const flash = /id="flash"[^>]*>([\s\S]*?)<(?:button|\/div)/.exec(back)?.[1];
  expect(flash, 'a flash after the note').to.be.a('string');
  return flash!;
}

async function mentionItems(c: CaseDoc) {
  return ((await Case.findById(c._id).lean())!.outbox ?? []).filter((o) => o.template === 'note_mention');
}

// Names unique to this run: test files share one database, and a name another file also gives
// a colleague would (rightly) be ambiguous here.
const S = uniqueSuffix().replace(/[^a-z0-9]/gi, '');

describe('mentions in internal notes', () => {
  let t: TestApp;
  let writer: UserDoc;
  let writerVi: UserDoc;
  let hoa: UserDoc;
  let leader: UserDoc;
  let elsewhere: UserDoc;
  let call: CallDoc;
  let applicant: UserDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    writer = await createUser({ role: 'hr_officer', institute, name: `Writer Officer${S}`, locale: 'en' });
    writerVi = await createUser({ role: 'hr_officer', institute, name: `Người Viết${S}`, locale: 'vi' });
    hoa = await createUser({ role: 'hr_officer', institute, name: `Trần Thị Hoa${S}`, locale: 'vi' });
    leader = await createUser({ role: 'leader', institute, name: `Director Quang${S}`, locale: 'en' });
    await createUser({ role: 'hr_officer', institute, name: `Lê Văn Nam${S}`, locale: 'en' });
    await createUser({ role: 'hr_officer', institute, name: `Phạm Văn Nam${S}`, locale: 'en' });
    elsewhere = await createUser({ role: 'hr_officer', name: `Elsewhere Officer${S}`, locale: 'en' });
    applicant = await createUser({ role: 'applicant' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  it('e-mails a colleague named in a note (in the same update as the note) and lists it on their home page', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, writer);
    const flash = await writeNote(a, c, `References look fine. @Trần Thị Hoa${S} could you call the referee before Friday?`);
    expect(flash).to.include(`The note was added. Notified: Trần Thị Hoa${S}.`);

    const stored = (await Case.findById(c._id).lean())!;
    const note = stored.notes.at(-1)!;
    const items = await mentionItems(c);
    expect(items).to.have.length(1);
    expect(items[0]!.to).to.equal(hoa.email);
    expect(items[0]!.key).to.include(String(note._id));

    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(hoa.email, /nhắc đến Anh\/Chị/);
    expect(mail.subject).to.equal(`[${c.reference}] Writer Officer${S} đã nhắc đến Anh/Chị trong một ghi chú`);
    expect(mail.text).to.include('could you call the referee');
    expect(mail.text).to.include(`${t.baseUrl}/cases/${c._id}?lang=vi#notes`); // in the e-mail's language (server/mail/render.ts)

    // Her home page: newest first, case reference, who, excerpt, link.
    const later = await createCase({ applicant, call, stage: 'screening' });
    await writeNote(a, later, `@${hoa.email} second one`);
    const h = await signedIn(t, hoa);
    const home = await page(h, '/');
    expect(home.status).to.equal(200);
    const body = text(home.text);
    expect(body).to.include('Ghi chú nhắc đến Anh/Chị');
    expect(body).to.include(`Writer Officer${S} đã nhắc đến Anh/Chị`);
    expect(body).to.include('could you call the referee');
    expect(home.text).to.include(`href="/cases/${c._id}#notes"`);
    expect(body.indexOf(later.reference)).to.be.greaterThan(-1);
    expect(body.indexOf(later.reference), 'newest first').to.be.lessThan(body.indexOf(c.reference));
    // The writer has no mention of their own; an applicant's home page has no such list.
    expect(text((await page(a, '/')).text)).to.include('No one has mentioned you in a note yet.');
  });

  it('finds a colleague by one word of the name or by e-mail, once, and never the writer', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, writer);
    const flash = await writeNote(a, c, `@Hoa${S} and again @${hoa.email.toUpperCase()}, cc @Writer Officer${S}`);
    expect(flash).to.include(`Notified: Trần Thị Hoa${S}.`);
    expect(await mentionItems(c)).to.have.length(1);
  });

  it('notifies nobody without access to the case, nor an ambiguous name, and tells the writer why (English)', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, writer);
    const flash = await writeNote(a, c, `@Elsewhere Officer${S} @Director Quang${S} @Nam${S} please look`);
    expect(flash).to.include('The note was added. Not notified:');
    // Another institute's officer is no one the writer could list: only what was typed comes back.
    expect(flash).to.include('@Elsewhere (no colleague by that name can see this case)');
    expect(flash).to.not.include(`Elsewhere Officer${S}`);
    // A leader of the writer's institute sees a case only once it is before the panel (server/policies/case.ts).
    expect(flash).to.include(`Director Quang${S} (cannot see this case)`);
    expect(flash).to.include(`@Nam${S} (fits several colleagues: `);
    expect(flash).to.include(`Lê Văn Nam${S}`);
    expect(flash).to.include(`Phạm Văn Nam${S}`);
    expect(await mentionItems(c)).to.have.length(0);
    expect(await Mention.countDocuments({ case: c._id })).to.equal(0);
    // The note itself is kept.
    expect((await Case.findById(c._id).lean())!.notes.at(-1)!.text).to.include('please look');
    // Before the panel the leader is notified like anyone else, and an officer named with others.
    const atPanel = await createCase({ applicant, call, stage: 'evaluation' });
    const second = await writeNote(a, atPanel, `@Director Quang${S} @Elsewhere Officer${S}`);
    expect(second).to.include(`Notified: Director Quang${S}. Not notified: @Elsewhere (no colleague by that name can see this case).`);
    await deliver(t, atPanel._id);
    const mail = await t.smtp.waitForTo(leader.email, /mentioned you/);
    expect(mail.subject).to.equal(`[${atPanel.reference}] Writer Officer${S} mentioned you in a note`);
    expect(t.smtp.messages.some((m) => m.to.includes(elsewhere.email))).to.equal(false);
  });

  it('answers another institute\'s staff exactly like a name or address that matches no one, so they cannot be probed', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, writer);
    const ghostEmail = `ghost-${S.toLowerCase()}@example.test`;
    const probe = await writeNote(a, c, `@${elsewhere.email} @Elsewhere Officer${S}`);
    const nobody = await writeNote(a, c, `@${ghostEmail} @Ghostly Person${S}`);
    expect(probe).to.equal(
      'The note was added. Not notified: ' +
        `@${elsewhere.email} (no colleague by that name can see this case); @Elsewhere (no colleague by that name can see this case).`,
    );
    // The same answer, word for word, once what was typed is set aside.
    expect(probe.replace(elsewhere.email, 'X').replace('@Elsewhere', '@Y')).to.equal(nobody.replace(ghostEmail, 'X').replace('@Ghostly', '@Y'));
    expect(await mentionItems(c)).to.have.length(0);

    // Someone of another institute who may see the case (on its call's panel, once before the panel) is notified.
    const panelist = await createUser({ role: 'leader', name: `Panel Member${S}`, panelCalls: [call._id], locale: 'en' });
    const before = await writeNote(a, c, `@${panelist.email}`);
    expect(before).to.equal(`The note was added. Not notified: @${panelist.email} (no colleague by that name can see this case).`);
    const atPanel = await createCase({ applicant, call, stage: 'evaluation' });
    // The writer is told the lines reach someone outside the institute, who reads no note on the case page.
    expect(await writeNote(a, atPanel, `@Panel Member${S} please score`)).to.equal(
      `The note was added. Notified: Panel Member${S} (of another institute, on the panel: receives these lines by e-mail, but not the case's notes).`,
    );

    // An administrator may list every account, so is told who cannot see the case.
    const admin = await signedIn(t, await createUser({ role: 'admin', locale: 'en' }));
    expect(await writeNote(admin, c, `@Elsewhere Officer${S}`)).to.include(`Not notified: Elsewhere Officer${S} (cannot see this case)`);
  });

  it('tells a Vietnamese writer in Vietnamese', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, writerVi);
    const flash = await writeNote(a, c, `Nhờ @Nam${S} và @Elsewhere Officer${S} xem giúp`);
    expect(flash).to.include('Đã thêm ghi chú. Chưa báo được cho:');
    expect(flash).to.include('@Elsewhere (không có đồng nghiệp nào có tên này được xem hồ sơ này)');
    expect(flash).to.not.include(`Elsewhere Officer${S}`);
    expect(flash).to.include(`@Nam${S} (trùng với nhiều đồng nghiệp: `);
    expect(await mentionItems(c)).to.have.length(0);
  });

  it('treats hostile text as text', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, writer);
    const hostile = `@$where @__proto__ @constructor @toString @hasOwnProperty @.* @(a+)+$ ${'@'.repeat(200)} ${'@x'.repeat(1000)}`.slice(0, 4990);
    const flash = await writeNote(a, c, hostile);
    expect(flash, /class="flash[^"]*"[^>]*>[\s\S]{0,300}/.exec(flash)?.[0]).to.include('The note was added.');
    expect(await mentionItems(c)).to.have.length(0);
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.notes.at(-1)!.text).to.equal(hostile);
    // The parser alone, on names that look like keys of an object.
    const index = indexColleagues([{ id: '1', name: '__proto__', email: 'p@example.test' }, { id: '2', name: 'constructor', email: 'c@example.test' }]);
    expect(resolveMentions('@__proto__ @constructor @valueOf', index).map((r) => (r.kind === 'one' ? r.colleague.id : r.label))).to.deep.equal(['1', '2', '@valueOf']);
    expect(resolveMentions('@toString', indexColleagues([]))).to.deep.equal([{ kind: 'none', label: '@toString', index: 0 }]);
    // Only what was written right after the `@` is a mention.
    expect(resolveMentions('at @ 5pm, @$where, a@b.vn', indexColleagues([]))).to.deep.equal([]);
  });
});
