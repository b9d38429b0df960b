// The document ability table as authorize() enforces it, and the pure upload rules the route and
// the service share: a case the actor may not see is 404 whatever the verb; a visible case the
// actor may not act on is 403. The applicant uploads while the case is not ended; a renewal may
// also come from HR of the institute on the applicant's behalf.
import { expect } from 'chai';
import { authorize } from '../../server/policies/index.ts';
import { ForbiddenError, NotFoundError } from '../../server/errors.ts';
import { STAGES, TERMINAL_STAGES } from '../../models/constants.ts';
import { phaseOpen, uploadLimits } from '../../server/documents/rules.ts';
import { UploadError } from '../../server/documents/errors.ts';
import { typedDates } from '../../server/documents/present.ts';

describe('documents: the ability table and the upload rules', () => {
  const applicant = { _id: 'p1', role: 'applicant', panelCalls: [] };
  const otherApplicant = { _id: 'p2', role: 'applicant', panelCalls: [] };
  const hr = { _id: 'h1', role: 'hr_officer', institute: 'inst-a', panelCalls: [] };
  const otherHr = { _id: 'h2', role: 'hr_officer', institute: 'inst-b', panelCalls: [] };
  const leader = { _id: 'l1', role: 'leader', institute: 'inst-a', panelCalls: [] };
  const admin = { _id: 'a1', role: 'admin', panelCalls: [] };
  const kase = (stage: string) => ({ applicant: 'p1', institute: 'inst-a', call: 'call-a', stage });

  it('lets the applicant upload to their own case until it has ended (403 after; 404 for anyone else\'s)', () => {
    for (const stage of STAGES) {
      const ended = (TERMINAL_STAGES as readonly string[]).includes(stage);
      const upload = () => authorize(applicant, 'document.upload', kase(stage));
      if (ended) expect(upload, stage).to.throw(ForbiddenError);
      else expect(upload, stage).not.to.throw();
      expect(() => authorize(otherApplicant, 'document.upload', kase(stage)), stage).to.throw(NotFoundError);
    }
    expect(() => authorize(hr, 'document.upload', kase('screening'))).to.throw(ForbiddenError);
  });

  it('lets HR of the institute and administrators verify; hides the case from other institutes (404)', () => {
    expect(() => authorize(hr, 'document.verify', kase('screening'))).not.to.throw();
    expect(() => authorize(admin, 'document.verify', kase('screening'))).not.to.throw();
    expect(() => authorize(otherHr, 'document.verify', kase('screening'))).to.throw(NotFoundError);
    expect(() => authorize(applicant, 'document.verify', kase('screening'))).to.throw(ForbiddenError);
  });

  it('lets the applicant, HR of the institute and administrators upload a renewal until the case has ended (staff: once it is submitted); not leaders (403) nor other institutes (404)', () => {
    for (const stage of STAGES) {
      const ended = (TERMINAL_STAGES as readonly string[]).includes(stage);
      for (const who of [applicant, hr, admin]) {
        const renew = () => authorize(who, 'document.renew', kase(stage));
        if (stage === 'draft' && who !== applicant) expect(renew, `${who.role} ${stage}`).to.throw(NotFoundError);
        else if (ended) expect(renew, `${who.role} ${stage}`).to.throw(ForbiddenError);
        else expect(renew, `${who.role} ${stage}`).not.to.throw();
      }
      expect(() => authorize(otherApplicant, 'document.renew', kase(stage)), stage).to.throw(NotFoundError);
      expect(() => authorize(otherHr, 'document.renew', kase(stage)), stage).to.throw(NotFoundError);
    }
    expect(() => authorize(leader, 'document.renew', kase('evaluation'))).to.throw(ForbiddenError);
  });

  it('lets a leader download once the case is before the panel, or when they scored it', () => {
    expect(() => authorize(leader, 'document.download', kase('screening'))).to.throw(NotFoundError);
    expect(() => authorize(leader, 'document.download', kase('evaluation'))).not.to.throw();
    expect(() => authorize(leader, 'document.download', { ...kase('rejected'), facts: { scored: true } })).not.to.throw();
    expect(() => authorize(leader, 'document.verify', kase('evaluation'))).to.throw(ForbiddenError);
  });

  it("hides a draft's documents from every staff member (404), as the draft itself; its applicant still has them", () => {
    for (const who of [hr, leader, admin]) {
      for (const verb of ['download', 'verify', 'renew', 'view'] as const) {
        expect(() => authorize(who, `document.${verb}`, kase('draft')), `${who.role} ${verb}`).to.throw(NotFoundError);
      }
    }
    expect(() => authorize(applicant, 'document.download', kase('draft'))).not.to.throw();
    expect(() => authorize(applicant, 'document.upload', kase('draft'))).not.to.throw();
  });

  it('opens application items until the case ends, later phases once the offer is accepted (held cases by the stage they resume)', () => {
    expect(phaseOpen('application', 'screening')).to.equal(true);
    expect(phaseOpen('application', 'withdrawn')).to.equal(false);
    expect(phaseOpen('offer', 'shortlisted')).to.equal(false);
    // The offer made but not answered: nothing signed yet, no certificate to obtain before deciding.
    expect(phaseOpen('offer', 'offer')).to.equal(false);
    expect(phaseOpen('onboarding', 'offer')).to.equal(false);
    expect(phaseOpen('offer', 'onboarding')).to.equal(true);
    expect(phaseOpen('onboarding', 'arrived')).to.equal(true);
    expect(phaseOpen('onboarding', 'on_hold', 'offer')).to.equal(false);
    expect(phaseOpen('onboarding', 'on_hold', 'onboarding')).to.equal(true);
    expect(phaseOpen('onboarding', 'on_hold')).to.equal(false);
    expect(phaseOpen('offer', 'closed')).to.equal(false);
  });

  it('gives each file field its item\'s byte limit, refuses a field that names no item, and takes the largest as the ceiling', () => {
    const limits = uploadLimits([{ type: 'cv', maxMb: 2 }, { type: 'passport' }, { type: 'photo', maxMb: 30 }], 10 * 1024 * 1024);
    expect(limits.limitFor('cv')).to.equal(2 * 1024 * 1024);
    expect(limits.limitFor('passport')).to.equal(10 * 1024 * 1024);
    expect(limits.limitFor('photo--2')).to.equal(30 * 1024 * 1024);
    expect(limits.largest).to.equal(30 * 1024 * 1024);
    for (const field of ['degree', 'CV', '../cv', 'cv--x']) {
      expect(() => limits.limitFor(field), field).to.throw(UploadError).with.property('code', 'unknown_item');
    }
  });

  it('gives back the texts typed in the date fields beside the files after a refusal, as typed and cut to 40 characters (no list, no other field)', () => {
    expect(
      typedDates({ passport_expiresAt: '2030-01-31', 'criminal_record--2_issuedAt': '2025-02-01', health_certificate_issuedAt: '31/01/2025', degree_issuedAt: `01/01/${'2'.repeat(60)}`, returnTo: '/x', cv_issuedAt: ['2025-01-01'] }),
    ).to.deep.equal({ passport_expiresAt: '2030-01-31', 'criminal_record--2_issuedAt': '2025-02-01', health_certificate_issuedAt: '31/01/2025', degree_issuedAt: `01/01/${'2'.repeat(34)}` });
  });
});
