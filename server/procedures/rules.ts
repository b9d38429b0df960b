// The support procedures an institute carries for a recruited scientist, and what the law says of
// each: the legal basis, the office a file is lodged with, the authority's deadline in working days
// once the file is complete, whether a refusal must come in writing with its reasons, the filing window
// before the planned start, the documents the file needs, and which procedures must come first.
// This table is authoritative: the service (deadlines), the presenters (legal basis, office) and
// the certificate planner read it. Every figure carries the source it was checked against; a
// figure that could not be confirmed says so.
import type { DocumentType } from '../../models/constants.ts';
import { countedDeadline, isDueCount, vnDateKey, vnEndOfDay, vnStartOfDay, type DueCount, type WorkingCalendar } from '../calendar/index.ts';
import { VALIDITY_RULES, WORK_CARD_MAX_MONTHS, type ExpiryRule } from '../planner/validity.ts';
import { vnDayNumber } from '../views/time.ts';
import { familyVisasWanted, papersForFamily, type FamilyCase } from '../applications/family-support.ts';

export const PROCEDURE_KINDS = ['work_permit', 'work_permit_exemption', 'visa', 'residence_card', 'housing', 'citizenship'] as const;
export type ProcedureKind = (typeof PROCEDURE_KINDS)[number];

export interface ProcedureRule {
  legalBasis: { vi: string; en: string };
  /**
   * The instrument and articles without the authority's time limit: what a stopped procedure cites
   * (its clock no longer runs for this case; walk s35 #1). Absent: legalBasis names no time limit.
   */
  citation?: { vi: string; en: string };
  /** What the applicant must meet, where the law waives a condition for those the institute recruits. */
  conditions?: { vi: string; en: string };
  office: { vi: string; en: string };
  /** Working days the authority has to decide once the file is complete (absent: no legal deadline). */
  decisionWorkingDays?: number;
  /**
   * A refusal is answered in writing with its reasons, within the decision time itself: no clock of
   * its own after the decision (service.ts nextTrack; where the authority refused without them, HR
   * records so and chases them).
   */
  refusalWithReasons?: boolean;
  /** Calendar days before the planned start of work within which the file must be lodged. */
  fileBeforeStartDays?: { min: number; max: number };
  documents: readonly DocumentType[];
  /** The institute's own service, no file lodged with an authority (housing): granted or refused without a filing. */
  internal?: boolean;
  /** Procedures that must be granted before this one can be filed: each group once, by any one of its members. */
  after?: ReadonlyArray<readonly ProcedureKind[]>;
}

export const PROCEDURE_RULES: Record<ProcedureKind, ProcedureRule> = {
  // Decree 219/2025/ND-CP (7 Aug 2025, in force on signature; replaces Decrees 152/2020 and 70/2023:
  // mondaq.com 1673670, i-glocal.com/en/report/251027):
  // - Art. 4: the provincial People's Committee issues, re-issues, extends and revokes work permits
  //   and exemption certificates (it may delegate, usually to the Department of Home Affairs)
  //   (news.laodong.vn 1558373, quoting the article).
  // - Art. 18: the file — the employer's combined demand report and application (Form 03), a health
  //   certificate not older than 12 months, the passport, a criminal record certificate, diplomas
  //   (legalised, translated), photos. Art. 18(2): the health certificate at most 12 months old;
  //   Art. 18(4): the criminal record certificate issued at most 6 months before filing
  //   (news.laodong.vn 1554785, quoting the article).
  // - The decision within 10 working days of receiving a complete file; a refusal answered in
  //   writing stating its reasons (en.sggp.org.vn post119473, 8 Aug 2025; visaverge.com on the
  //   decree: "If they deny the demand or permit, they must provide a written reason"; national
  //   administrative procedure 1.014199, Ministry of Home Affairs Decision 886/QĐ-BNV, 11 Aug 2025,
  //   as republished by Bắc Ninh in Decision 1513/QĐ-UBND: "03 ngày làm việc, kể từ ngày nhận đủ hồ
  //   sơ trong trường hợp không chấp thuận nhu cầu… hoặc không cấp giấy phép lao động"). Not
  //   verified against the gazette text: the article number (Art. 22 per a law firm's summary,
  //   luatnguyen.vn).
  //   ata-legal.com on Decree 219 agrees: approval within 10 working days, rejection within 03 working
  //   days, both "from the date of receipt of a complete and valid dossier".
  //   The reasons come with the refusal, within the decision time counted from the complete file
  //   (refusalWithReasons): the Bắc Ninh wording, and Art. 9(3) for the exemption as quoted by
  //   news.laodong.vn 1559299, count the 3 working days from receipt of the complete file, not
  //   from the decision. An earlier reading (en.sggp.org.vn) as 3 working days for reasons AFTER the
  //   refusal gave the applicant a legal date no text supports; it is gone. The decision deadline
  //   is the latest day the reasons were due (the 3 days from receipt, if that reading is right,
  //   end earlier): a refusal recorded without them is chased by it (service.ts nextTrack).
  // - Filing window: "within 60 days and at least 10 days before" the planned start of work
  //   (i-glocal.com/en/report/251027; socius.dthanhbinh.com, "10–60 days before"; a Vietnamese
  //   licensing firm's procedure manual of Oct 2026 found with the search tool: "nộp trong 60 ngày
  //   nhưng không ít hơn 10 ngày tính đến ngày dự kiến làm việc", 10 working days to decide, and
  //   the same window with 5 working days for the exemption certificate). Not verified against
  //   the gazette text: the article number. Art. 18 as the work permit's file is corroborated by a
  //   public evaluation set checked against a text snapshot of the decree (Form 03, health
  //   certificate, passport, criminal record, 2 colour photos), still not the gazette itself.
  //   Checked again (6 Dec 2026, search tool): news.laodong.vn 1554785 quotes Art. 18 in full (1 Form 03;
  //   2 health certificate, one issued abroad valid 12 months from issue; 3 passport; 4 criminal record
  //   issued at most 6 months before filing, unless obtained jointly under Art. 6(3); 5 two 4x6 photos;
  //   6 proof of the form of work; then proof of the expert's standing), as spassociates.net's summary
  //   lists it. The decree's structure as other summaries cite it: Art. 3(3) expert (a degree and 2
  //   years' experience, 1 year in S&T, innovation, digital transformation), Art. 4 authority, Art. 7
  //   the 15 exempt cases, Art. 9 the exemption certificate, Art. 22 the permit's decision (luatnguyen.vn),
  //   Art. 27 the extension file (a licensing firm's manual); not read in the gazette.
  // - Not modelled here (the case records no permit term): a work permit runs at most 2 years and is
  //   extended once for at most 2 years (Labour Code 2019 Art. 155; pinklaw.vn quoting it, and
  //   eli.com.vn: "Theo quy định tại Điều 155 Bộ luật lao động năm 2019 … thời hạn của giấy phép lao
  //   động tối đa là 02 năm. Trường hợp gia hạn thì chỉ được gia hạn một lần với thời hạn tối đa là
  //   02 năm", checked 7 Dec 2026); under the
  //   decree the extension file is lodged between 45 and 10 days before the permit ends, decided in
  //   10 working days (vietnamteachingjobs.com and the manual above, both secondary), and the exemption
  //   certificate is renewable once for at most 2 years with the same 45-to-10-day window (Baker
  //   McKenzie, insightplus, on Decree 219). Unverified: the articles carrying those windows. The
  //   secondary sources disagree on them: the licensing manual puts the extension file at Art. 27
  //   ("hồ sơ theo Đ.27 Nghị định 219/2025"), a public Q&A set citing congbao.chinhphu.vn puts the
  //   extension at Art. 28 and 29 ("Căn cứ: Điều 28, Điều 29 Nghị định 219/2025/NĐ-CP; Điều 155 Bộ
  //   luật Lao động"); neither is the gazette text, so no article is cited for them.
  // Checked again 7 Dec 2026 (search tool: pages, code, docs), each figure the code uses:
  // - 10 working days to decide (decisionWorkingDays): matches. mondaq.com 1673670 ("the total
  //   statutory processing time for a work permit application is now 10 working days"),
  //   socius.dthanhbinh.com ("Receive the permit decision within 10 working days"), en.sggp.org.vn
  //   post119473. Article: unverified (Art. 22 per luatnguyen.vn and a public Q&A set citing "Điều
  //   7–9, 18, 22"; the gazette's English text, english.luatvietnam.vn 407607, is stored only in
  //   part: searched "Article 22", "within 10 working days", not reached).
  // - Window 10 to 60 days before the start (fileBeforeStartDays): matches. socius.dthanhbinh.com
  //   ("Submit to the provincial People's Committee 10–60 days before the intended start date");
  //   vietnamteachingjobs.com ("reduces minimum application filing from 15 days to 10 days").
  //   Article: unverified (searched "không ít hơn 10 ngày", "trước ít nhất 10 ngày", "at least 10
  //   days before", in pages and code; only the licensing manual and summaries without an article).
  // Checked again 7 Dec 2026 (s40, search tool, pages): the article for the window and the decision.
  // en.expertis.vn ("Reforming procedures on Work Permits for Foreign Workers"): "According to new
  // regulations (Clause 3, Article 22, Decree 219): At least 10 days before the employee's expected
  // working date, the enterprise must submit an application for a work permit"; luatnguyen.vn 932
  // ("New regulations on foreign workers"): "Article 22 of Decree 219/2025 … reduces the processing
  // time … to 10 working days after receiving a complete dossier … If the permit is denied, the
  // authority must issue a written explanation within three working days", and the notice to another
  // province at least three days ahead in the same article. So Art. 22 (clause 3 for the 10 days, per
  // one source) carries both figures by two secondary sources agreeing; the decree's own text was not
  // reached (searched: "Điều 22. Trình tự cấp giấy phép lao động", "khoản 3 Điều 22 Nghị định 219",
  // "Within 60 days and no less than 10 days … work permit"), so the user-facing citation keeps Art. 4,
  // 18 and does not name Art. 22. The figures themselves (not the article) also stand in the
  // Government's own news portal, en.baochinhphu.vn 111250808104813884 ("Fresh regulations on work
  // permit issuance", 8 Aug 2025: Form No. 03; "decide whether to issue the work permit within ten
  // working days from the date of receiving valid dossier. In case the work permit is not issued, a
  // written explanation must be provided within three working days"), and hanoitimes.vn 800404.
  // Also corroborated (htlaw.vn, "New points of Decree 219/2025/ND-CP"):
  // Art. 3(3) the expert, Art. 4 the provincial People's Committee, Art. 6(3) the criminal record
  // applied for with the permit through the National Public Service Portal; eiv.edu.vn (?p=17138):
  // Art. 18's file in 7 parts, Form 03, the health certificate "Not exceeding 12 months from the date
  // of issuance".
  // - Art. 7 as the list of exempt cases: corroborated, secondary only: siglaw.com.vn ("Legal basis:
  //   Clause 1, Article 7 of Decree No. 219/2025/NĐ-CP" for the VND 3 billion investors), dnp-law.com
  //   ("Legal basis: Article 7 of Decree No. 219/2025/ND-CP"), en.expertis.vn ("According to Article 7
  //   of the Decree, 15 cases"). The clause holding the confirmed S&T expert: unverified, see below.
  work_permit: {
    legalBasis: {
      vi: 'Nghị định 219/2025/NĐ-CP về người lao động nước ngoài làm việc tại Việt Nam (Điều 4, 18; cấp trong 10 ngày làm việc)',
      en: 'Decree 219/2025/ND-CP on foreign workers in Vietnam (Art. 4, 18; decision within 10 working days)',
    },
    citation: { vi: 'Nghị định 219/2025/NĐ-CP về người lao động nước ngoài làm việc tại Việt Nam (Điều 4, 18)', en: 'Decree 219/2025/ND-CP on foreign workers in Vietnam (Art. 4, 18)' },
    office: { vi: 'Ủy ban nhân dân cấp tỉnh (Sở Nội vụ)', en: "Provincial People's Committee (Department of Home Affairs)" },
    decisionWorkingDays: 10,
    refusalWithReasons: true,
    fileBeforeStartDays: { min: 10, max: 60 },
    documents: ['health_certificate', 'passport', 'criminal_record', 'degree', 'degree_translation', 'photo'],
  },
  // Decree 219/2025/ND-CP: the certificate that a foreign worker is not subject to a work permit
  // (experts confirmed as working in science, technology, innovation or digital transformation,
  // among the expanded exemption cases), issued by the provincial People's Committee (Art. 4).
  // Art. 9 (procedure, news.laodong.vn 1559299 quoting it): (1) the employer lodges the file
  // "within 60 days and no less than 10 days" before the planned start of work, the work permit's
  // window; (3) the certificate within 5 working days of a complete file, a refusal in writing with
  // its reasons within 3 working days of the complete file (national administrative procedure
  // 1.014196, Decision 886/QĐ-BNV, as republished by Bắc Ninh in Decision 1513/QĐ-UBND, 22 Nov
  // 2025). So the reasons come with the refusal, within the decision time (refusalWithReasons), not
  // on a clock after it. Settled 7 Dec 2026 (s40): the English edition of news.laodong.vn 1559299
  // quotes Art. 9(3) in full: "Within 5 working days from the date of receiving a complete
  // application … the competent authority [issues the certificate] according to Form No. 2 … In case
  // of not being granted …, there must be a written response and a reason stated within 3 working
  // days from the date of receipt of the complete application" (an earlier note read it as 3 days for
  // either answer: wrong). So 5 working days for the certificate (decisionWorkingDays) is Art. 9(3);
  // a refusal is due sooner, 3 working days from the complete file. Not modelled as its own date: HR
  // cannot know beforehand which answer comes, and the 5-day date is the latest either is due. The
  // same quote gives Art. 9(1), the window "Within 60 days and no less than 10 days from the date the
  // foreign employee plans to work" (fileBeforeStartDays), and Art. 9(4) as below.
  // Not verified against the gazette text: the application form's number (Form 01 in earlier notes;
  // the certificate itself is Form 02 per the same article).
  // Art. 9(4) (same article as quoted): the cases of Labour Code Art. 154(4), (5), (6), (8) and of the
  // decree's Art. 7(2), (3), (5), (8), (10) and 13(a) need no certificate, only a notice to the
  // authority (at least 3 working days before, per the licensing firm's manual). Which clause of
  // Art. 7 holds the confirmed S&T expert (mondaq 1673670: "confirmed by relevant ministries or
  // provincial People's Committees to be working in … science and technology, innovation, and
  // national digital transformation") was NOT found: if it is one of those, the certificate tracked
  // here is a notice instead. HR marks the procedure not needed where the authority says so.
  // Unverified (7 Dec 2026): the clause of Art. 7 for the confirmed S&T expert. Searched: pages ("Article
  // 7 … science, technology, innovation … confirmed by ministries", "khoản … Điều 7 Nghị định
  // 219/2025 chuyên gia … khoa học công nghệ"), code (find_string "Điều 7. Người lao động nước ngoài
  // không thuộc diện", "chuyển đổi số quốc gia"), docs. Found only summaries naming the case without
  // its clause (mondaq.com 1673670, dblegal.vn 1307, vietnamlawmagazine.vn 76094, visa5s.com: "foreign
  // experts invited by central or local authorities to work in priority sectors such as finance,
  // science, technology, innovation, and digital transformation"; whether it needs the certificate
  // or only a notice, none of them says). Searched again 7 Dec 2026 (s40): pages ("Decree 219/2025
  // Article 7 exemption list … experts confirmed by ministry finance science technology innovation",
  // "dblegal cases exempt … priority sectors notification certificate", visa5s.com's page, whose
  // excerpt splits the cases needing a certificate from those needing a notice but stops before the
  // expert), code (the clause's likely wording, "được bộ, cơ quan ngang bộ, Ủy ban nhân dân cấp tỉnh
  // xác nhận … tài chính, khoa học, công nghệ, đổi mới sáng tạo"; find_string "lĩnh vực tài chính,
  // khoa học, công nghệ, đổi mới"): still not found. Unverified.
  // The 5 working days (decisionWorkingDays): Art. 9(3) as quoted above; the licensing manual ("cơ
  // quan cấp trong 05 ngày làm việc") and procedure 1.014196 agree; the gazette itself not read.
  work_permit_exemption: {
    legalBasis: {
      // The 5 working days are Art. 9(3), as news.laodong.vn 1559299 quotes it (above).
      vi: 'Nghị định 219/2025/NĐ-CP, giấy xác nhận không thuộc diện cấp giấy phép lao động (Điều 4, 9; cấp trong 05 ngày làm việc, khoản 3 Điều 9)',
      en: 'Decree 219/2025/ND-CP, certificate of exemption from a work permit (Art. 4, 9; issued within 5 working days, Art. 9(3))',
    },
    citation: { vi: 'Nghị định 219/2025/NĐ-CP, giấy xác nhận không thuộc diện cấp giấy phép lao động (Điều 4, 9)', en: 'Decree 219/2025/ND-CP, certificate of exemption from a work permit (Art. 4, 9)' },
    office: { vi: 'Ủy ban nhân dân cấp tỉnh (Sở Nội vụ)', en: "Provincial People's Committee (Department of Home Affairs)" },
    decisionWorkingDays: 5,
    refusalWithReasons: true,
    fileBeforeStartDays: { min: 10, max: 60 },
    documents: ['passport', 'degree', 'degree_translation', 'other'],
  },
  // Law 47/2014/QH13 on entry, exit, transit and residence of foreigners in Vietnam (amended by
  // 51/2019/QH14 and 23/2023/QH15), Art. 16(3): the inviting organisation applies to the immigration
  // department, which answers within 5 working days of receiving the request ("Trong thời hạn 05
  // ngày làm việc kể từ ngày nhận được văn bản đề nghị cấp thị thực…"; kctcvn.com quoting Art. 16,
  // lawnet.vn on Circular 31/2015/TT-BCA citing "Clause 3 Article 16"). Art. 10(4)(c): a foreigner
  // coming to work shows the work permit to be granted a visa (the 2014 wording, "phải có giấy phép
  // lao động theo quy định của pháp luật về lao động", found quoted); an exempt expert shows the
  // exemption certificate instead, which the LĐ1 symbol of Art. 8 presupposes. Not verified against
  // the gazette text: whether the 2019 amendment added the exemption certificate to point (c). The
  // visa comes after whichever of the two the case has.
  visa: {
    legalBasis: {
      vi: 'Luật 47/2014/QH13 (sửa đổi 2019, 2023), Điều 10, khoản 3 Điều 16: trả lời trong 05 ngày làm việc',
      en: 'Law 47/2014/QH13 (amended 2019, 2023), Art. 10, 16(3): reply within 5 working days',
    },
    citation: { vi: 'Luật 47/2014/QH13 (sửa đổi 2019, 2023), Điều 10, khoản 3 Điều 16', en: 'Law 47/2014/QH13 (amended 2019, 2023), Art. 10, 16(3)' },
    office: { vi: 'Cục/Phòng Quản lý xuất nhập cảnh (Bộ Công an)', en: 'Immigration Department (Ministry of Public Security)' },
    decisionWorkingDays: 5,
    documents: ['passport'],
    after: [['work_permit', 'work_permit_exemption']],
  },
  // Law 47/2014/QH13, Art. 37(1): the file (request of the inviting organisation, declaration with
  // photo, passport, proof of the Art. 36 case, e.g. the work permit); Art. 37(2)(c): "Trong thời
  // hạn 05 ngày làm việc kể từ ngày nhận đủ hồ sơ, cơ quan quản lý xuất nhập cảnh … xem xét cấp thẻ
  // tạm trú" (the 2014 text, tiimtravel.vn and thuvienphapluat.vn hoi-dap 35E05, both quoting clause
  // 1 (a)-(d) and clause 2 (a)-(c) in full, checked 7 Dec 2026; the same in summaries of the article as amended by Law
  // 51/2019, davilaw.vn, iguide.ai). Art. 38(1) (as restated by Law 51/2019): the card's term ends
  // at least 30 days before the passport expires (so the passport must be valid 30 days beyond the
  // card's end: server/documents/validity.ts reads the card end date recorded here).
  // Checked again 7 Dec 2026: the 5 working days match dnclawyer.com on Law 47/2014/QH13 ("Thời gian
  // giải quyết hồ sơ xin cấp thẻ tạm trú trong trường hợp này là 5 ngày làm việc", the family's TT
  // card, whose term it gives as "không quá 3 năm"); the sponsor's request for a card is form NA7 as
  // replaced by Circular 22/2023/TT-BCA (see procedureDocuments below).
  residence_card: {
    legalBasis: {
      vi: 'Luật 47/2014/QH13 (sửa đổi 2019, 2023), Điều 37, 38: cấp trong 05 ngày làm việc; hộ chiếu còn hạn ít nhất 30 ngày sau thẻ',
      en: 'Law 47/2014/QH13 (amended 2019, 2023), Art. 37, 38: issued within 5 working days; passport valid 30 days beyond the card',
    },
    citation: { vi: 'Luật 47/2014/QH13 (sửa đổi 2019, 2023), Điều 37, 38', en: 'Law 47/2014/QH13 (amended 2019, 2023), Art. 37, 38' },
    office: { vi: 'Cục/Phòng Quản lý xuất nhập cảnh (Bộ Công an)', en: 'Immigration Department (Ministry of Public Security)' },
    decisionWorkingDays: 5,
    documents: ['passport', 'photo', 'dependant_passport'],
    // The Art. 36 proof is the work permit or, for an exempt expert, the exemption certificate.
    after: [['work_permit', 'work_permit_exemption'], ['visa']],
  },
  // No administrative procedure: the institute arranges housing itself (a service with its own
  // target, server/workflow/transitions.ts SUPPORT_TRACK_DEADLINES), so no legal deadline. The
  // instruments behind it: Decree 249/2025/ND-CP for experts (housing allowances), Decree 231/2025/ND-CP
  // for chief engineers and architects (server/applications/present.ts, the support step's hint).
  // The DESIGN's "Decree 231/2025 (official housing or rent support)" for every track is wrong for
  // experts: Decree 249 Art. 1(2) excludes those of Decree 231. No time limit for housing was found
  // in either (their full texts not reached).
  housing: {
    legalBasis: { vi: 'Dịch vụ của viện (không có thời hạn theo luật)', en: "Institute's own service (no legal deadline)" },
    office: { vi: 'Phòng Tổ chức – Hành chính của viện', en: "Institute's administration office" },
    documents: ['passport'],
    internal: true,
  },
  // Law on Vietnamese Nationality 2008 (Law 24/2008/QH12, amended by Law 56/2014/QH13 and Law
  // 79/2025/QH15 of 24 June 2025, in force 1 July 2025), detailed by Decree 191/2025/ND-CP. Which
  // procedure depends on the applicant's past (walk33 #3: the text named only naturalisation, wrong
  // for the usual overseas Vietnamese scientist, who held the nationality and lost it):
  // - lost it (released to take another, Art. 26): restoration, Art. 23 (conditions), 24 (file),
  //   25 (procedure). Art. 23 as amended by Law 79/2025/QH15 Art. 1: anyone who lost it may apply
  //   (the old list of grounds is gone), not if it harms the national interest; the former
  //   Vietnamese name is taken back (a compound Vietnamese-foreign name when keeping the other
  //   nationality); the foreign nationality may be kept where that country's law allows it and it is
  //   not misused, with the President's permission (amended Art. 23(5), the two conditions set by the
  //   Government) (cand.com.vn i792718, lsvn.vn a156093, luatnguyen.vn 380; Decree 191/2025/ND-CP
  //   Art. 17 the file's papers, as quoted by baolamdong.vn 382078 and tapchinuocduc.com). No
  //   residence or language condition.
  // - never held it: naturalisation, Art. 19 (conditions), 20 (file), 21 (procedure), below.
  // - never lost it (Art. 13(2)): still a citizen; no procedure but registering with a Vietnamese
  //   mission to have it confirmed and a Vietnamese passport issued (vanthonglaw.com, luatlvn.com).
  // Lodging (Decree 191/2025/ND-CP Art. 5, as quoted by news.thuvienphapluat.vn 89729): online, in
  // person or by post for restoration; in person for naturalisation, at the provincial Department of
  // Justice where the person resides in Vietnam or at the Vietnamese mission abroad. The file then
  // runs through several stages (Department of Justice, police verification, People's Committee,
  // Ministry of Justice, President): no single decision deadline, so the institute's own target.
  // Not verified against the gazette text: the amended articles are read from the secondary sources
  // above; Art. 24-25's numbering after the 2025 amendment and the restoration's time limits. The
  // 2008 text's stages for restoration, Art. 25(2) as a thesis on 123docz.net summarises them (5
  // working days to the police, 20 days to verify, 5 working days to the provincial chairman, 5 to
  // the Ministry of Justice, then the President): stage limits, none for the whole, and whether Law
  // 79/2025/QH15 or Decree 191/2025/ND-CP changed them is unverified (searched "thời hạn giải quyết
  // hồ sơ xin trở lại quốc tịch … 2025"). So still the institute's own target, no legal date.
  // Searched again 7 Dec 2026 (s40, pages): "Law 79/2025/QH15 amending Article 21 naturalization
  // procedure within working days", "restoration of Vietnamese nationality 2025 procedure time limit
  // … Decree 191", "Law 79/2025/QH15 … Article 25 … within days of receiving complete dossier". The
  // Law's and the Decree's English texts (english.luatvietnam.vn 404188, 405398) are stored only in
  // their opening parts: Law 79 Art. 1(1) amends Art. 5; Decree 191 Art. 1 details Art. 19, 20(3), 23,
  // 24(2) among others (so the restoration's Art. 23 and 24 still bear those numbers after 2025). No time limit reached: unverified.
  citizenship: {
    legalBasis: {
      vi: 'Luật Quốc tịch Việt Nam 2008 (sửa đổi 2014, 2025): trở lại quốc tịch cho người đã mất quốc tịch Việt Nam, Điều 23–25; nhập quốc tịch cho người chưa từng có, Điều 19–21; Nghị định 191/2025/NĐ-CP',
      en: 'Law on Vietnamese Nationality 2008 (amended 2014, 2025): restoration for one who lost Vietnamese nationality, Art. 23–25; naturalisation for one who never held it, Art. 19–21; Decree 191/2025/ND-CP',
    },
    // Naturalisation: Law 79/2025/QH15 Art. 1(5), amending Art. 19 (in force 1 Jul 2025): a person whose
    // naturalisation benefits the State is exempt from points c, d, đ and e of Art. 19(1): the
    // Vietnamese language, living (permanent residence) in Vietnam, 5 years of it, and livelihood
    // (news.laodong.vn 1528879 on the law as passed: "exempted from the conditions specified in
    // Points c, d, dd, e, Clause 1, Article 19"; the amended article as quoted by tracuuquyhoach.com
    // 52683783: "(d) Đang thường trú ở Việt Nam; (đ) Thời gian thường trú ở Việt Nam từ 05 năm trở
    // lên…"; luatnguyencanh.com: "Theo quy định tại Khoản 5 Điều 1 Luật … 2025"; checked 7 Dec 2026.
    // The texts below named the 5 years but not living in Vietnam itself: corrected), and may file
    // at a Vietnamese mission abroad; Decree 191/2025/ND-CP: that
    // is outstanding talent in science, technology, innovation (among other fields) confirmed by a
    // ministry-level body, or an international award (baotintuc.vn 20250703180147320, moj.gov.vn
    // ItemID=4633, pbgdplthainguyen.gov.vn 1420). Without it, the 5 years of residence apply: hence
    // the "file by" date is the institute's target only for an applicant the exemption covers, or
    // one restoring the nationality (no residence condition, Art. 23 as amended).
    conditions: {
      vi: 'Người đã mất quốc tịch Việt Nam (phần lớn người Việt Nam ở nước ngoài đã nhập quốc tịch khác) xin trở lại quốc tịch: không cần điều kiện thường trú hay biết tiếng Việt, lấy lại tên gọi Việt Nam trước đây, và có thể giữ quốc tịch nước ngoài nếu pháp luật nước đó cho phép và được Chủ tịch nước cho phép (Điều 23, sửa đổi bởi Luật 79/2025/QH15). Người chưa từng có quốc tịch Việt Nam xin nhập quốc tịch: người có tài năng vượt trội về khoa học, công nghệ, đổi mới sáng tạo… được cơ quan cấp bộ xác nhận được miễn các điều kiện biết tiếng Việt, đang thường trú tại Việt Nam, thường trú từ 5 năm và bảo đảm cuộc sống tại Việt Nam (Điều 19, sửa đổi 2025; Nghị định 191/2025/NĐ-CP), viện đề nghị xác nhận này; nếu không được miễn, cần thường trú tại Việt Nam từ 5 năm. Người chưa mất quốc tịch Việt Nam không cần thủ tục này: chỉ đăng ký với cơ quan đại diện Việt Nam để được xác định có quốc tịch và cấp hộ chiếu Việt Nam (khoản 2 Điều 13).',
      en: 'One who lost Vietnamese nationality (most overseas Vietnamese who took another) applies to restore it: no residence or language condition, the former Vietnamese name is taken back, and the foreign nationality may be kept where that country\'s law allows it, with the President\'s permission (Art. 23, as amended by Law 79/2025/QH15). One who never held it is naturalised: outstanding talent in science, technology or innovation, confirmed by a ministry-level body, is exempt from the conditions of the Vietnamese language, living in Vietnam, 5 years\' residence there and livelihood (Art. 19, as amended in 2025; Decree 191/2025/ND-CP), and the institute asks for that confirmation; without the exemption, 5 years of residence in Vietnam are needed. One who never lost it needs no such procedure: they register with a Vietnamese mission to have it confirmed and get a Vietnamese passport (Art. 13(2)).',
    },
    office: { vi: 'Sở Tư pháp cấp tỉnh', en: 'Provincial Department of Justice' },
    documents: ['passport', 'criminal_record', 'other'],
  },
};

/**
 * Whether the case's citizenship procedure is a naturalisation that cannot be lodged yet as far as
 * the case shows: the applicant is not an overseas Vietnamese (so never held the nationality, no
 * restoration under Art. 23) nor a citizen. Naturalisation needs permanent residence in Vietnam and
 * 5 years of it (Law on Vietnamese Nationality Art. 19(1)(d), (đ), as amended by Law 79/2025/QH15,
 * in force 1 Jul 2025; mondaq.com 1647456, luatnguyen.vn 622, checked 7 Dec 2026) unless exempt (the
 * outstanding talent confirmed by a ministry-level body, Decree 191/2025/ND-CP; see `citizenship`
 * above): the case records no such confirmation, so no filing date is promised (walk s35 #2).
 */
export function naturalisationAwaitsResidence(c: { profile?: { nationality?: string | null; overseasVietnamese?: boolean | null } | null } | null | undefined): boolean {
  return !!c && c.profile?.overseasVietnamese !== true && c.profile?.nationality !== 'VN';
}

/**
 * Whether the procedure has no filing target before it is lodged: a naturalisation that awaits the
 * residence condition or its exemption (naturalisationAwaitsResidence). No law gives the applicant a
 * filing deadline (Law on Vietnamese Nationality Art. 19-21, as amended by Law 79/2025/QH15), and the
 * authorities' stages run from a complete file (Decree 191/2025/ND-CP; see `citizenship` above): an
 * institute target 60 working days out would go overdue, escalate and be e-mailed as a date she
 * cannot meet. The acceptance e-mail, both procedure pages and every procedure e-mail say the
 * condition instead; HR records the filing when the file is lodged (its follow-up date counts from it).
 * A restoration (an overseas Vietnamese, Art. 23, no residence condition) keeps the institute's target.
 * Checked 7 Dec 2026 (search tool): the 5 years count "tính đến thời điểm nộp đơn", to the day the file
 * is lodged, and from the day the permanent residence card was issued (Decree 191/2025/ND-CP as
 * summarised by dailoan.news 2025/07/12: "Thời gian thường trú được tính từ ngày cấp thẻ"); lodging in
 * person at the Department of Justice or a mission, Decree 191/2025/ND-CP Art. 5 (news.thuvienphapluat.vn
 * 89729). Neither sets the applicant a date to file by.
 */
export function filingTargetWithheld(kind: string, c: Parameters<typeof naturalisationAwaitsResidence>[0]): boolean {
  return kind === 'citizenship' && naturalisationAwaitsResidence(c);
}

/**
 * A procedure before filing (requested, preparing) whose filing target is withheld: a target stored
 * for it (before it was withheld) is no date: not counted again, escalated, named or moved.
 */
export function trackTargetWithheld(track: { kind: string; status: string }, c: Parameters<typeof naturalisationAwaitsResidence>[0]): boolean {
  return (track.status === 'requested' || track.status === 'preparing') && filingTargetWithheld(track.kind, c);
}

/**
 * The papers a procedure is lodged with, for this case. A Vietnamese citizen (nationality VN) needs no
 * visa of their own (server/applications/family-support.ts vietnameseCitizen): their case's visa
 * procedure is their foreign family members' TT visas. Law 47/2014/QH13 Art. 8(18), as amended by
 * Law 51/2019/QH14: TT is issued to a foreigner who is the parent, spouse or child of a Vietnamese
 * citizen. Art. 14 and 16: the inviting or sponsoring person (here the citizen, their relative) applies
 * to the Immigration Department, which answers within 5 working days (Art. 16(3), as for the visa
 * rule above). Circular 04/2015/TT-BCA, form NA3 (a citizen's request to sponsor a foreign relative),
 * the form as replaced by Circular 22/2023/TT-BCA of 30 Jun 2023, in force 15 Aug 2023 (its list:
 * "Amendment to sponsoring application form for foreign family members to enter Vietnam (NA3)",
 * "… for temporary resident card (NA7)"; thuvienphapluat.vn 574223, dulieuphapluat.vn 1124409,
 * vietnam-immi.org; luatsux.vn prints the form as "Mẫu (Form) NA3 Kèm theo Thông tư số 22/2023/TT-BCA"):
 * filed with the sponsor's identity paper and papers proving the relationship (marriage certificate,
 * birth certificate), those issued abroad legalised and translated (Decree 111/2011/ND-CP Art. 4(2),
 * consular legalisation of foreign papers; or an apostille from a Hague Convention state since 11 Sep
 * 2026, server/planner/validity.ts). So the file is the family members' passports, the proof
 * of relationship, and the citizen's own passport, which shows the TT ground (family of a Vietnamese
 * citizen) whoever sponsors; not "your passport for your visa".
 * Who sponsors: Law 47/2014/QH13 Art. 45(1)(b) and (c) give the right to sponsor foreign relatives'
 * entry and their temporary residence cards to "Vietnamese citizens permanently residing in the
 * country" ("công dân Việt Nam thường trú ở trong nước"; the 2014 text as translated on
 * vietnamentryvisa.com, article-45 page, found with the search tool). Unverified (7 Dec 2026):
 * whether Law 51/2019/QH14 or 23/2023/QH15 reworded Art. 45; searched pages ("Điều 45 Luật 47/2014
 * … công dân Việt Nam thường trú ở trong nước bảo lãnh", "Article 45 … as amended Law 51/2019"),
 * found only Art. 44(1)(b) for a foreign card holder sponsoring family (thuvienphapluat.vn) and the
 * 2014 text. A citizen living abroad without permanent
 * residence in Vietnam therefore cannot sponsor them as an individual until registered there; the
 * page says so and leaves the other sponsor to HR (procedures.visaType.familyOfCitizen). Not found:
 * whether the institute, as the inviting organisation of Art. 45(1)(a), may sponsor a citizen
 * employee's foreign spouse; the papers asked are the same either way.
 */
export function procedureDocuments(kind: ProcedureKind, c: FamilyCase | undefined): readonly DocumentType[] {
  if (kind === 'visa' && c && papersForFamily(c)) return ['dependant_passport', 'relationship_proof', 'passport'];
  // A foreigner whose family's TT visas go with their own (family support asked): Law 47/2014/QH13
  // Art. 8(18) as amended by Law 51/2019/QH14 gives TT to the spouse and children under 18 of a
  // foreigner holding an LĐ1/LĐ2 visa; the sponsor files their passports and the legalised proof of
  // the relationship with it (Decree 111/2011/ND-CP Art. 9). The page said the TT visas "go with this
  // procedure" above a list naming the applicant's passport alone (walk 33).
  if (kind === 'visa' && c && familyVisasWanted(c)) return ['passport', 'dependant_passport', 'relationship_proof'];
  return PROCEDURE_RULES[kind].documents;
}

/**
 * "More is asked" of the applicant within a procedure (server/procedures/asks.ts).
 *
 * The applicant's due date: the institute's own choice, no law sets it; the working days offered by
 * default (HR may choose another day). Kept per procedure: a document from abroad (a criminal record
 * certificate, a legalised degree) takes longer than a photo or a corrected form.
 */
export const ASK_WORKING_DAYS: Record<ProcedureKind, number> = {
  work_permit: 10,
  work_permit_exemption: 10,
  visa: 5,
  residence_card: 5,
  housing: 5,
  citizenship: 15,
};
/** The latest due date HR may give, in calendar days (as the screening's information request: a longer wait is a hold). */
export const ASK_MAX_DAYS = 90;

/**
 * Whether an authority's decision clock stops while the file is completed. Decree 219/2025/ND-CP
 * counts the work permit's 10 working days (and the exemption certificate's 5, Art. 9(3)) "from
 * receiving a complete file" ("kể từ ngày nhận đủ hồ sơ": national procedures 1.014199 and 1.014196,
 * Decision 886/QĐ-BNV; en.sggp.org.vn post119473; visaverge.com on the decree: "review a complete
 * dossier and decide within 10 working days"); Law 47/2014/QH13 Art. 37(2)(c) counts the residence
 * card's 5 the same way ("kể từ ngày nhận đủ hồ sơ"). So a file the authority finds incomplete has
 * no decision clock until the missing part is received, and the full time counts again from that
 * day. NOT verified against the gazette text: a clause of the decree saying in so many words that
 * a supplement request suspends the time (searched, not found), nor whether an authority that asks
 * for a mere clarification keeps its clock running. So stopping the clock is HR's choice on each
 * request (offered only where a decision time runs: a filed procedure with one), not automatic.
 */
export function clockCanStop(kind: ProcedureKind, status: string): boolean {
  return status === 'filed' && PROCEDURE_RULES[kind].decisionWorkingDays !== undefined;
}

/**
 * The nearest day inside the legal filing window to `target` (a day's end), or `target` where there
 * is no window: how a target HR types is checked (service.ts nextTrack refuses one outside, naming
 * this day). A target before the window opens would go overdue (and escalate) before the file can be
 * lodged at all; one after it closes would let the legal last day pass unflagged.
 */
export function lodgingDue(kind: ProcedureKind, target: Date, plannedStart: Date | null | undefined): Date {
  const w = filingWindow(kind, plannedStart);
  if (!w) return target;
  const { opens, closes } = w;
  if (target.getTime() < opens.getTime()) return opens;
  if (target.getTime() > closes.getTime()) return closes;
  return target;
}

/**
 * How far a recorded filing day is from the planned start when it lies outside the procedure's legal
 * filing window (the work permit and its exemption: 60 to 10 days before, Decree 219/2025/ND-CP,
 * national procedures 1.014199 and 1.014196, see fileBeforeStartDays), or undefined. A filing is a fact recorded as it happened: HR is
 * told, at save and on the procedure's page (a typo, or the authority may return the file), not refused.
 */
export function filingOutsideWindow(kind: ProcedureKind, filedAt: Date | null | undefined, plannedStart: Date | null | undefined): { days: number; min: number; max: number } | undefined {
  const w = PROCEDURE_RULES[kind].fileBeforeStartDays;
  if (!w || !filedAt || !plannedStart) return undefined;
  const days = vnDayNumber(plannedStart) - vnDayNumber(filedAt);
  if (days >= w.min && days <= w.max) return undefined;
  return { days, min: w.min, max: w.max };
}

/**
 * The legal filing window for a planned start of work: the first and the last day a file may be
 * lodged (each as its day's end), or undefined where the procedure has none or the start is not
 * known. Decree 219/2025/ND-CP: "within 60 days and at least 10 days before" the planned start (the
 * work permit and its exemption, Art. 9(1) for the exemption as quoted by news.laodong.vn 1559299;
 * the work permit's article number not verified against the gazette text; socius.dthanhbinh.com:
 * "Submit … 10–60 days before the intended start date"). Shown as two dates ("File between … and
 * …"): the first day is when filing becomes allowed, never a deadline.
 */
export function filingWindow(kind: ProcedureKind, plannedStart: Date | null | undefined): { opens: Date; closes: Date } | undefined {
  const w = PROCEDURE_RULES[kind].fileBeforeStartDays;
  if (!w || !plannedStart) return undefined;
  const DAY = 86_400_000;
  return { opens: vnEndOfDay(new Date(plannedStart.getTime() - w.max * DAY)), closes: vnEndOfDay(new Date(plannedStart.getTime() - w.min * DAY)) };
}

/**
 * Working days the default filing target keeps before the window's last day. The institute's own
 * choice, no law sets it: a file the one-stop counter hands back as incomplete (a missing
 * translation, a certificate too old, Decree 219/2025/ND-CP Art. 18) can then be completed and
 * lodged again inside the window, and the last day itself may be a weekend day, when no file is
 * received. HR may move the target anywhere inside the window (service.ts nextTrack, targetAt).
 */
export const LODGING_MARGIN_WORKING_DAYS = 5;

/**
 * Working days from lodging this procedure until the expert can enter to start work: its own
 * decision time and that of the visa, which waits for it (Law 47/2014/QH13 Art. 10(4)(c), `after`
 * above; both times cited with decisionWorkingDays). The residence card comes after entry and is
 * not counted.
 */
export function leadToEntryWorkingDays(kind: ProcedureKind): number {
  const own = PROCEDURE_RULES[kind].decisionWorkingDays ?? 0;
  const visaWaits = (PROCEDURE_RULES.visa.after ?? []).some((group) => group.includes(kind));
  return own + (visaWaits ? (PROCEDURE_RULES.visa.decisionWorkingDays ?? 0) : 0);
}

/**
 * The institute's default day to lodge a file by: the day `workingDays` after `from` counted on the
 * calendar (`counted`), made a real deadline inside the legal window where there is one. The window
 * opening is when filing becomes allowed, not a deadline. The latest default is the day that still
 * leaves, before the planned start, the decision and the visa after it (leadToEntryWorkingDays) and
 * LODGING_MARGIN_WORKING_DAYS for a file handed back: with the window's last day less the margin
 * instead (17 days before the start), the permit's 10 working days and the visa's 5 ended after the
 * start, and the planner showed entry late. Never before the window opens; where that day has passed
 * when counting (a late offer), the window's last day less the margin, else the last day itself.
 * A counted day before the window opens, or after the latest, becomes the latest.
 */
export function lodgingTarget(kind: ProcedureKind, calendar: WorkingCalendar, from: Date, counted: Date, plannedStart: Date | null | undefined): Date {
  if (kind === 'residence_card') return cardTarget(calendar, counted, plannedStart);
  const w = filingWindow(kind, plannedStart);
  if (!w || !plannedStart) return counted;
  const margin = vnEndOfDay(calendar.addWorkingDays(w.closes, -LODGING_MARGIN_WORKING_DAYS));
  const ready = vnEndOfDay(calendar.addWorkingDays(vnEndOfDay(plannedStart), -(leadToEntryWorkingDays(kind) + LODGING_MARGIN_WORKING_DAYS)));
  const aim = new Date(Math.max(w.opens.getTime(), Math.min(ready.getTime(), margin.getTime())));
  const today = vnEndOfDay(from).getTime();
  const latest = [aim, margin, w.closes].find((d) => d.getTime() >= w.opens.getTime() && d.getTime() >= today) ?? w.closes;
  if (counted.getTime() < w.opens.getTime()) return latest;
  return counted.getTime() < latest.getTime() ? counted : latest;
}

/**
 * Working days after the planned start by which the institute aims to lodge the residence card file
 * (its own choice, no law sets it): the expert is then in Vietnam on the visa.
 */
export const CARD_AFTER_START_WORKING_DAYS = 5;

/**
 * The residence card's target: never before the expert can be in Vietnam. Law 47/2014/QH13 Art. 36(2)
 * as amended by Law 51/2019/QH14: a card is considered for a foreigner "nhập cảnh bằng thị thực có ký
 * hiệu … LĐ1, LĐ2 … TT" (who ENTERED on such a visa; secondary sources only: vanluat.com, "Người nước
 * ngoài nhập cảnh bằng thị thực có ký hiệu LV1, LV2, LS, ĐT1, ĐT2, ĐT3, NN1, NN2, DH, PV1, LĐ1, LĐ2, TT",
 * citing Art. 8 and 36; not checked against the gazette text), and Art. 37(1)(c) the file holds the passport, which carries
 * the entry stamp. So a target counted from the visa's grant (5 working days) fell weeks before the
 * planned start and showed the procedure overdue (and escalated it) while nothing could be filed
 * (walk-proc #3). The later of the count and CARD_AFTER_START_WORKING_DAYS after the planned start;
 * the count alone where no start is known.
 */
function cardTarget(calendar: WorkingCalendar, counted: Date, plannedStart: Date | null | undefined): Date {
  if (!plannedStart) return counted;
  const afterStart = vnEndOfDay(calendar.addWorkingDays(vnEndOfDay(plannedStart), CARD_AFTER_START_WORKING_DAYS));
  return afterStart.getTime() > counted.getTime() ? afterStart : counted;
}

/**
 * The day a procedure's target reads as the expert's start: for the residence card, the day they
 * entered Vietnam once HR recorded it (cardTarget: a card is for a foreigner who entered on the visa,
 * Law 47/2014/QH13 Art. 36(2) as amended by Law 51/2019/QH14, its file holding the passport with the
 * entry stamp, Art. 37(1)(c)), else the planned start; for the others the planned start (their filing
 * windows are the law's days before the start of work, not before an arrival).
 */
export function targetStart(kind: string, c: { arrivedAt?: Date | null; profile?: { plannedArrival?: Date | null } | null }): Date | null | undefined {
  return kind === 'residence_card' && c.arrivedAt ? c.arrivedAt : c.profile?.plannedArrival;
}

/**
 * The residence card's target once the arrival is recorded: its count read again against the day the
 * expert entered (targetStart), so an arrival months before the planned start no longer leaves the
 * card "82 working days" away, nor a late one a target before the entry (walk33 #6). Only a counted
 * target not yet filed: one HR typed stays where HR put it. Pure.
 */
export function cardTargetOnArrival<T extends { kind: string; status: string; dueAt?: Date | null; dueCount?: unknown }>(
  tracks: readonly T[],
  calendar: WorkingCalendar,
  arrivedOn: Date,
): { tracks: T[]; moved?: { from: Date; to: Date } } {
  let moved: { from: Date; to: Date } | undefined;
  const next = tracks.map((t) => {
    if (t.kind !== 'residence_card' || (t.status !== 'requested' && t.status !== 'preparing') || !t.dueAt || !isDueCount(t.dueCount)) return t;
    const to = cardTarget(calendar, countedDeadline(calendar, t.dueCount), arrivedOn);
    if (to.getTime() === t.dueAt.getTime()) return t;
    moved = { from: t.dueAt, to };
    return { ...t, dueAt: to };
  });
  return { tracks: next, ...(moved ? { moved } : {}) };
}

/**
 * The earliest planned start a file not yet lodged can still meet, as a day ('YYYY-MM-DD'): the first
 * day the authority receives files from `now` (today when it is a working day, else the next one),
 * plus the window's minimum (Decree 219/2025/ND-CP, the work permit and its exemption: lodged "at least
 * 10 days before" the planned start, see fileBeforeStartDays). Undefined where the procedure has no
 * window. An offer or a planned start sooner than this day can no longer be met by any filing
 * (walk-proc #1, #2: an offer accepted for a start whose window had closed started the case overdue,
 * and nobody was told to move the start).
 */
export function earliestStartForFiling(kind: ProcedureKind, calendar: WorkingCalendar, now: Date): string | undefined {
  const w = PROCEDURE_RULES[kind].fileBeforeStartDays;
  if (!w) return undefined;
  const firstFilingDay = calendar.isWorkingDay(now) ? now : calendar.addWorkingDays(now, 1);
  return vnDateKey(new Date(vnStartOfDay(vnDateKey(firstFilingDay)).getTime() + w.min * 86_400_000));
}

/**
 * A procedure's lodging deadline `workingDays` after `from`, made a deadline inside its filing
 * window (lodgingTarget), with the count kept beside it so a holiday added later moves it
 * (server/cases/deadline-recount.ts counts it again the same way).
 */
export function countedLodgingDue(kind: ProcedureKind, calendar: WorkingCalendar, from: Date, workingDays: number, plannedStart: Date | null | undefined): { dueAt: Date; dueCount: DueCount } {
  const dueCount = { from, workingDays };
  return { dueAt: lodgingTarget(kind, calendar, from, countedDeadline(calendar, dueCount), plannedStart), dueCount };
}

/**
 * The last day a residence card may run to, given the passport's expiry. Law 47/2014/QH13 Art. 38(1)
 * as restated by Law 51/2019/QH14: "Thời hạn thẻ tạm trú được cấp ngắn hơn thời hạn còn lại của hộ
 * chiếu ít nhất 30 ngày" (the card's term is at least 30 days shorter than the passport's remaining
 * validity; wording checked against thetamtru.com.vn quoting the amended article, and pnvt.vn and
 * eng.binhduong.gov.vn quoting the 2014 one, the same rule). The same 30 days as the passport's
 * validity rule (server/planner/validity.ts).
 */
export function cardLatestEnd(passportExpires: Date): Date {
  const days = (VALIDITY_RULES.passport as ExpiryRule).marginDays;
  return vnEndOfDay(new Date(passportExpires.getTime() - days * 86_400_000));
}

/**
 * The last day a residence card for work may run to, given its first day. Law 47/2014/QH13 Art. 38
 * as amended by Law 51/2019/QH14: cards with the symbols LĐ1 and LĐ2 run at most 2 years (clause 5
 * of the restated article, clause 4 in the 2014 text: "Thẻ tạm trú có ký hiệu LĐ … có thời hạn không
 * quá 02 năm", eng.binhduong.gov.vn quoting the 2014 article; spl-law.com.vn on the 2019 amendment;
 * WORK_CARD_MAX_MONTHS). The case's card is the expert's, issued on the work permit or the
 * exemption (PROCEDURE_RULES.residence_card.after), so always a work card. The family's TT cards
 * may run 3 years (clause 4 as restated: "NN1, NN2, ĐT3, TT … không quá 03 năm"), but the case
 * records only the expert's card's term, so nothing here reads them. Counted to the same day of
 * the month 2 years on (31 March → 31 March; 29 February → 28 February): an upper bound that
 * catches a mistyped year, not a ruling on whether the last day itself is included.
 */
export function workCardLatestEnd(cardStartsAt: Date): Date {
  const [y, m, d] = vnDateKey(cardStartsAt).split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + WORK_CARD_MAX_MONTHS;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12;
  const last = new Date(Date.UTC(ny, nm + 1, 0)).getUTCDate();
  return vnEndOfDay(vnStartOfDay(`${ny}-${String(nm + 1).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`));
}

/** A document as the card check reads it: a current version (the default) or not. */
export interface PassportLike {
  type: string;
  status?: string | null;
  current?: boolean | null;
  expiresAt?: Date | null;
}

/**
 * The expiry a residence card is checked against: the accepted current passport's (the latest if
 * more than one). Undefined when none is accepted: nothing to check against yet (a new passport
 * waiting for HR's check does not count until accepted).
 */
export function passportExpiryOnFile(documents: readonly PassportLike[]): Date | undefined {
  const expiries = documents.filter((d) => d.type === 'passport' && d.status === 'accepted' && d.current !== false && d.expiresAt).map((d) => d.expiresAt!.getTime());
  return expiries.length ? new Date(Math.max(...expiries)) : undefined;
}

export interface CardBeyondPassport {
  cardEndsAt: Date;
  /** The last day the card may run to with this passport (cardLatestEnd). */
  latest: Date;
  passportExpires: Date;
  /** Days the card must end before the passport (Law 47/2014/QH13 Art. 38(1)). */
  days: number;
}

/** A residence card end later than the passport on file allows (Art. 38(1), cardLatestEnd), or undefined. */
export function cardBeyondPassport(cardEndsAt: Date | null | undefined, passportExpires: Date | undefined): CardBeyondPassport | undefined {
  if (!cardEndsAt || !passportExpires) return undefined;
  const latest = cardLatestEnd(passportExpires);
  if (vnDateKey(cardEndsAt) <= vnDateKey(latest)) return undefined;
  return { cardEndsAt, latest, passportExpires, days: (VALIDITY_RULES.passport as ExpiryRule).marginDays };
}

/**
 * The case's residence card, recorded earlier, as the passport now on file leaves it: the rule is
 * checked when the card's end is saved, but a passport accepted later (a renewal with an earlier
 * expiry, an expiry corrected) can break it without anyone saving the card again. Only a card that
 * is or will be held counts (not one refused or not needed). `issued`: granted already, so the
 * card itself has to be applied for again; otherwise its end date (or the passport) is corrected.
 */
export function residenceCardConflict(
  tracks: ReadonlyArray<{ kind: string; status: string; cardEndsAt?: Date | null }> | null | undefined,
  documents: readonly PassportLike[],
): (CardBeyondPassport & { issued: boolean }) | undefined {
  const card = (tracks ?? []).find((t) => t.kind === 'residence_card');
  if (!card || card.status === 'not_needed' || card.status === 'refused') return undefined;
  const conflict = cardBeyondPassport(card.cardEndsAt, passportExpiryOnFile(documents));
  return conflict ? { ...conflict, issued: card.status === 'approved' } : undefined;
}

/**
 * The visa symbol a case's visa is asked for under, from its work-permit track. Law 47/2014/QH13
 * Art. 8 as amended by Law 51/2019/QH14: "LĐ1 - Cấp cho người nước ngoài làm việc tại Việt Nam có
 * xác nhận không thuộc diện cấp giấy phép lao động" (exemption certificate); "LĐ2 - Cấp cho người
 * nước ngoài vào lao động tại Việt Nam thuộc diện phải có giấy phép lao động" (work permit); "TT -
 * Cấp cho người nước ngoài là vợ, chồng, con dưới 18 tuổi của người nước ngoài được cấp thị thực ký
 * hiệu … LĐ1, LĐ2 …" (spouse and children under 18). Wording checked against secondary sources
 * (Ủy ban Nhà nước về người Việt Nam ở nước ngoài, quehuongonline.vn; law firms' summaries of Law
 * 51/2019; htlaw.vn). Not verified against the gazette text: the clause numbers inside Art. 8, so
 * only the article is cited.
 * The proof granted decides; else the one still running (a refused permit with an exemption under
 * way is LĐ1); neither track: undefined (not known yet).
 */
export function visaSymbol(tracks: ReadonlyArray<{ kind: string; status: string }>): 'LĐ1' | 'LĐ2' | undefined {
  const statusOf = (k: ProcedureKind) => tracks.find((t) => t.kind === k)?.status ?? 'not_needed';
  const permit = statusOf('work_permit');
  const exemption = statusOf('work_permit_exemption');
  if (exemption === 'approved') return 'LĐ1';
  if (permit === 'approved') return 'LĐ2';
  const running = (s: string) => s !== 'not_needed' && s !== 'refused';
  if (running(exemption)) return 'LĐ1';
  if (running(permit)) return 'LĐ2';
  return undefined;
}

export function isProcedureKind(v: unknown): v is ProcedureKind {
  return typeof v === 'string' && (PROCEDURE_KINDS as readonly string[]).includes(v);
}

/**
 * The procedures this one still waits for: those it comes after (`after`) that the case has (a
 * track other than 'not_needed') and that are not granted yet. Until they are, it cannot be lodged
 * (a visa needs the work permit or the exemption, Law 47/2014 Art. 10(4)(c); the residence card
 * the visa and the permit, Art. 37(1)), so it has no clock running and cannot be marked filed.
 */
export function waitingFor(kind: ProcedureKind, tracks: ReadonlyArray<{ kind: string; status: string }>): ProcedureKind[] {
  return waitingGroups(kind, tracks).flat();
}

/**
 * waitingFor, group by group: each group is waited for until any one of its members is granted
 * (the visa: the work permit or the exemption, either will do), and every group is (the residence
 * card: that proof and the visa). Said "either … or …" within a group, "… and …" between them.
 */
export function waitingGroups(kind: ProcedureKind, tracks: ReadonlyArray<{ kind: string; status: string }>): ProcedureKind[][] {
  const statusOf = (k: ProcedureKind) => tracks.find((t) => t.kind === k)?.status ?? 'not_needed';
  const waits: ProcedureKind[][] = [];
  for (const group of PROCEDURE_RULES[kind].after ?? []) {
    // Either proof will do: a work permit refused and its exemption granted lets the visa go ahead.
    const needed = group.filter((k) => statusOf(k) !== 'not_needed');
    if (needed.length === 0 || needed.some((k) => statusOf(k) === 'approved')) continue;
    const running = needed.filter((k) => statusOf(k) !== 'refused');
    waits.push(running.length ? running : needed);
  }
  return waits;
}
