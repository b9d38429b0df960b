// The case page reads the case and its documents through the driver (server/support/lean-read.ts):
// the same records as Mongoose's lean reads, the `select: false` paths (pending audit events)
// left out as Mongoose leaves them out.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { testDatabase } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { findCaseRecordFor } from '../../server/cases/access.ts';
import { caseDocumentVersions } from '../../server/documents/present.ts';
import { storedId, unselectedPaths } from '../../server/support/lean-read.ts';
import { caseNamesAndApplicant } from '../../server/cases/people.ts';
import { User } from '../../models/user.ts';

describe('cases: the case page reads through the driver', () => {
  before(async () => {
    await testDatabase();
  });

  it('knows the paths Mongoose never selects unless asked: the pending audit events of a case and of a document', () => {
    expect(unselectedPaths(Case)).to.deep.equal({ pendingAudits: 0 });
    expect(unselectedPaths(CaseDocument)).to.deep.equal({ pendingAudits: 0 });
    // Kept once per schema.
    expect(unselectedPaths(Case)).to.equal(unselectedPaths(Case));
  });

  it('reads the same case and documents as lean reads, without the pending audit events, for an id or its string', async () => {
    const institute = await createInstitute();
    const officer = await createUser({ role: 'hr_officer', institute, name: 'Officer Reads' });
    const applicant = await createUser({ role: 'applicant' });
    const call = await createCall({ institute: institute._id });
    const c = await createCase({ call, applicant, stage: 'screening' });
    const audit = { eventId: new Types.ObjectId(), action: 'case.test', at: new Date('2026-03-16T03:00:00Z') };
    await Case.updateOne({ _id: c._id }, { $set: { pendingAudits: [audit], notes: [{ at: new Date('2026-03-16T04:00:00Z'), author: officer._id, text: 'A note' }] } });
    const doc = (n: number, type: 'passport' | 'cv') => ({ case: c._id, type, slot: 0, version: n, current: n === 2 || type === 'cv', storage: 'disk' as const, storageKey: `reads-${String(c._id)}-${type}-${n}`, originalName: `${type}-${n}.pdf`, mimeType: 'application/pdf' as const, size: 10 + n, sha256: 'c'.repeat(64), uploadedBy: applicant._id, pendingAudits: [audit] });
    await CaseDocument.create([doc(1, 'passport'), doc(2, 'passport'), doc(1, 'cv')]);

    const lean = await Case.findOne({ _id: c._id }).lean();
    for (const id of [c._id, String(c._id)]) {
      const { caseRecord } = await findCaseRecordFor(officer, id);
      expect(caseRecord).to.deep.equal(lean);
      expect(caseRecord).to.not.have.property('pendingAudits');
      expect(caseRecord.notes).to.have.length(1);
    }
    expect((await Case.findOne({ _id: c._id }, '+pendingAudits').lean())!.pendingAudits).to.have.length(1);

    const leanDocs = await CaseDocument.find({ case: c._id }).sort({ type: 1, slot: 1, version: -1 }).lean();
    for (const id of [c._id, String(c._id)]) {
      const docs = await caseDocumentVersions(id);
      expect(docs).to.deep.equal(leanDocs);
      expect(docs.map((d) => `${d.type} ${d.version}`)).to.deep.equal(['cv 1', 'passport 2', 'passport 1']);
      for (const d of docs) expect(d).to.not.have.property('pendingAudits');
    }
    // The people named on it and its applicant: as a lean read of the same users gives them.
    const people = await caseNamesAndApplicant([officer._id, String(officer._id), null, undefined, 'not-an-id', new Types.ObjectId()], String(applicant._id));
    const leanUsers = await User.find({ _id: { $in: [officer._id, applicant._id] } }, { name: 1, role: 1, email: 1, locale: 1 }).lean();
    expect([...people.names.entries()].sort()).to.deep.equal(leanUsers.map((u) => [String(u._id), { name: u.name, role: u.role }]).sort());
    const leanApplicant = leanUsers.find((u) => String(u._id) === String(applicant._id))!;
    expect(people.applicant).to.deep.equal({ _id: leanApplicant._id, name: leanApplicant.name, email: leanApplicant.email, locale: leanApplicant.locale });
    expect(people.names.get(String(officer._id))).to.deep.equal({ name: 'Officer Reads', role: 'hr_officer' });
    expect(await caseNamesAndApplicant([], undefined)).to.deep.equal({ names: new Map(), applicant: null });
    // Not an id: nothing (the lean read cast it, or found nothing).
    expect(await caseDocumentVersions('not-an-id')).to.deep.equal([]);
    expect(storedId({ toString: () => String(c._id) })).to.equal(undefined);
  });
});
