// Secret tokens carried in a path stay out of every log line: one-time links (e-mail verification,
// password reset, invitations) and the calendar feed's standing token (/calendar/<token>.ics).
const TOKEN_IN_PATH = /(\/(?:verify-email|password\/reset|invitations|calendar)\/)[A-Za-z0-9_-]{16,}/g;

/** The path or URL with any such token replaced by "[redacted]". */
export function redactPath(url: string): string {
  return url.replace(TOKEN_IN_PATH, '$1[redacted]');
}
