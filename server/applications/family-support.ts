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

interface FamilyCase {
  supportRequested?: { family?: boolean | null; visa?: boolean | null } | null;
  dependants?: ReadonlyArray<{ fullName?: string | null; relationship?: string | null }> | null;
}

/** Family support asked, with family members named: their TT visas go with the visa procedure. */
export function familyVisasWanted(c: FamilyCase): boolean {
  return !!c.supportRequested?.family && (c.dependants ?? []).length > 0;
}

/** "Emma Weber (spouse), Minh (child)": the family members as the applicant entered them, in the reader's language. */
export function familyMembersText(t: TFunction, c: FamilyCase): string {
  return (c.dependants ?? [])
    .map((d, i) => {
      const name = d.fullName?.trim() || t('applications.dependants.person', { number: i + 1 });
      return d.relationship ? `${name} (${t(`applications.relationships.${d.relationship}`)})` : name;
    })
    .join(', ');
}

/**
 * What happens to the family support asked, for the applicant (the acceptance page) or HR (the case
 * page), or undefined when none was asked. Without family members named (an application submitted
 * before they were required) it says that too, rather than promising visas for no one.
 */
export function familySupportText(t: TFunction, c: FamilyCase, reader: 'applicant' | 'hr'): string | undefined {
  if (!c.supportRequested?.family) return undefined;
  if (!familyVisasWanted(c)) return t(`applications.family.${reader}.noMembers`);
  return t(`applications.family.${reader}.visas`, { names: familyMembersText(t, c) });
}
