// Presenters and form helpers of the accounts and administration pages, without HTTP: what a page
// is given (translated errors, account statuses, page links, the call form's row errors) and how a
// posted form is read back.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { z } from 'zod';
import { systemContext } from '../../server/context.ts';
import type { UserDoc } from '../../models/user.ts';
import { keptValues, parseForm, translateErrors } from '../../server/http/forms.ts';
import { translator } from '../../server/i18n/index.ts';
import { landingPath, lockedMessage, presentAccountsPage } from '../../server/accounts/present.ts';
import { presentAccountDecision, presentCallForm, presentUsers } from '../../server/admin/present.ts';
import type { DecisionPage } from '../../server/accounts/decisions.ts';
import { emptyCallValues, validateCall } from '../../server/admin/call-form.ts';
import { isCalendarDay } from '../../server/support/calendar-day.ts';
import { INVALID, decisionReason, email } from '../../server/accounts/forms.ts';

const NOW = new Date('2026-05-04T03:00:00Z');

describe('accounts: presenters and forms', () => {
  it('translates form errors into the page language and leaves none when there are none', () => {
    const en = systemContext({ now: NOW, locale: 'en' });
    const page = presentAccountsPage(en, 'signin', { values: { email: 'a@example.org' }, errors: { email: 'accounts.errors.email' }, message: lockedMessage(61) });
    expect(page.title).to.equal(translator('en')('accounts.signin.title'));
    expect(page.errors!.email).to.equal(translator('en')('accounts.errors.email'));
    expect(page.message).to.equal(translator('en')('accounts.signin.locked', { count: 2 }));
    expect(page.values).to.deep.equal({ email: 'a@example.org' });
    const vi = presentAccountsPage(systemContext({ now: NOW, locale: 'vi' }), 'register', { errors: {} });
    expect(vi.errors).to.equal(undefined);
    expect(vi.title).to.equal(translator('vi')('accounts.register.title'));
  });

  it('says an account’s pause in the page language, with the way in that still works (a reset e-mail)', () => {
    const vi = presentAccountsPage(systemContext({ now: NOW, locale: 'vi' }), 'signin', { values: {}, message: lockedMessage(3540, 'account') });
    expect(vi.message).to.equal(translator('vi')('accounts.signin.accountPaused', { count: 59 }));
    expect(vi.message).to.include('59 phút');
    expect(vi.messageLink).to.deep.equal({ href: '/password/forgot', text: 'Đặt lại mật khẩu qua e-mail' });
    const address = presentAccountsPage(systemContext({ now: NOW, locale: 'en' }), 'signin', { message: lockedMessage(60, 'address') });
    expect(address.message).to.equal(translator('en')('accounts.signin.locked', { count: 1 }));
    expect(address.message).to.include('about 1 minute.');
    expect(address.messageLink).to.equal(undefined);
  });

  it('sends each role to its own landing page', () => {
    expect(['applicant', 'hr_officer', 'leader', 'admin', 'unknown'].map((role) => landingPath({ role }))).to.deep.equal(['/applications', '/', '/', '/admin', '/']);
  });

  it('reads a form with message keys, falls back for zod’s own messages, and never keeps passwords', () => {
    const schema = z.object({ email, age: z.coerce.number().int() });
    const bad = parseForm(schema, { email: 'not an address', age: 'x' }, INVALID);
    expect(bad).to.deep.equal({ ok: false, errors: { email: 'accounts.errors.email', age: INVALID } });
    const good = parseForm(schema, { email: '  Someone@Example.ORG ', age: '41' }, INVALID);
    expect(good).to.deep.equal({ ok: true, data: { email: 'someone@example.org', age: 41 } });
    expect(keptValues({ email: 'x@y.z', password: 'secret', newPassword: 'secret', _csrf: 't', n: 3, name: 'An' })).to.deep.equal({ email: 'x@y.z', name: 'An' });
    expect(translateErrors(translator('en'), undefined)).to.equal(undefined);
  });

  it('lists accounts with their status, marks the administrator’s own row, and links the pages with the filters', () => {
    const me = { _id: new Types.ObjectId(), role: 'admin', name: 'Admin' } as unknown as UserDoc;
    const ctx = systemContext({ now: NOW, locale: 'en', actor: me });
    const base = { email: 'x@example.org', name: 'X', role: 'hr_officer', isHrLead: false };
    const users = [
      { ...base, _id: me._id, passwordHash: 'h', emailVerifiedAt: NOW },
      { ...base, _id: new Types.ObjectId(), passwordHash: 'h', emailVerifiedAt: NOW, disabledAt: NOW },
      { ...base, _id: new Types.ObjectId() },
      { ...base, _id: new Types.ObjectId(), passwordHash: 'h', totp: { enabledAt: NOW } },
    ];
    const page = presentUsers(ctx, { listing: { users, total: 120, page: 2, pages: 3 } as never, filters: { role: 'hr_officer', q: 'nguyễn' }, institutes: [] });
    expect(page.rows.map((r) => r.status)).to.deep.equal(['active', 'disabled', 'invited', 'unverified']);
    expect(page.rows.map((r) => r.isSelf)).to.deep.equal([true, false, false, false]);
    expect(page.rows.map((r) => r.totp)).to.deep.equal([false, false, false, true]);
    expect(page.prevUrl).to.equal('/admin/users?role=hr_officer&q=nguy%E1%BB%85n&page=1');
    expect(page.nextUrl).to.equal('/admin/users?role=hr_officer&q=nguy%E1%BB%85n&page=3');
  });

  it('refuses call dates that are not on the calendar, or out of any sensible year, beside the field', () => {
    for (const [opensAt, closesAt] of [['2025-13-45', '2026-06-01'], ['2026-05-04', '9999-99-99'], ['2030-02-30', '2030-06-01'], ['0000-01-01', '2026-06-01']]) {
      const values = { ...emptyCallValues(NOW), opensAt, closesAt };
      const { data, errors } = validateCall(values, []);
      expect(data, `${opensAt} ${closesAt}`).to.equal(undefined);
      expect(errors.opensAt ?? errors.closesAt, `${opensAt} ${closesAt}`).to.equal('admin.errors.date');
    }
    expect(isCalendarDay('2028-02-29')).to.equal(true);
    expect(isCalendarDay('2027-02-29')).to.equal(false);
  });

  it('shows the call form’s errors beside their rows, in the page language, keeping what was typed', () => {
    const values = emptyCallValues(NOW);
    expect(values.opensAt).to.equal('2026-05-04');
    values.scorecard = [{ key: 'Bad Key', labelVi: 'X', labelEn: 'X', weight: '30' }];
    const { data, errors } = validateCall(values, []);
    expect(data).to.equal(undefined);
    expect(errors.sc_key_0).to.equal('admin.errors.key');
    const page = presentCallForm(systemContext({ now: NOW, locale: 'en' }), { values, errors, institutes: [], defaultMb: 20 });
    const t = translator('en');
    expect(page.values.scorecard[0]).to.include({ key: 'Bad Key', error: t('admin.errors.key') });
    expect(page.errors!.institute).to.equal(t('admin.errors.required'));
    expect(page.action).to.equal('/admin/calls/new');
    expect(page.scorecardRows).to.equal(1);
  });

  it('words a decision’s page in the page language: what it will do, or that it is already so; the form’s version kept; the reason read by the role change’s rules', () => {
    const subject = { id: 'a'.repeat(24), name: 'Lê Văn Tâm', email: 'tam@example.org', locale: 'en', role: 'hr_officer', invited: false, seen: 1_700_000_000_000 };
    const page: DecisionPage = { decision: 'disable', subject, effects: { casesToQueue: 1, calendarFeedEnds: false }, already: false };
    const contact = { email: 'admin@example.org', name: 'Admin' };
    const vi = presentAccountDecision(systemContext({ now: NOW, locale: 'vi' }), { page, contact, values: { reason: 'Lý do đủ dài để ghi lại.' } });
    const t = translator('vi');
    expect(vi.title).to.equal(t('accounts.disable.title'));
    expect(vi.action).to.equal(`/admin/users/${subject.id}/disable`);
    expect(vi.effects.map((e) => e.id)).to.deep.equal(['sessions-end', 'cases-to-queue', 'links-revoked', 'mail-told', 'audited']);
    expect(vi.effects[1]!.text).to.equal(t('accounts.disable.casesToQueue', { count: 1, name: 'Lê Văn Tâm' }));
    expect(vi.effects[3]!.text).to.include('bằng tiếng Anh').and.include('Admin, admin@example.org');
    expect(vi.values).to.deep.equal({ reason: 'Lý do đủ dài để ghi lại.', seen: String(subject.seen) });
    expect(vi.alreadyText).to.equal(undefined);
    expect(vi.danger).to.equal(true);

    const done = presentAccountDecision(systemContext({ now: NOW, locale: 'en' }), { page: { ...page, subject: { ...subject, disabledAt: NOW }, already: true }, contact, errors: { _form: 'accounts.disable.already' } });
    expect(done.effects).to.deep.equal([]);
    expect(done.alreadyText).to.match(/^The account of Lê Văn Tâm is already disabled \(since .*2026.*\): there is nothing to confirm\.$/);
    expect(done.formErrorsText).to.equal(translator('en')('accounts.disable.already'));
    const enable = presentAccountDecision(systemContext({ now: NOW, locale: 'en' }), { page: { ...page, decision: 'enable', subject: { ...subject, invited: true } }, contact: { email: 'x@example.org' } });
    expect(enable.action).to.equal(`/admin/users/${subject.id}/enable`);
    expect(enable.effects[0]).to.deep.equal({ id: 'can-sign-in', text: translator('en')('accounts.enable.newInvitation', { name: 'Lê Văn Tâm' }) });
    expect(enable.danger).to.equal(false);

    const reason = z.object({ reason: decisionReason('accounts.decision.errors') });
    expect(parseForm(reason, { reason: '  ' })).to.deep.equal({ ok: false, errors: { reason: 'accounts.decision.errors.reasonRequired' } });
    expect(parseForm(reason, { reason: '\u200b'.repeat(20) + 'short' })).to.deep.equal({ ok: false, errors: { reason: 'accounts.decision.errors.reasonTooShort' } });
    expect(parseForm(reason, { reason: 'x'.repeat(2001) })).to.deep.equal({ ok: false, errors: { reason: 'accounts.decision.errors.reasonTooLong|{"max":2000}' } });
    expect(parseForm(reason, { reason: '  Tenletters  ' })).to.deep.equal({ ok: true, data: { reason: 'Tenletters' } });
  });
});
