// The privacy notice the consent texts name: a public page in Vietnamese and English, linked from
// the registration consent and from the consent on the application's review step.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';

describe('privacy: the privacy notice', function () {
  this.timeout(60_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  for (const [lang, title, rights, days] of [
    ['vi', 'Thông báo về quyền riêng tư', 'Quyền của Ông/Bà', 'Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15'],
    ['en', 'Privacy notice', 'Your rights', 'Law No. 91/2025/QH15 on Personal Data Protection'],
  ] as const) {
    it(`is readable without signing in, in ${lang}, with the retention period of this installation`, async () => {
      const res = await agent(t.app).get('/privacy').set('Accept', 'text/html').set('Accept-Language', lang);
      expect(res.status).to.equal(200);
      expect(res.text).to.include(`<h1>${title}</h1>`);
      expect(res.text).to.include(rights);
      expect(res.text).to.include(days);
      expect(res.text).to.include(`${t.ctx.config.retentionDays}`);
      expect(res.text).not.to.match(/privacy\.notice\./);
    });
  }

  it('stays closed to anything but GET (the public route is GET /privacy only)', async () => {
    const res = await agent(t.app).post('/privacy').set('Accept', 'application/json').send({});
    expect(res.status).to.be.oneOf([401, 403, 404]);
  });

  it('is linked from the registration consent and the review step consent', async () => {
    const reg = await agent(t.app).get('/register').set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(reg.text).to.match(/<a href="\/privacy"[^>]*id="privacy-notice-link">Read the privacy notice<\/a>/);
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const call = await createCall({ institute: await createInstitute(), status: 'open' });
    const kase = await createCase({ applicant: applicant._id, call, stage: 'draft' });
    const a = agent(t.app);
    await signIn(a, applicant);
    const review = await a.get(`/applications/${kase._id}/edit/review`).set('Accept', 'text/html');
    expect(review.status).to.equal(200);
    expect(review.text).to.match(/<a href="\/privacy"[^>]*id="privacy-notice-link">Xem thông báo về quyền riêng tư<\/a>/);
  });
});
