// The legal rules of each support procedure: legal basis, filing office, the authority's decision
// deadline in working days, when the file may be lodged, the documents filed with it, and which
// procedures must be finished first. (Placeholder on the planner branch: the procedures feature
// owns this table; the planner codes against this shape only.)
import type { DocumentType } from '../../models/constants.ts';

export const PROCEDURE_KINDS = ['work_permit', 'work_permit_exemption', 'visa', 'residence_card', 'housing', 'citizenship'] as const;
export type ProcedureKind = (typeof PROCEDURE_KINDS)[number];

export interface ProcedureRule {
  legalBasis: { vi: string; en: string };
  office: { vi: string; en: string };
  decisionWorkingDays?: number;
  refusalReasonsWorkingDays?: number;
  fileBeforeStartDays?: { min: number; max: number };
  documents: readonly DocumentType[];
  after?: readonly ProcedureKind[];
}

export const PROCEDURE_RULES: Record<ProcedureKind, ProcedureRule> = {
  work_permit: {
    legalBasis: { vi: 'Nghị định 219/2025/NĐ-CP, Điều 18–19', en: 'Decree 219/2025/ND-CP, Art. 18–19' },
    // Decree 219/2025/ND-CP Art. 4: the provincial People's Committee issues work permits.
    office: { vi: 'Ủy ban nhân dân cấp tỉnh', en: "Provincial People's Committee" },
    // Decree 219/2025/ND-CP (procedure article, Art. 19 — number from secondary sources): decision within
    // 10 working days of a complete file; a refusal is answered in writing with reasons within 3 working days.
    decisionWorkingDays: 10,
    refusalReasonsWorkingDays: 3,
    // Decree 219/2025/ND-CP (same article): the file is lodged at least 10 and at most 60 days before the
    // foreign worker is expected to start work.
    fileBeforeStartDays: { min: 10, max: 60 },
    // Decree 219/2025/ND-CP Art. 18: health certificate, passport, criminal record, 2 photos, proof of
    // qualifications (legalised and translated).
    documents: ['passport', 'health_certificate', 'criminal_record', 'photo', 'degree', 'degree_translation'],
  },
  work_permit_exemption: {
    legalBasis: { vi: 'Nghị định 219/2025/NĐ-CP (xác nhận không thuộc diện cấp giấy phép lao động)', en: 'Decree 219/2025/ND-CP (certificate of work permit exemption)' },
    office: { vi: 'Ủy ban nhân dân cấp tỉnh', en: "Provincial People's Committee" },
    // Decree 219/2025/ND-CP: the exemption certificate within 5 working days of a complete file (figure
    // from the brief; the article number could not be confirmed with the search tool).
    decisionWorkingDays: 5,
    documents: ['passport', 'degree', 'degree_translation'],
  },
  visa: {
    legalBasis: { vi: 'Luật số 47/2014/QH13 (sửa đổi 2019, 2023), Điều 16', en: 'Law 47/2014/QH13 as amended, Art. 16' },
    office: { vi: 'Cục Quản lý xuất nhập cảnh', en: 'Immigration Department' },
    // Law 47/2014/QH13 Art. 16(3): the immigration authority answers the inviting agency within 5 working days.
    decisionWorkingDays: 5,
    documents: ['passport', 'dependant_passport'],
    after: ['work_permit', 'work_permit_exemption'],
  },
  residence_card: {
    legalBasis: { vi: 'Luật số 47/2014/QH13 (sửa đổi), Điều 36–38', en: 'Law 47/2014/QH13 as amended, Art. 36–38' },
    office: { vi: 'Phòng Quản lý xuất nhập cảnh Công an tỉnh', en: 'Provincial Police immigration office' },
    // Law 47/2014/QH13 Art. 37(2)(c): card considered within 5 working days of a complete file.
    decisionWorkingDays: 5,
    documents: ['passport', 'dependant_passport'],
    after: ['visa'],
  },
  housing: {
    legalBasis: { vi: 'Chính sách thu hút của viện', en: "Institute's attraction policy" },
    office: { vi: 'Phòng Hành chính của viện', en: "Institute's administration" },
    documents: [],
  },
  citizenship: {
    legalBasis: { vi: 'Luật Quốc tịch Việt Nam 2008 (sửa đổi)', en: 'Law on Vietnamese Nationality 2008 as amended' },
    office: { vi: 'Sở Tư pháp', en: 'Provincial Department of Justice' },
    documents: ['passport', 'criminal_record'],
  },
};
