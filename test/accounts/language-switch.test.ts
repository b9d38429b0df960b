// The language button changes the pages, not the e-mails: signed in, its choice lasts for the
// session (a new sign-in starts in the account's language) and the person is told their e-mails
// stay in the account's language, with the way to change it; the account page says what its
// language setting governs, and saving it moves the e-mails and the pages. Over HTTP, with an
// e-mail received on the real in-process SMTP server after the switch.
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { deliver, text } from '../applications/support.ts';

const pageLang = (html: string) => /<html lang="([a-z]+)"/.exec(html)?.[1];

describe('accounts: the language button changes the pages only', function () {
  this.timeout(60_000);
  let t!: TestApp;
  useTestApp((app) => (t = app));

  async function signedIn(user: UserDoc): Promise<Agent> {
    const a = agent(t.app);
    await signIn(a, user);
    return a;
  }

  async function switchTo(a: Agent, lang: string, next = '/account') {
    const from = await a.get(next).set('Accept', 'text/html');
    const res = await a.post('/lang').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(from.text), lang, next });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(next);
    return a.get(next).set('Accept', 'text/html');
  }

  it('signed in: the pages switch for this session, the account keeps its language (later e-mails in it), and the person is told so', async () => {
    const institute = await createInstitute();
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Văn Bình' });
    const a = await signedIn(applicant);
    expect(pageLang((await a.get('/account').set('Accept', 'text/html')).text)).to.equal('vi');

    const english = await switchTo(a, 'en');
    expect(pageLang(english.text)).to.equal('en');
    expect(text(english.text)).to.include('The pages are now in English for this session. Your e-mails are still written in Vietnamese.');
    expect(english.text).to.include('<a href="/account" id="flash-link">Change the language of your e-mails on your account page</a>');
    expect((await User.findById(applicant._id).lean())!.locale).to.equal('vi');
    // Other pages of the session follow the switch.
    expect(pageLang((await a.get('/applications').set('Accept', 'text/html')).text)).to.equal('en');

    // An e-mail written after the switch is in the account's language.
    const hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const c = await createCase({ applicant, call: await createCall({ institute }), stage: 'screening', assignee: hr });
    const h = await signedIn(hr);
    const casePage = await h.get(`/cases/${c._id}`).set('Accept', 'text/html');
    const key = new RegExp(`action="/cases/${c._id}/messages"[^>]*>[\\s\\S]*?name="formKey" value="([a-f0-9]{32})"`).exec(casePage.text)![1]!;
    const sent = await h.post(`/cases/${c._id}/messages`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(casePage.text), message: 'Please send your diploma.', formKey: key });
    expect(sent.status).to.equal(303);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
    expect(mail.text).to.match(/^Kính gửi Ông\/Bà Trần Văn Bình,/);

    // Back to the account's language: no message, and nothing kept for the session.
    const back = await switchTo(a, 'vi');
    expect(pageLang(back.text)).to.equal('vi');
    expect(back.text).not.to.include('id="flash-link"');

    // A new sign-in starts in the account's language, whatever an earlier session chose.
    await switchTo(a, 'en');
    const fresh = await signedIn(applicant);
    expect(pageLang((await fresh.get('/account').set('Accept', 'text/html')).text)).to.equal('vi');
  });

  it('the account page says what its language governs; saving it moves the e-mails and the pages (a session\'s switch gives way)', async () => {
    const hr = await createUser({ role: 'hr_officer', institute: await createInstitute(), locale: 'en', name: 'Officer Ba' });
    const a = await signedIn(hr);
    const shown = await switchTo(a, 'vi');
    expect(text(shown.text)).to.include('E-mail vẫn được gửi bằng tiếng Anh.');
    expect(text(shown.text)).to.include('Nút chuyển ngôn ngữ ở đầu trang chỉ đổi ngôn ngữ của các trang đang xem.');
    expect(shown.text).to.include('aria-describedby="f-locale-hint"');
    // Saving the account in English (the select shows the account's language) while the pages are Vietnamese.
    expect(shown.text).to.match(/<option value="en" selected lang="en">English<\/option>/);
    const saved = await a.post('/account').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(shown.text), name: 'Officer Ba', locale: 'en' });
    expect(saved.status).to.equal(303);
    const after = await a.get('/account').set('Accept', 'text/html');
    expect(pageLang(after.text)).to.equal('en');
    expect(text(after.text)).to.include('The language of your e-mails, and of the pages each time you sign in.');
    // Now Vietnamese, saved: the e-mails' language changes only here.
    const vi = await a.post('/account').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(after.text), name: 'Officer Ba', locale: 'vi' });
    expect(vi.status).to.equal(303);
    expect((await User.findById(hr._id).lean())!.locale).to.equal('vi');
    expect(pageLang((await a.get('/account').set('Accept', 'text/html')).text)).to.equal('vi');
  });

  it('signed out: the switch is the visitor\'s cookie, as before, with no message about e-mails', async () => {
    const a = agent(t.app);
    const page = await a.get('/').set('Accept', 'text/html').set('Accept-Language', 'vi');
    const res = await a.post('/lang').type('form').send({ _csrf: csrfFrom(page.text), lang: 'en', next: '/' });
    expect(res.status).to.equal(303);
    expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).some((c) => c.startsWith('lang=en;'))).to.equal(true);
    const after = await a.get('/').set('Accept', 'text/html').set('Accept-Language', 'vi');
    expect(pageLang(after.text)).to.equal('en');
    expect(after.text).not.to.include('id="flash-link"');
  });
});
