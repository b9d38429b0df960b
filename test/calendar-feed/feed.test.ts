// The private calendar feed (issue 14): made from the account page (POST + CSRF, audit event), shown
// once, stored only as a hash; the feed parsed by an iCalendar parser (ical.js) has the expected
// events with stable UIDs, follows a change on the next fetch, answers 304 to its ETag, leaves out
// what the owner may not see, and answers 404 once revoked, remade, or for a wrong token; and once
// its owner's password is changed or reset, or an administrator disables the account (the role
// change is in test/accounts/role-change.test.ts).
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import ICAL from 'ical.js';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser, signIn, TEST_PASSWORD } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { agent, csrfFrom, submitForm } from '../support/http.ts';
import { linkIn } from '../support/smtp.ts';
import { signedIn, page, post, text } from '../applications/support.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { Agent } from '../support/http.ts';
import { decide } from '../accounts/helpers.ts';

interface ParsedEvent {
  uid: string;
  summary: string;
  start: string;
  isDate: boolean;
  url: string;
  stamp: Date;
}

function parseFeed(body: string): ParsedEvent[] {
  const cal = new ICAL.Component(ICAL.parse(body));
  expect(cal.name).to.equal('vcalendar');
  expect(cal.getFirstPropertyValue('version')).to.equal('2.0');
  expect(cal.getFirstPropertyValue('prodid')).to.be.a('string');
  return cal.getAllSubcomponents('vevent').map((v) => {
    const e = new ICAL.Event(v);
    return {
      uid: e.uid,
      summary: e.summary,
      start: e.startDate.toString(),
      isDate: e.startDate.isDate,
      url: String(v.getFirstPropertyValue('url')),
      stamp: (v.getFirstPropertyValue('dtstamp') as ICAL.Time).toJSDate(),
    };
  });
}

/** Makes the feed from the settings page and returns its path (read off the page shown once). */
async function makeFeed(a: Agent): Promise<{ path: string; html: string }> {
  const settings = await page(a, '/account/calendar');
  expect(settings.status).to.equal(200);
  const res = await post(a, settings.text, '/account/calendar', {});
  expect(res.status, res.text.slice(0, 300)).to.equal(200);
  expect(res.headers['cache-control']).to.include('no-store');
  const m = /value="https?:\/\/[^"]+(\/calendar\/[A-Za-z0-9_-]{43}\.ics)"/.exec(res.text);
  expect(m, 'the feed URL on the page').to.not.equal(null);
  return { path: m![1]!, html: res.text };
}

describe('calendar feed', () => {
  let t: TestApp;
  let hr: UserDoc;
  let leader: UserDoc;
  let screening: CaseDoc;
  let offer: CaseDoc;
  let asked: CaseDoc;
  let elsewhere: CaseDoc;
  let arrived: CaseDoc;
  let arrivedEarly: CaseDoc;
  const day = (s: string) => new Date(`${s}T03:00:00.000Z`); // 10:00 in Vietnam

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    const otherInstitute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Feed Officer', locale: 'en' });
    leader = await createUser({ role: 'leader', institute, name: 'Feed Leader', locale: 'vi' });
    const applicant = await createUser({ role: 'applicant' });
    const call = await createCall({ institute, checklist: [] });
    const otherCall = await createCall({ institute: otherInstitute, checklist: [] });
    screening = await createCase({ applicant, call, stage: 'screening', stageDueAt: day('2027-01-12') });
    asked = await createCase({
      applicant,
      call,
      stage: 'awaiting_applicant',
      stageDueAt: day('2027-01-20'),
      infoRequest: { items: ['A scan of the degree'], dueAt: day('2027-01-19'), requestedAt: day('2027-01-05'), requestedBy: hr._id },
    });
    offer = await createCase({
      applicant,
      call,
      stage: 'offer',
      profile: { fullName: 'Secret Name', plannedArrival: day('2027-04-01') },
      supportTracks: [
        { kind: 'work_permit', status: 'preparing', dueAt: day('2027-02-03') },
        { kind: 'visa', status: 'approved', dueAt: day('2027-02-10') },
        { kind: 'housing', status: 'not_needed' },
      ],
    });
    // Arrived: the stage's own deadline stays, the planned arrival is history (walk finding #12).
    arrived = await createCase({ applicant, call, stage: 'arrived', stageDueAt: day('2027-01-18'), arrivedAt: day('2026-12-05'), profile: { plannedArrival: day('2027-03-01') } });
    // Arrival recorded while the case still waits on the stage change (arrivedAt alone is enough).
    arrivedEarly = await createCase({ applicant, call, stage: 'onboarding', arrivedAt: day('2026-12-04'), profile: { plannedArrival: day('2027-03-02') } });
    elsewhere = await createCase({ applicant, call: otherCall, stage: 'screening', stageDueAt: day('2027-01-13') });
    await createCase({ applicant, call, stage: 'rejected', stageDueAt: day('2027-01-14') });
  });
  after(async () => {
    await t?.close();
  });

  it('is made from the account page, shown once, kept only as a hash, audited, and lists the deadlines of the officer’s cases', async () => {
    const a = await signedIn(t, hr);
    const account = await page(a, '/account');
    expect(account.text).to.include('href="/account/calendar"');
    const { path, html } = await makeFeed(a);
    expect(html).to.include('data-copy-feed');
    const token = path.slice('/calendar/'.length, -'.ics'.length);
    const stored = (await User.findById(hr._id).lean())!;
    expect(stored.calendarFeed?.tokenHash).to.equal(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored)).not.to.include(token);
    expect(await AuditEvent.countDocuments({ actor: hr._id, action: 'calendar_feed.create' })).to.equal(1);
    // Shown once: the settings page does not show it again.
    expect((await page(a, '/account/calendar')).text).not.to.include(token);

    // Fetched without a session, as a calendar app does.
    const res = await request(t.app).get(path);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/calendar/);
    expect(res.headers['cache-control']).to.include('no-cache');
    expect(res.headers.etag).to.match(/^"/);
    const events = parseFeed(res.text);
    const byUid = new Map(events.map((e) => [e.uid, e]));
    const uid = (c: CaseDoc, ...rest: string[]) => `${['case', String(c._id), ...rest].join('.')}@talent.local`;
    const expected: Array<[string, string, string]> = [
      [uid(screening, 'stage', 'screening'), '2027-01-12', `${screening.reference} · Screening: stage deadline`],
      [uid(asked, 'stage', 'awaiting_applicant'), '2027-01-20', `${asked.reference} · `],
      [uid(asked, 'info', String(day('2027-01-05').getTime())), '2027-01-19', `${asked.reference} · Information due from the applicant`],
      [uid(offer, 'support', 'work_permit'), '2027-02-03', `${offer.reference} · Work permit — Preparing the file: deadline`],
      [uid(offer, 'arrival'), '2027-04-01', `${offer.reference} · Planned arrival`],
    ];
    for (const [id, start, summary] of expected) {
      const e = byUid.get(id);
      expect(e, `event ${id} in ${[...byUid.keys()].join(', ')}`).to.not.equal(undefined);
      expect(e!.start, id).to.equal(start);
      expect(e!.isDate, id).to.equal(true);
      expect(e!.summary, id).to.include(summary);
      expect(e!.stamp.getTime(), id).to.be.greaterThan(0);
    }
    expect(byUid.get(uid(screening, 'stage', 'screening'))!.url).to.equal(`${t.baseUrl}/cases/${screening._id}`);
    // Only the deadlines above: an approved procedure, another institute's case and an ended case are not in it.
    expect(events.filter((e) => e.uid.includes(String(offer._id))).map((e) => e.uid).sort()).to.deep.equal([uid(offer, 'arrival'), uid(offer, 'support', 'work_permit')].sort());
    expect(res.text).not.to.include(String(elsewhere._id));
    // Once arrived, no "Planned arrival": the arrived case keeps only its stage deadline.
    expect(events.filter((e) => e.uid.includes(String(arrived._id))).map((e) => e.uid)).to.deep.equal([uid(arrived, 'stage', 'arrived')]);
    expect(events.filter((e) => e.uid.includes(String(arrivedEarly._id)))).to.deep.equal([]);
    expect(events.filter((e) => e.uid.endsWith('.arrival@talent.local')).map((e) => e.uid)).to.deep.equal([uid(offer, 'arrival')]);
    expect(res.text).not.to.include(elsewhere.reference);
    expect(res.text).not.to.include('Secret Name');

    // Unchanged: the ETag answers 304 with no body.
    const again = await request(t.app).get(path).set('If-None-Match', res.headers.etag!);
    expect(again.status).to.equal(304);

    // A change shows on the next fetch, in the same event (same UID, new date, new DTSTAMP).
    await Case.updateOne({ _id: screening._id }, { $set: { stageDueAt: day('2027-01-15') } });
    const changed = await request(t.app).get(path).set('If-None-Match', res.headers.etag!);
    expect(changed.status).to.equal(200);
    expect(changed.headers.etag).to.not.equal(res.headers.etag);
    const moved = parseFeed(changed.text).filter((e) => e.uid === uid(screening, 'stage', 'screening'));
    expect(moved).to.have.length(1);
    expect(moved[0]!.start).to.equal('2027-01-15');
    expect(moved[0]!.stamp.getTime()).to.be.at.least(byUid.get(uid(screening, 'stage', 'screening'))!.stamp.getTime());
  });

  it('gives a leader only the cases before the panel, in the leader’s language', async () => {
    const a = await signedIn(t, leader);
    const { path } = await makeFeed(a);
    const events = parseFeed((await request(t.app).get(path)).text);
    const cases = new Set(events.map((e) => e.uid.split('.')[1]));
    // The arrived case is there with its stage deadline only (no planned arrival).
    expect([...cases].sort()).to.deep.equal([String(offer._id), String(arrived._id)].sort());
    expect(events.filter((e) => e.uid.endsWith('.arrival@talent.local')).map((e) => e.uid.split('.')[1])).to.deep.equal([String(offer._id)]);
    expect(events.find((e) => e.uid.endsWith('arrival@talent.local'))!.summary).to.include('Ngày dự kiến đến');
  });

  it('answers 404 to a wrong, malformed, remade or revoked token', async () => {
    const a = await signedIn(t, hr);
    const first = (await makeFeed(a)).path;
    expect((await request(t.app).get(first)).status).to.equal(200);
    // Remade: the old address stops, the new one works.
    const second = (await makeFeed(a)).path;
    expect((await request(t.app).get(first)).status).to.equal(404);
    expect((await request(t.app).get(second)).status).to.equal(200);
    expect(await AuditEvent.countDocuments({ actor: hr._id, action: 'calendar_feed.regenerate' })).to.be.at.least(1);
    // Wrong and malformed tokens: 404, never a sign-in page.
    const wrong = `/calendar/${'A'.repeat(43)}.ics`;
    expect((await request(t.app).get(wrong)).status).to.equal(404);
    expect((await request(t.app).get('/calendar/short.ics')).status).to.equal(404);
    expect((await request(t.app).get(`/calendar/${'%24where'}.ics`)).status).to.equal(404);
    expect((await request(t.app).get(`/calendar/${'x'.repeat(300)}.ics`)).status).to.equal(404);
    // Revoked.
    const settings = await page(a, '/account/calendar');
    const revoked = await post(a, settings.text, '/account/calendar/revoke', {});
    expect(revoked.status).to.equal(303);
    expect((await request(t.app).get(second)).status).to.equal(404);
    expect((await User.findById(hr._id).lean())!.calendarFeed?.tokenHash).to.equal(undefined);
    expect(await AuditEvent.countDocuments({ actor: hr._id, action: 'calendar_feed.revoke' })).to.equal(1);
    expect(text((await page(a, '/account/calendar')).text)).to.include('You have no calendar address.');
    // A disabled account's feed stops too.
    const third = (await makeFeed(a)).path;
    await User.updateOne({ _id: hr._id }, { $set: { disabledAt: new Date() } });
    expect((await request(t.app).get(third)).status).to.equal(404);
    await User.updateOne({ _id: hr._id }, { $unset: { disabledAt: 1 } });
  });

  it('refuses a POST without the CSRF token, and an administrator (no caseload), in Vietnamese and English', async () => {
    const a = await signedIn(t, await createUser({ role: 'hr_officer', locale: 'en' }));
    expect((await a.post('/account/calendar').type('form').set('Accept', 'text/html').send({})).status).to.equal(403);
    for (const [locale, words] of [
      ['en', 'Only HR officers and leaders have a calendar feed.'],
      ['vi', 'Chỉ cán bộ nhân sự và lãnh đạo có lịch hạn xử lý.'],
    ] as const) {
      const admin = await signedIn(t, await createUser({ role: 'admin', locale }));
      const res = await page(admin, '/account/calendar');
      expect(res.status, locale).to.equal(403);
      expect(text(res.text), locale).to.include(words);
      const account = await page(admin, '/account');
      expect(account.text).not.to.include('href="/account/calendar"');
      const token = csrfFrom(account.text);
      const posted = await admin.post('/account/calendar').type('form').set('Accept', 'text/html').send({ _csrf: token });
      expect(posted.status, locale).to.equal(403);
    }
  });

  describe('ends with what voids the trust it was given on, in the same write', () => {
    const NEW_PASSWORD = 'lantern meadow quartz 58';
    const feedHash = async (u: { _id: unknown }) => (await User.findById(u._id).lean())!.calendarFeed?.tokenHash;

    it('when the owner changes their password: 404 from then on, the page says to make a new one, and the settings show none', async () => {
      const owner = await createUser({ role: 'hr_officer', locale: 'en' });
      const a = await signedIn(t, owner);
      const { path } = await makeFeed(a);
      expect((await request(t.app).get(path)).status).to.equal(200);

      const changed = await submitForm(a, '/account', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }, '/account/password');
      expect(changed.status, changed.text.slice(0, 300)).to.equal(303);
      expect((await request(t.app).get(path)).status).to.equal(404);
      expect(await feedHash(owner)).to.equal(undefined);
      const audit = (await AuditEvent.findOne({ action: 'user.password_changed', targetId: String(owner._id) }).lean())!;
      expect(audit.summary).to.deep.equal({ calendarFeedEnded: true });

      const next = await page(a, String(changed.headers.location));
      expect(text(next.text)).to.include('your calendar address no longer works: make a new one if you use it.');
      expect(next.text).to.include('<a href="/account/calendar" id="flash-link">Make a new calendar address</a>');
      const settings = await page(a, '/account/calendar');
      expect(settings.text).to.include('data-feed-state="none"').and.not.include('data-feed-state="active"');
      expect(text(settings.text)).to.include('stops working when your password is changed or reset');
    });

    it('when the password is reset by e-mail: 404 from then on, and the sign-in page says so (here in Vietnamese)', async () => {
      const owner = await createUser({ role: 'leader', locale: 'vi' });
      const { path } = await makeFeed(await signedIn(t, owner));
      await submitForm(agent(t.app), '/password/forgot', { email: owner.email });
      const mail = await t.smtp.waitForTo(owner.email, /./);
      const resetPath = new URL(linkIn(mail.text, '/password/reset/')).pathname;
      const b = agent(t.app);
      const done = await submitForm(b, resetPath, { password: NEW_PASSWORD });
      expect(done.status, done.text.slice(0, 300)).to.equal(303);
      expect((await request(t.app).get(path)).status).to.equal(404);
      expect(await feedHash(owner)).to.equal(undefined);
      const audit = (await AuditEvent.findOne({ action: 'user.password_reset', targetId: String(owner._id) }).lean())!;
      expect(audit.summary).to.deep.equal({ calendarFeedEnded: true });
      const signinPage = await b.get('/signin').set('Accept', 'text/html').set('Accept-Language', 'vi');
      expect(text(signinPage.text)).to.include('Địa chỉ lịch của Anh/Chị không còn hoạt động');

      // Signed in with the new password, the settings show no feed.
      const again = agent(t.app);
      await signIn(again, owner, NEW_PASSWORD);
      expect((await page(again, '/account/calendar')).text).to.include('data-feed-state="none"');
    });

    it('when an administrator disables the account, and stays ended when it is enabled again', async () => {
      const owner = await createUser({ role: 'hr_officer', locale: 'en' });
      const { path } = await makeFeed(await signedIn(t, owner));
      const admin = await signedIn(t, await createUser({ role: 'admin', locale: 'en' }));
      const disabled = await decide(admin, owner, 'disable', 'Left the institute for another post.');
      expect(disabled.status, disabled.text.slice(0, 300)).to.equal(303);
      expect((await request(t.app).get(path)).status).to.equal(404);
      expect(await feedHash(owner)).to.equal(undefined);
      const audit = (await AuditEvent.findOne({ action: 'user.disabled', targetId: String(owner._id) }).lean())!;
      expect(audit.summary).to.deep.equal({ reason: 'Left the institute for another post.', casesToQueue: 0, calendarFeedEnded: true });

      const enabled = await decide(admin, owner, 'enable', 'Back at the institute after a leave.');
      expect(enabled.status).to.equal(303);
      expect((await request(t.app).get(path)).status, 'enabling does not bring the old address back').to.equal(404);
      const back = await signedIn(t, owner);
      expect((await page(back, '/account/calendar')).text).to.include('data-feed-state="none"');
    });
  });
});
