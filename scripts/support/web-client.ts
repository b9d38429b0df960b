// A browser-like HTTP client for drills and benchmarks that drive a running app over the network:
// one cookie jar per person, forms posted with the CSRF token of the page they came from,
// multipart uploads, sign-in through the real pages (password, then TOTP for staff).
import { totpNow } from '../../server/accounts/totp.ts';

export interface Page {
  status: number;
  location: string | null;
  text: string;
}

export function csrfIn(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1]!;
}

/** The `value` of the hidden input `name` on the page (e.g. a case's version), or undefined. */
export function hiddenValue(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
}

export class WebClient {
  private readonly cookies = new Map<string, string>();

  /** `base` as a function: read at each request, for a client (its cookies) kept across an app's restart on a new port. */
  constructor(
    private readonly baseUrl: string | (() => string),
    private readonly timeoutMs = 30_000,
  ) {}

  get base(): string {
    return typeof this.baseUrl === 'string' ? this.baseUrl : this.baseUrl();
  }

  private take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private async send(path: string, init: RequestInit): Promise<Page> {
    const res = await fetch(this.base + path, {
      ...init,
      headers: { accept: 'text/html', cookie: this.cookieHeader(), ...(init.headers as Record<string, string> | undefined) },
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    this.take(res);
    return { status: res.status, location: res.headers.get('location'), text: await res.text() };
  }

  get(path: string): Promise<Page> {
    return this.send(path, { method: 'GET' });
  }

  /** POSTs url-encoded `fields` with `csrf` (the token of the page the form is on). */
  postForm(path: string, csrf: string, fields: Record<string, string | string[]> = {}): Promise<Page> {
    const body = new URLSearchParams();
    body.append('_csrf', csrf);
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return this.send(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** POSTs a multipart form, its CSRF token first, as the upload form's hidden field is (the server checks it before reading a file). */
  postMultipart(path: string, csrf: string, form: FormData): Promise<Page> {
    const body = new FormData();
    body.append('_csrf', csrf);
    for (const [k, v] of form.entries()) body.append(k, v);
    return this.send(path, { method: 'POST', body });
  }

  /** Signs in through /signin (and /signin/second-factor with a code from `totpSecret`). Throws on failure. */
  async signIn(email: string, password: string, totpSecret?: string): Promise<void> {
    const page = await this.get('/signin');
    let r = await this.postForm('/signin', csrfIn(page.text), { email, password });
    if (r.status !== 303) throw new Error(`sign-in of ${email} answered ${r.status}`);
    if ((r.location ?? '').startsWith('/signin/second-factor')) {
      if (!totpSecret) throw new Error(`${email} needs a second factor`);
      const sf = await this.get('/signin/second-factor');
      r = await this.postForm('/signin/second-factor', csrfIn(sf.text), { code: totpNow(totpSecret) });
      if (r.status !== 303 || (r.location ?? '').startsWith('/signin')) throw new Error(`second factor of ${email} answered ${r.status} → ${r.location}`);
    }
  }
}
