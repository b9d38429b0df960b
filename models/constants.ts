// Domain vocabularies shared by models, workflow, views and tests (DESIGN.md §3–§4).
export const TRACKS = ['expert', 'chief_engineer', 'chief_architect', 'researcher'] as const;
export type Track = (typeof TRACKS)[number];

export const STAGES = [
  'draft',
  'submitted',
  'screening',
  'awaiting_applicant',
  'evaluation',
  'shortlisted',
  'offer',
  'onboarding',
  'arrived',
  'closed',
  'rejected',
  'withdrawn',
  'on_hold',
] as const;
export type Stage = (typeof STAGES)[number];
// Named stage sets: use these, never a literal list of stages (DESIGN.md §4).
/** Ended: nothing more happens to the case. */
export const TERMINAL_STAGES = ['closed', 'rejected', 'withdrawn'] as const satisfies readonly Stage[];
/** Ended without a hire (privacy retention erases these after RETENTION_DAYS). */
export const UNSUCCESSFUL_STAGES = ['rejected', 'withdrawn'] as const satisfies readonly Stage[];
/** Still in progress (everything but the terminal stages). */
export const OPEN_STAGES = STAGES.filter((s) => !(TERMINAL_STAGES as readonly string[]).includes(s)) as readonly Stage[];
/** Before the panel and leaders, then before them: `evaluation` and the main line after it. */
export const PANEL_STAGES = ['evaluation', 'shortlisted', 'offer', 'onboarding', 'arrived', 'closed'] as const satisfies readonly Stage[];
/** An offer made and not ended: offer letter, onboarding, arrival. */
export const HIRING_STAGES = ['offer', 'onboarding', 'arrived'] as const satisfies readonly Stage[];
/** Support procedures (work permit, visa, …) are worked in these (on hold: see supportOpen). */
export const SUPPORT_STAGES = ['offer', 'onboarding', 'arrived', 'on_hold'] as const satisfies readonly Stage[];
/** The main line shown as the pipeline funnel. */
export const FUNNEL_STAGES = ['submitted', 'screening', 'evaluation', 'shortlisted', 'offer', 'onboarding', 'arrived', 'closed'] as const satisfies readonly Stage[];

export function inStages(stage: unknown, set: readonly string[]): boolean {
  return typeof stage === 'string' && set.includes(stage);
}

/**
 * Whether support procedures may be worked on the case: once an offer is made, and on hold only
 * when it was held from such a stage (a case held during screening has had no offer: no work permit
 * is started for it, nor the applicant told one was).
 */
export function supportOpen(c: { stage?: unknown; resumeStage?: unknown }): boolean {
  return inStages(c.stage, HIRING_STAGES) || (c.stage === 'on_hold' && inStages(c.resumeStage, HIRING_STAGES));
}

/** Why a case went back to the queue unassigned (server/cases/commands.ts returnCasesToQueue), translated for each reader. */
export const UNASSIGN_REASONS = ['account_disabled', 'role_changed'] as const;
export type UnassignReason = (typeof UNASSIGN_REASONS)[number];

export const SUPPORT_KINDS = ['work_permit', 'visa', 'residence_card', 'housing', 'citizenship', 'work_permit_exemption'] as const;
export type SupportKind = (typeof SUPPORT_KINDS)[number];

export const SUPPORT_STATUSES = ['not_needed', 'requested', 'preparing', 'filed', 'approved', 'refused'] as const;
export type SupportStatus = (typeof SUPPORT_STATUSES)[number];

export const DOCUMENT_TYPES = [
  'cv',
  'passport',
  'degree',
  'degree_translation',
  'publications_list',
  'recommendation_letter',
  'criminal_record',
  'health_certificate',
  'photo',
  'signed_offer',
  'dependant_passport',
  // Proof of a family relationship (marriage or birth certificate): a Vietnamese citizen's foreign
  // family's TT visas are granted on it (server/procedures/rules.ts procedureDocuments).
  'relationship_proof',
  'other',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/**
 * The offer letter HR attaches to the case (server/cases/offer-terms.ts): a stored file like the
 * checklist's, but HR's, never an item of a call's checklist (the applicant signs it and sends it
 * back as `signed_offer`).
 */
export const OFFER_LETTER_TYPE = 'offer_letter';
/** Every type a stored file may have: the checklist's, and the offer letter. */
export const STORED_DOCUMENT_TYPES = [...DOCUMENT_TYPES, OFFER_LETTER_TYPE] as const;
/**
 * When HR may attach or change the offer's terms and letter: once the case is shortlisted (awaiting
 * the leader's decision, so the letter goes out with the offer_made e-mail) and while the applicant
 * has not answered (offer). Not after: the accepted letter is what the applicant signed, and
 * changing it then would change an agreement already made.
 */
export const OFFER_TERMS_STAGES = ['shortlisted', 'offer'] as const satisfies readonly Stage[];

/** When in the case a checklist item must be provided (and accepted before the case moves on). */
export const CHECKLIST_PHASES = ['application', 'offer', 'onboarding'] as const;
export type ChecklistPhase = (typeof CHECKLIST_PHASES)[number];

export const DEGREES = ['bachelor', 'master', 'phd', 'dsc'] as const;
export type Degree = (typeof DEGREES)[number];

export const RECOMMENDATIONS = ['strong_no', 'no', 'yes', 'strong_yes'] as const;
export type Recommendation = (typeof RECOMMENDATIONS)[number];

export const PRIORITIES = ['low', 'normal', 'high'] as const;
/** Support procedures still under way (their documents must stay valid; overdue when past their due date). */
export const ACTIVE_SUPPORT_STATUSES = ['requested', 'preparing', 'filed'] as const satisfies readonly SupportStatus[];
/**
 * Procedures that are HR's open work until settled: those under way, and one refused until HR
 * lodges it again (a new filing) or records it not needed (or the case ends). While a refusal's
 * written reasons are owed their date is its deadline (models/case-deadline.ts); once received it
 * waits, without one, for HR to decide what next. Counted as open (queue, calendar feed, dashboard);
 * not "active": no filing's clock runs on it (isSupportOverdue, nextTrack, the planner).
 */
export const OPEN_SUPPORT_STATUSES = [...ACTIVE_SUPPORT_STATUSES, 'refused'] as const satisfies readonly SupportStatus[];
/** An offer made, not yet arrived: the certificate planner tells the applicant when to obtain each certificate. */
export const PLANNING_STAGES = ['offer', 'onboarding'] as const satisfies readonly Stage[];
/**
 * The applicant is e-mailed the certificate windows only once they have accepted the offer: the
 * criminal record, health certificate and certified translations cost money and expire, and an
 * offer may still be declined. At `offer` HR sees the plan and the applicant's page says "if you accept".
 */
export const CERTIFICATE_MAIL_STAGES = ['onboarding'] as const satisfies readonly Stage[];
/** Submitted and not yet arrived nor ended: the arrival forecast is still ahead. */
export const FORECAST_STAGES = OPEN_STAGES.filter((s) => s !== 'draft' && s !== 'arrived') as readonly Stage[];
/** Submitted and not ended: the applicant and the staff exchange messages on these. */
export const ACTIVE_STAGES = OPEN_STAGES.filter((s) => s !== 'draft');
/** Waiting on someone outside the case's officer (the applicant, a hold) — shown as a warning badge. */
export const WAITING_STAGES = ['draft', 'awaiting_applicant', 'on_hold'] as const satisfies readonly Stage[];
/** Going well: an offer made, or the case closed after arrival — shown as a good badge. */
export const SUCCESS_STAGES = [...HIRING_STAGES, 'closed'] as const satisfies readonly Stage[];
/** Procedure statuses the applicant is told about (e-mail and their timeline); the others are HR's own steps. */
export const APPLICANT_VISIBLE_SUPPORT_STATUSES = ['requested', 'filed', 'approved', 'refused'] as const satisfies readonly SupportStatus[];
