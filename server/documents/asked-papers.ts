// A paper HR asks for within a support procedure that the call's checklist does not list (the work
// permit's 4×6 photo, a degree translation, "another document" the request describes): it gets a
// place of its own beside the checklist, where the applicant uploads it and HR verifies it like any
// document (server/procedures/asks.ts askMore; the checklist page and the upload route read the
// same list). It belongs to the offer's phase: procedures, and so their requests, run only once an
// offer is made (models/constants supportOpen), and its files stay listed after the request ends.
//
// The family's proof of relationship has a place the same way, from the case itself rather than a
// request: the family members' TT visas are filed with it (server/procedures/rules.ts
// procedureDocuments), so a case whose visa procedure is (or includes) its foreign family's gets a
// place for it, and a case with no family member has none, even when the call lists it.
import type { ChecklistPhase } from '../../models/constants.ts';
import { familyVisasWanted, papersForFamily, type FamilyCase } from '../applications/family-support.ts';

export interface AskingCase {
  supportTracks?: ReadonlyArray<{ asks?: ReadonlyArray<{ documentType?: string | null; text?: string | null }> | null }> | null;
}
/** A case as the documents' pages and upload route hold it: its procedures, read for their requests, and its family. */
type WithTracks = { supportTracks?: unknown } & FamilyCase;

export const FAMILY_PAPER = 'relationship_proof';

/**
 * The case's visa procedure is for foreign family members' TT visas, filed with the proof of their
 * relationship to the applicant: Law 47/2014/QH13 Art. 8(18), as amended by Law 51/2019/QH14 (TT:
 * the spouse and children of a foreigner holding an LĐ visa, and the parents, spouse and children of
 * a Vietnamese citizen); the sponsor's request (Circular 04/2015/TT-BCA, forms NA2/NA3, NA3 as replaced
 * by Circular 22/2023/TT-BCA from 15 Aug 2023, server/procedures/rules.ts procedureDocuments) goes with the
 * papers proving the relationship, those issued abroad legalised (Decree 111/2011/ND-CP) and translated.
 * A Vietnamese citizen with foreign family (their visa procedure is the family's alone), or an
 * applicant asking family support with foreign family members named.
 */
export function familyPaperNeeded(c: FamilyCase | null | undefined): boolean {
  return !!c && (papersForFamily(c) || familyVisasWanted(c));
}

/** The family's proof: a place of the offer's phase (the visa procedure starts with the acceptance), one file per family member. */
export interface FamilyPaper {
  type: typeof FAMILY_PAPER;
  phase: 'offer';
  required: true;
  multiple: true;
  maxMb?: undefined;
  note?: undefined;
}

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

/**
 * The call's checklist followed by the papers the case's procedure requests name that it does not
 * list, and the family's proof where the case needs it (familyPaperNeeded); the call's own item of
 * that proof only where the case needs it or HR asked for it.
 */
export function withAskedPapers<I extends { type: string }>(checklist: readonly I[] | null | undefined, c: WithTracks | null | undefined): Array<I | AskedPaper | FamilyPaper> {
  const family = familyPaperNeeded(c);
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
    ...(checklist ?? []).filter((i) => i.type !== FAMILY_PAPER || family || asked.has(FAMILY_PAPER)),
    ...(family && !listed.has(FAMILY_PAPER) && !asked.has(FAMILY_PAPER) ? [{ type: FAMILY_PAPER, phase: 'offer', required: true, multiple: true } satisfies FamilyPaper] : []),
    ...[...asked].map(([type, texts]): AskedPaper => ({ type, phase: 'offer', required: false, multiple: true, note: { vi: texts.join(' · '), en: texts.join(' · ') }, asked: true })),
  ];
}
