// The only routes an anonymous visitor may reach. Everything else requires a signed-in user
// (fail closed): a new route is private until it is added here on purpose.
export interface PublicRoute {
  methods: readonly string[];
  pattern: RegExp;
}

const GET = ['GET', 'HEAD'] as const;
const GET_POST = ['GET', 'HEAD', 'POST'] as const;
// A one-time link's token, as it arrives: a damaged one (cut short, a "." or ")" a mail client
// added) reaches its route, which answers "link expired or incomplete" (410) instead of asking the
// person to sign in. The token itself is checked by server/accounts/tokens.ts.
const TOKEN = '[^/]{1,512}';
const ID = '[A-Za-z0-9_-]{1,64}';

export const publicRoutes: readonly PublicRoute[] = [
  { methods: GET, pattern: /^\/$/ },
  { methods: GET, pattern: /^\/healthz$/ },
  { methods: GET, pattern: /^\/readyz$/ },
  { methods: GET, pattern: /^\/static\/.+$/ },
  { methods: GET, pattern: /^\/favicon\.ico$/ },
  { methods: ['POST'], pattern: /^\/lang$/ },
  { methods: GET_POST, pattern: /^\/signin$/ },
  { methods: GET_POST, pattern: /^\/signin\/second-factor$/ },
  { methods: GET_POST, pattern: /^\/register$/ },
  { methods: GET, pattern: new RegExp(`^/verify-email/${TOKEN}$`) },
  { methods: GET_POST, pattern: /^\/verify-email\/resend$/ },
  { methods: GET_POST, pattern: /^\/password\/forgot$/ },
  { methods: GET_POST, pattern: new RegExp(`^/password/reset/${TOKEN}$`) },
  { methods: GET_POST, pattern: new RegExp(`^/invitations/${TOKEN}$`) },
  { methods: GET, pattern: /^\/calls$/ },
  { methods: GET, pattern: new RegExp(`^/calls/${ID}$`) },
  // A private calendar feed, authenticated by the secret token in its path (routes/calendar-feed.ts);
  // any malformed token reaches the route too and is answered 404 like a wrong one.
  { methods: GET, pattern: /^\/calendar\/[^/]+\.ics$/ },
  { methods: GET, pattern: /^\/privacy$/ },
];

export function isPublic(method: string, path: string): boolean {
  return publicRoutes.some((r) => r.methods.includes(method) && r.pattern.test(path));
}
