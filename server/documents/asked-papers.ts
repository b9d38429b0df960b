// A paper HR asks for within a support procedure that the call's checklist does not list (the work
// permit's 4×6 photo, a degree translation, "another document" the request describes): it gets a
// place of its own beside the checklist, where the applicant uploads it and HR verifies it like any
// document (server/procedures/asks.ts askMore; the checklist page and the upload route read the
// same list). It belongs to the offer's phase: procedures, and so their requests, run only once an
// offer is made (models/constants supportOpen), and its files stay listed after the request ends.
import type { ChecklistPhase } from '../../models/constants.ts';

export interface AskingCase {
  supportTracks?: ReadonlyArray<{ asks?: ReadonlyArray<{ documentType?: string | null; text?: string | null }> | null }> | null;
}
/** A case as the documents' pages and upload route hold it: its procedures, read for their requests. */
type WithTracks = { supportTracks?: unknown };

export interface AskedPaper {
  type: string;
  phase: ChecklistPhase;
  required: false;
  multiple: true;
  /** The default limit applies. */
  maxMb?: undefined;
  /** What was asked, in HR's words as typed (the same in either language): "4×6 photo, white background". */
  note: { vi: string; en: string };
  /** Marks the place as a procedure's request, not an item of the call. */
  asked: true;
}

/** The call's checklist followed by the papers the case's procedure requests name that it does not list. */
export function withAskedPapers<I extends { type: string }>(checklist: readonly I[] | null | undefined, c: WithTracks | null | undefined): Array<I | AskedPaper> {
  const listed = new Set((checklist ?? []).map((i) => i.type));
  const asked = new Map<string, string[]>();
  const tracks = Array.isArray(c?.supportTracks) ? (c.supportTracks as AskingCase['supportTracks'])! : [];
  for (const track of tracks) {
    for (const a of track.asks ?? []) {
      if (!a.documentType || listed.has(a.documentType)) continue;
      const texts = asked.get(a.documentType) ?? [];
      if (a.text && !texts.includes(a.text)) texts.push(a.text);
      asked.set(a.documentType, texts);
    }
  }
  return [
    ...(checklist ?? []),
    ...[...asked].map(([type, texts]): AskedPaper => ({ type, phase: 'offer', required: false, multiple: true, note: { vi: texts.join(' · '), en: texts.join(' · ') }, asked: true })),
  ];
}
