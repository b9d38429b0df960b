// Every day shown to a person in English is written one way, "5 Dec 2026" (with the time: "5 Dec
// 2026, 14:05 (UTC+7)"), through the shared helpers (server/views/time.ts): the main pages (case,
// queue, dashboard, account, the applicant's application, the procedure, holidays, mail log) and
// every e-mail. ISO days stay only where machines read them: <time datetime>, date inputs, CSV, ICS.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Holiday } from '../../models/holiday.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';
import { seedHolidays, vnStartOfDay } from '../../server/calendar/index.ts';
import { renderEmail } from '../../server/mail/render.ts';
import { caseEmail, dispatchOnce } from '../../server/outbox/index.ts';
import { MailLog } from '../../models/mail-log.ts';
import { Case } from '../../models/case.ts';
import { builtinParts, listTemplateNames, sampleData } from '../../server/mail/templates.ts';
import type { Agent } from '../support/http.ts';
import { signedIn, page, text } from '../applications/support.ts';

const MONTH = 'Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?';
/** Anything a reader would take for a day: 2026-12-05, 5/12/2026, 05 Dec 2026, 5 December 2026, December 5, 2026. */
const DAY_LIKE = new RegExp(`\\b\\d{4}-\\d{1,2}-\\d{1,2}\\b|\\b\\d{1,2}/\\d{1,2}/\\d{2,4}\\b|\\b\\d{1,2}\\.? (?:${MONTH})\\.?,? \\d{4}\\b|\\b(?:${MONTH})\\.? \\d{1,2}(?:st|nd|rd|th)?,? \\d{4}\\b`, 'g');
/** The one English form. */
const ONE_FORM = /^[1-9]\d? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec) \d{4}$/;

/** What a reader sees: no tags (their attributes, <time datetime> and input values, are for machines), no scripts. */
function visibleText(html: string): string {
  return text(html.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/g, ' ').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}
function daysIn(html: string): string[] {
  return visibleText(html).match(DAY_LIKE) ?? [];
}

/** 10:00 in Vietnam on that day. */
const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);

describe('platform: one English form for a day on pages and in e-mails', function () {
  this.timeout(60_000);
  let t: TestApp;
  const clock = at('2026-10-05');
  let hr: UserDoc;
  let leader: UserDoc;
  let admin: UserDoc;
  let applicant: UserDoc;
  let c: CaseDoc;
  let addedHoliday = false;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Date Officer', locale: 'en' });
    leader = await createUser({ role: 'leader', institute, locale: 'en' });
    admin = await createUser({ role: 'admin', locale: 'en' });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Schmidt' });
    const call = await createCall({ institute, checklist: [{ type: 'passport', phase: 'application' }] });
    c = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hr,
      stageEnteredAt: at('2026-09-20'),
      stageDueAt: at('2026-10-20'),
      nextDueAt: at('2026-10-20'),
      submittedAt: at('2026-06-02'),
      profile: { fullName: 'Anna Schmidt', plannedArrival: at('2027-06-01'), dateOfBirth: new Date('1985-05-20') },
      supportTracks: [
        { kind: 'work_permit', status: 'filed', filedAt: at('2026-10-01'), dueAt: at('2026-10-15'), updatedAt: at('2026-10-01') },
        { kind: 'visa', status: 'requested', dueAt: at('2026-11-02'), updatedAt: at('2026-10-01') },
        { kind: 'residence_card', status: 'preparing', cardStartsAt: at('2027-06-01'), cardEndsAt: at('2028-05-31'), updatedAt: at('2026-10-01') },
      ],
      history: [
        { at: at('2026-06-01'), actor: applicant._id, actorRole: 'applicant', action: 'create', to: 'draft' },
        { at: at('2026-06-02'), actor: applicant._id, actorRole: 'applicant', action: 'submit', from: 'draft', to: 'submitted' },
        { at: at('2026-09-20'), actor: hr._id, actorRole: 'hr_officer', action: 'accept_offer', from: 'offer', to: 'onboarding' },
      ],
      notes: [{ at: at('2026-09-21'), author: hr._id, text: 'A note' }],
      messages: [{ at: at('2026-09-22'), author: hr._id, fromApplicant: false, text: 'A message' }],
    });
    await CaseDocument.create({ case: c._id, type: 'passport', slot: 0, version: 1, current: true, storage: 'disk', storageKey: 'd'.repeat(32), originalName: 'passport.pdf', mimeType: 'application/pdf', size: 10, sha256: 'e'.repeat(64), uploadedBy: applicant._id, status: 'accepted', issuedAt: at('2020-01-10'), expiresAt: at('2027-12-31') });
    // Only for this file: a day off it adds, not the seed's, is removed after it (later files count working days across it).
    const added = await Holiday.updateOne({ date: '2026-12-31' }, { $setOnInsert: { date: '2026-12-31', kind: 'day_off', name: { vi: 'Ngày thử', en: 'Test day' } } }, { upsert: true });
    addedHoliday = added.upsertedCount > 0;
  });
  after(async () => {
    if (addedHoliday) await Holiday.deleteOne({ date: '2026-12-31', 'name.en': 'Test day' });
    await t?.close();
  });

  const agents = new Map<string, Agent>();
  /** One signed-in agent per user (signing in hashes a password: slow on purpose). */
  async function as(who: UserDoc): Promise<Agent> {
    let a = agents.get(String(who._id));
    if (!a) agents.set(String(who._id), (a = await signedIn(t, who)));
    return a;
  }

  /** Each page's days, and those not in the one form. */
  async function scan(pages: Array<[UserDoc, string]>) {
    const found: Record<string, string[]> = {};
    const wrong: Record<string, string[]> = {};
    for (const [who, url] of pages) {
      const res = await page(await as(who), url);
      expect(res.status, `${url}: ${res.text.slice(0, 300)}`).to.equal(200);
      const days = daysIn(res.text);
      found[url] = days;
      const bad = days.filter((d) => !ONE_FORM.test(d));
      if (bad.length) wrong[`${who.role} ${url}`] = bad;
    }
    return { found, wrong };
  }

  it('writes every day on the English pages one way: "5 Dec 2026" (case, queue, dashboard, account, application, procedure, holidays, calls, mail log, report)', async () => {
    // An e-mail on the case, delivered, for the mail log.
    await Case.updateOne({ _id: c._id }, { $push: { outbox: caseEmail(applicant, 'info_requested', { reference: c.reference, name: applicant.name, items: ['A document'], dueAt: at('2026-12-05'), link: `${t.baseUrl}/applications/${c._id}` }, `dates.${c._id}.info`, clock) } });
    await dispatchOnce(t.ctx, { owner: 'date-forms', caseIds: [c._id] });
    const logged = (await MailLog.findOne({ key: `dates.${c._id}.info` }).lean())!;
    const { found, wrong } = await scan([
      [hr, `/cases/${c._id}`],
      [hr, '/cases'],
      [hr, `/cases/${c._id}/procedures/work_permit`],
      [hr, '/mail-log'],
      [hr, `/mail-log/${logged._id}`],
      [hr, '/account'],
      [hr, '/account/calendar'],
      [leader, '/dashboard?from=2026-01-01&to=2026-12-31'],
      [leader, '/reports/steering?from=2026-01-01&to=2026-12-31'],
      [leader, '/account'],
      [admin, '/admin/holidays?year=2026'],
      [admin, '/admin/calls'],
      [admin, '/admin/users'],
      [admin, '/admin/email-templates/info_requested/en'],
      [applicant, `/applications/${c._id}`],
      [applicant, '/applications'],
      [applicant, '/calls'],
      [applicant, '/account'],
    ]);
    expect(wrong, JSON.stringify(wrong, null, 1)).to.deep.equal({});
    // Not vacuous: the pages do show days (deadlines, documents, the planner, the calendar, the period).
    expect(found[`/cases/${c._id}`]).to.include.members(['20 Oct 2026', '1 Jun 2027', '31 Dec 2027', '20 May 1985']);
    expect(found['/cases']).to.include('15 Oct 2026');
    expect(found['/admin/holidays?year=2026']).to.include.members(['1 Jan 2026', '31 Dec 2026']);
    expect(found['/reports/steering?from=2026-01-01&to=2026-12-31']).to.include.members(['1 Jan 2026', '31 Dec 2026']);
    expect(found[`/mail-log/${logged._id}`]).to.include('5 Dec 2026');
    expect(found[`/applications/${c._id}`]).to.include.members(['1 Oct 2026', '1 Jun 2027']);
  });

  it('keeps ISO days where machines read them: <time datetime>, date inputs, the CSV\'s file name; the CSV\'s period as people read it (walk s36)', async () => {
    const holidays = (await page(await as(admin), '/admin/holidays?year=2026')).text;
    expect(holidays).to.include('<time datetime="2026-12-31">31 Dec 2026</time>');
    const csvRes = await (await as(leader)).get('/reports/steering.csv?from=2026-01-01&to=2026-12-31&lang=en');
    expect(csvRes.text).to.include('Period,1 Jan 2026 – 31 Dec 2026');
    expect(csvRes.headers['content-disposition']).to.include('steering-report-2026-01-01_2026-12-31-en.csv');
    const csvVi = (await (await as(leader)).get('/reports/steering.csv?from=2026-01-01&to=2026-12-31&lang=vi')).text;
    expect(csvVi).to.include('Kỳ báo cáo,1/1/2026 – 31/12/2026');
    const dashboard = (await page(await as(leader), '/dashboard?from=2026-01-01&to=2026-12-31')).text;
    expect(dashboard).to.include('name="from" type="text" value="01/01/2026"');
  });

  it('writes every day in the English e-mails one way', async () => {
    const day = at('2026-12-05');
    // Every variable that holds a day, on 5 December (a one-digit day shows a leading zero).
    const withDays = (v: unknown, name: string): unknown => {
      if (Array.isArray(v)) return v.map((x) => withDays(x, name));
      if (v instanceof Date || /^(from|to|sentOn|expiresOn)$/.test(name)) return day;
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withDays(x, k)]));
      return v;
    };
    const wrong: Record<string, string[]> = {};
    let seen = 0;
    for (const name of listTemplateNames()) {
      const data = withDays(sampleData(name, t.baseUrl), '') as Record<string, unknown>;
      if (name === 'certificate_window') (data.windows as Array<Record<string, unknown>>)[0]!.replaces = { sentOn: day, from: day, to: day };
      const out = await renderEmail(name, 'en', data, { parts: builtinParts(name, 'en') });
      const days = [...(out.subject.match(DAY_LIKE) ?? []), ...(out.text.match(DAY_LIKE) ?? []), ...daysIn(out.html)];
      seen += days.length;
      const bad = days.filter((d) => !ONE_FORM.test(d));
      if (bad.length) wrong[name] = bad;
      if (/\{\{date |\{\{dateTime /.test(builtinParts(name, 'en').text)) expect(days, name).to.include('5 Dec 2026');
    }
    expect(wrong, JSON.stringify(wrong, null, 1)).to.deep.equal({});
    expect(seen).to.be.greaterThan(20);
  });
});
