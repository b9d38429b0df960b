// What becomes of the "family support" an applicant asks for (supportRequested.family, with their
// dependants): it is no procedure of its own. The family members' visas are TT visas, issued to the
// spouse and children under 18 of a foreigner holding an LĐ1/LĐ2 visa, and to the parents, spouse
// and children of a Vietnamese citizen (Law 47/2014/QH13 Art. 8, as amended by Law 51/2019/QH14):
// they are applied for with the visa, so the acceptance starts the visa procedure for them even when
// the applicant asked no visa for themselves. Schooling and the spouse's work have no procedure in the
// portal: the applicant is told to ask the HR office, HR is told to agree them with the applicant.
// One place for the rule, read by the workflow (server/workflow ACCEPTANCE), the acceptance page, the
// case pages and the visa procedure's view, so that what was asked is never silently dropped.
import type { TFunction } from 'i18next';

export interface FamilyCase {
  supportRequested?: { family?: boolean | null; visa?: boolean | null; residenceCard?: boolean | null } | null;
  profile?: { nationality?: string | null } | null;
  dependants?: ReadonlyArray<{ fullName?: string | null; relationship?: string | null; nationality?: string | null }> | null;
}

/**
 * The applicant is a Vietnamese citizen (their nationality given as VN): they need no visa, which is
 * the entry paper of a foreigner (Law 47/2014/QH13 Art. 1, 3(11)), so the visa procedure of their
 * case is only their foreign family members' TT visas (Art. 8(18), as amended by Law 51/2019/QH14:
 * the parents, spouse and children of a Vietnamese citizen).
 */
export function vietnameseCitizen(c: Pick<FamilyCase, 'profile'>): boolean {
  return c.profile?.nationality === 'VN';
}

/** The family members who are foreigners (a nationality other than VN, or none given): only they need a visa. */
function foreignMembers(c: FamilyCase): Array<{ d: NonNullable<FamilyCase['dependants']>[number]; i: number }> {
  return (c.dependants ?? []).map((d, i) => ({ d, i })).filter(({ d }) => d.nationality !== 'VN');
}

/** Some family member named is a foreigner, who needs a visa (TT) to come along. */
export function foreignFamily(c: FamilyCase): boolean {
  return foreignMembers(c).length > 0;
}

/**
 * The temporary residence card asked is started: a foreigner's own; for a Vietnamese citizen, who needs
 * none, only with foreign family members entered (their TT cards). A tick stored before the support
 * step checked this starts nothing.
 */
export function residenceCardWanted(c: FamilyCase): boolean {
  return !!c.supportRequested?.residenceCard && (!vietnameseCitizen(c) || papersForFamily(c));
}

/**
 * The visa procedure is started: for a foreigner's own visa asked, or for family members' TT visas. A
 * Vietnamese citizen needs no visa of their own (vietnameseCitizen): their tick is for foreign family
 * members' TT visas, so with none entered it starts nothing (walk-staff: HR got a visa procedure with a
 * 5-working-day target "for the TT visas of their family members" of an applicant with no family).
 */
export function visaWanted(c: FamilyCase): boolean {
  return (!!c.supportRequested?.visa && (!vietnameseCitizen(c) || foreignFamily(c))) || familyVisasWanted(c);
}

/**
 * A Vietnamese citizen with foreign family members: their residence card procedure is the family's TT
 * cards and their visa procedure the family's TT visas (named on pages and e-mails; the visa's papers
 * are the family's, server/procedures/rules.ts procedureDocuments), none their own.
 */
export function papersForFamily(c: FamilyCase): boolean {
  return vietnameseCitizen(c) && foreignFamily(c);
}

/** Family support asked, with foreign family members named: their TT visas go with the visa procedure. */
export function familyVisasWanted(c: FamilyCase): boolean {
  return !!c.supportRequested?.family && foreignFamily(c);
}

/** "Emma Weber (spouse), Minh (child)": the family members who need a visa as the applicant entered them, in the reader's language. */
export function familyMembersText(t: TFunction, c: FamilyCase): string {
  return foreignMembers(c)
    .map(({ d, i }) => {
      const name = d.fullName?.trim() || t('applications.dependants.person', { number: i + 1 });
      return d.relationship ? `${name} (${t(`applications.relationships.${d.relationship}`)})` : name;
    })
    .join(', ');
}

/**
 * What happens to the family support asked, for the applicant (the acceptance page) or HR (the case
 * page), or undefined when none was asked. Without family members named (an application submitted
 * before they were required) it says that too, rather than promising visas for no one; with only
 * Vietnamese citizens named, that none needs a visa. A Vietnamese-citizen applicant is told the visa
 * procedure is their family's alone (they need none).
 */
export function familySupportText(t: TFunction, c: FamilyCase, reader: 'applicant' | 'hr'): string | undefined {
  if (!c.supportRequested?.family) return undefined;
  if (!(c.dependants ?? []).length) return t(`applications.family.${reader}.noMembers`);
  if (!familyVisasWanted(c)) return t(`applications.family.${reader}.allVietnamese`);
  return t(`applications.family.${reader}.${vietnameseCitizen(c) ? 'citizenVisas' : 'visas'}`, { names: familyMembersText(t, c) });
}
