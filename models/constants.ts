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
export const TERMINAL_STAGES: readonly Stage[] = ['closed', 'rejected', 'withdrawn'];

export const SUPPORT_KINDS = ['work_permit', 'visa', 'residence_card', 'housing', 'citizenship'] as const;
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
  'other',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** When in the case a checklist item must be provided (and accepted before the case moves on). */
export const CHECKLIST_PHASES = ['application', 'offer', 'onboarding'] as const;
export type ChecklistPhase = (typeof CHECKLIST_PHASES)[number];

export const DEGREES = ['bachelor', 'master', 'phd', 'dsc'] as const;
export type Degree = (typeof DEGREES)[number];

export const RECOMMENDATIONS = ['strong_no', 'no', 'yes', 'strong_yes'] as const;
export type Recommendation = (typeof RECOMMENDATIONS)[number];

export const PRIORITIES = ['low', 'normal', 'high'] as const;
