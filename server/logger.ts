import pino, { type Logger } from 'pino';

// Secrets never reach the log: request cookies, auth headers, and any field that carries a
// password, token or TOTP code, wherever it appears.
export const redactPaths = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  // A form's token never belongs in the address (server/http/csrf.ts), but an old page may still put it there.
  'req.query._csrf',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.code',
  '*.secret',
  '*._csrf',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' }, base: undefined }, destination);
}

export type { Logger };
