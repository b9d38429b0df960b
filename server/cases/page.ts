// What the staff's case page shows, loaded in one place: the case as this staff member may see it,
// its call and applicant, the officers it may be given to, the people named on it, the documents
// checklist and the workflow steps open to them now. server/cases/present.ts turns it into the page.
import { caseProcedures } from '../procedures/page.ts';
import { casePlan } from '../planner/service.ts';
import { loadCalendar } from '../calendar/index.ts';
import { caseDocumentVersions } from '../documents/present.ts';
import { currentOf } from '../documents/index.ts';
import { canDownloadDocument } from '../policies/document.ts';
import type { Context } from '../context.ts';
import type { CaseDoc, CaseRecord } from '../../models/case.ts';
import { shownCall } from '../calls/kept.ts';
import { can } from '../policies/index.ts';
import type { CaseSubject } from '../policies/case.ts';
import { availableActions, decidesNow, unmetConditions } from '../workflow/index.ts';
import { accessFacts, findCaseFor, findCaseRecordFor } from './access.ts';
import { caseNamesAndApplicant, hrOfficers } from './people.ts';
import { documentsChecklist } from './present.ts';

/**
 * The case, if this staff member may see it (./access.ts); otherwise "not found" (existence is not
 * revealed). With it, the subject the case policy judges (the case and what was looked up about
 * this viewer, such as a scorecard of theirs).
 */
export async function staffCase({ ctx, caseId }: { ctx: Context; caseId: string }): Promise<{ caseDoc: CaseDoc; subject: CaseSubject }> {
  const { caseDoc, facts } = await findCaseFor(ctx.actor, caseId);
  return { caseDoc, subject: { applicant: caseDoc.applicant, institute: caseDoc.institute, call: caseDoc.call, stage: caseDoc.stage, reached: caseDoc.reached, facts } };
}

/** The same for a page that only shows the case: read lean (./access.ts findCaseRecordFor). */
export async function staffCaseRecord({ ctx, caseId }: { ctx: Context; caseId: string }): Promise<{ caseRecord: CaseRecord; subject: CaseSubject }> {
  const { caseRecord: c, facts } = await findCaseRecordFor(ctx.actor, caseId);
  return { caseRecord: c, subject: { applicant: c.applicant, institute: c.institute, call: c.call, stage: c.stage, reached: c.reached, facts } };
}

/** `caseDoc`: read lean for a page view; a document (copied once here) when a refused form is shown again. */
export async function loadCasePage({ ctx, caseDoc, uploadMaxBytes }: { ctx: Context; caseDoc: CaseDoc | CaseRecord; uploadMaxBytes?: number }) {
  const c: CaseRecord = 'toObject' in caseDoc && typeof caseDoc.toObject === 'function' ? (caseDoc.toObject() as CaseRecord) : caseDoc;
  const viewer = ctx.actor!;
  const canWork = can(viewer, 'case.work', c);
  // The holiday calendar and the case's documents are read once for the page (the plan and the
  // procedures both count working days; the checklist shows the documents, the plan uses the current
  // ones), and what does not depend on another read is read together.
  const [call, { names, applicant }, officers, calendar, facts, documents] = await Promise.all([
    shownCall(c.call),
    caseNamesAndApplicant([...(c.history ?? []).map((h) => h.actor), ...(c.notes ?? []).map((n) => n.author), ...(c.messages ?? []).map((m) => m.author), c.assignee], c.applicant),
    canWork ? hrOfficers(c.institute) : Promise.resolve([]),
    loadCalendar(),
    accessFacts(viewer, c),
    caseDocumentVersions(c._id),
  ]);
  const actions = availableActions(c, viewer);
  const [checklist, plan, procedures, unmet] = await Promise.all([
    documentsChecklist(c, call, viewer, facts, documents, { defaultMaxBytes: uploadMaxBytes, now: ctx.now }),
    casePlan({ caseDoc: c, now: ctx.now, calendar, documents: currentOf(documents) }),
    caseProcedures({ ctx, caseDoc: c, forApplicant: false, editable: canWork, calendar, documents: currentOf(documents) }),
    // What each step still lacks, by the rule the step checks: said beside its button from the start.
    unmetConditions({ ctx, caseDoc: c, call, actions, documents: currentOf(documents) }),
  ]);
  // The e-mails sent on the case, by the mail log's rule: the institute's HR and administrators.
  const seesEmails = can(viewer, 'mail.view', { source: 'case', institute: c.institute });
  // The offer's terms and letter (server/cases/offer-terms.ts): HR of the institute, while the offer is prepared or waits.
  const canAttachOffer = can(viewer, 'document.attachOffer', { applicant: c.applicant, institute: c.institute, call: c.call, stage: c.stage });
  // The files the applicant sent with their answer to an information request, shown beside the answer.
  const answered = new Set((c.infoRequest?.answerDocuments ?? []).map(String));
  const answerFiles = answered.size && canDownloadDocument(viewer, c, facts) ? documents.filter((d) => answered.has(String(d._id))).map((d) => ({ id: String(d._id), type: d.type, name: d.originalName, at: d.createdAt })) : [];
  return { calendar, caseDoc: c, call, applicant, officers, names, checklist, plan, procedures, canWork, seesEmails, canAttachOffer, actions, unmet, decides: decidesNow(c, viewer), answerFiles };
}
export type CasePageData = Awaited<ReturnType<typeof loadCasePage>>;
