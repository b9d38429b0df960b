// The navigation offers each role the pages it may open, and nothing else.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';

function navLinks(html: string): string[] {
  const nav = /<nav class="main-nav"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return [...nav.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
}

describe('platform: navigation per role', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  async function linksFor(user: Awaited<ReturnType<typeof createUser>>): Promise<string[]> {
    const a = agent(t.app);
    await signIn(a, user);
    const res = await a.get('/account').set('Accept', 'text/html');
    expect(res.status).to.equal(200);
    return navLinks(res.text);
  }

  it('shows an HR officer the shortlists only when they sit on a panel', async () => {
    const plain = await createUser({ role: 'hr_officer' });
    expect(await linksFor(plain)).to.include('/cases').and.not.include('/shortlists');
    const panel = await createUser({ role: 'hr_officer', panelCalls: [new Types.ObjectId()] });
    expect(await linksFor(panel)).to.include.members(['/cases', '/shortlists', '/dashboard']);
  });

  it('shows an administrator every staff area', async () => {
    const admin = await createUser({ role: 'admin' });
    expect(await linksFor(admin)).to.include.members(['/cases', '/shortlists', '/dashboard', '/admin']);
  });

  it('shows an applicant their applications and no staff area', async () => {
    const applicant = await createUser({ role: 'applicant' });
    const links = await linksFor(applicant);
    expect(links).to.include('/applications');
    expect(links).not.to.include.members(['/cases']);
    expect(links.some((l) => ['/cases', '/shortlists', '/dashboard', '/admin'].includes(l))).to.equal(false);
  });
});
