// A leader's decision between its two steps (routes/shortlists.ts): checked at step 1, kept here,
// shown by a GET of its confirmation page, taken at step 2. Post/Redirect/Get: the confirmation page
// is no POST's answer, so Back after confirming and Reload of it resend nothing (Chromium's "Confirm
// form resubmission"). Kept server-side in the signed-in user's session (MongoDB), never in the
// page: the page carries only an opaque id. Each is bound to the user, the call, the case and the
// version it was checked against; another user's id, another case's, or one read before the case
// changed is refused (readPending answers undefined), and a taken decision's id is gone.
import type { Request } from 'express';
import { randomHex } from '../support/random-hex.ts';

export interface PendingDecision {
  id: string;
  userId: string;
  callId: string;
  caseId: string;
  version: number;
  action: string;
  reason: string;
  /** A rejection's or a hold's words for the candidate, as last previewed. */
  toldReason?: string;
  reviewBy?: string;
  withoutScores: boolean;
  /** The words were edited after the preview was drawn: the page says it was redrawn. */
  toldChanged?: boolean;
  /** Epoch ms by the app clock: an old one is forgotten. */
  at: number;
}

declare module 'express-session' {
  interface SessionData {
    /** Leaders' decisions between checking and confirming (server/http/pending-decision.ts). */
    pendingDecisions?: PendingDecision[];
  }
}

/** A few at once (several tabs); an hour is longer than any confirmation page is read. */
const KEEP = 8;
const KEEP_MS = 60 * 60 * 1000;
const ID = /^[0-9a-f]{32}$/;

function kept(req: Request, now: number): PendingDecision[] {
  const list = req.session?.pendingDecisions;
  return Array.isArray(list) ? list.filter((p) => p && typeof p.id === 'string' && now - p.at < KEEP_MS) : [];
}

/** Keeps a checked decision for its confirmation page; its id. */
export function keepPending(req: Request, p: Omit<PendingDecision, 'id' | 'at'>): string {
  const now = req.ctx.now.getTime();
  const id = randomHex(16);
  // Several at once (tabs, a confirmation shown again): the oldest forgotten beyond KEEP; each is
  // refused once the case changes (its version), so two for one case cannot both be taken.
  req.session.pendingDecisions = [...kept(req, now), { ...p, id, at: now }].slice(-KEEP);
  return id;
}

/**
 * The pending decision `id` names, if it is this user's, on this call and case: undefined for an id
 * that is malformed, unknown, forgotten, taken, or bound to someone or something else.
 */
export function readPending(req: Request, id: unknown, where: { userId: string; callId: string; caseId: string }): PendingDecision | undefined {
  if (typeof id !== 'string' || !ID.test(id)) return undefined;
  const p = kept(req, req.ctx.now.getTime()).find((x) => x.id === id);
  return p && p.userId === where.userId && p.callId === where.callId && p.caseId === where.caseId ? p : undefined;
}

/** Changes a pending decision in place (the candidate's words edited on its page). */
export function updatePending(req: Request, id: string, change: Partial<Pick<PendingDecision, 'toldReason' | 'toldChanged'>>): void {
  req.session.pendingDecisions = kept(req, req.ctx.now.getTime()).map((x) => (x.id === id ? { ...x, ...change } : x));
}

/** Forgets a pending decision: taken, or found stale. */
export function dropPending(req: Request, id: string): void {
  req.session.pendingDecisions = kept(req, req.ctx.now.getTime()).filter((x) => x.id !== id);
}
