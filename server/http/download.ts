// Sends a stored file as an attachment, never rendered by the browser (nosniff, sandboxing CSP),
// never cached, named as uploaded (RFC 6266).
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { OpenedDocument } from '../documents/download.ts';

/** RFC 6266 / 5987: an ASCII fallback plus the exact UTF-8 name. */
export function contentDisposition(name: string): string {
  const ascii = name.normalize('NFKD').replace(/[^\x20-\x7e]/g, '_').replace(/["\\;]/g, '_') || 'document';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export async function sendAttachment(req: Request, res: Response, file: OpenedDocument): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', file.mimeType);
  res.setHeader('Content-Length', String(file.size));
  res.setHeader('Content-Disposition', contentDisposition(file.name));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'private, no-store');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('ETag', `"${file.sha256}"`);
  if (req.method === 'HEAD') {
    file.stream.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(file.stream, res);
  } catch (err) {
    // The client went away or the store failed mid-file: nothing more can be sent.
    req.log?.warn({ err, document: file.id }, 'download interrupted');
    res.destroy();
  }
}
