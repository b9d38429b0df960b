// The ability tables of the accounts and administration models, through authorize/can (the one
// entry point routes use): who may act, and whether a refusal reads "not found" or "forbidden".
import { expect } from 'chai';
import { Types } from 'mongoose';
import { authorize, can } from '../../server/policies/index.ts';
import { AuthenticationRequiredError, ForbiddenError, NotFoundError } from '../../server/errors.ts';

const person = (role: string) => ({ _id: new Types.ObjectId(), role });

describe('accounts: ability tables for users, calls, institutes and holidays', () => {
  const admin = person('admin');
  const otherAdmin = person('admin');
  const applicant = person('applicant');
  const hr = person('hr_officer');

  it('lets an administrator disable or reset anyone but themselves, with the reason as the message', () => {
    expect(can(admin, 'user.disable', hr)).to.equal(true);
    expect(can(admin, 'user.disable', otherAdmin)).to.equal(true);
    expect(() => authorize(admin, 'user.disable', admin, 'accounts.admin.cannotDisableSelf'))
      .to.throw(ForbiddenError)
      .with.property('messageKey', 'accounts.admin.cannotDisableSelf');
    expect(() => authorize(admin, 'user.resetSecondFactor', admin, 'accounts.admin.cannotResetSelf')).to.throw(ForbiddenError);
    expect(can(admin, 'user.enable', admin)).to.equal(true);
  });

  it('lets an administrator change the role of other staff only: never their own, never an applicant’s', () => {
    expect(can(admin, 'user.changeRole', hr)).to.equal(true);
    expect(can(admin, 'user.changeRole', otherAdmin)).to.equal(true);
    expect(can(admin, 'user.changeRole', person('leader'))).to.equal(true);
    expect(() => authorize(admin, 'user.changeRole', admin, 'accounts.roleChange.cannotChangeSelf'))
      .to.throw(ForbiddenError)
      .with.property('messageKey', 'accounts.roleChange.cannotChangeSelf');
    expect(() => authorize(admin, 'user.changeRole', applicant, 'accounts.roleChange.notStaff')).to.throw(ForbiddenError);
    expect(can(admin, 'user.changeRole', { _id: new Types.ObjectId() })).to.equal(false);
    expect(() => authorize(hr, 'user.changeRole', hr)).to.throw(ForbiddenError);
    expect(() => authorize(hr, 'user.changeRole', otherAdmin)).to.throw(NotFoundError);
    expect(can(person('leader'), 'user.changeRole', hr)).to.equal(false);
  });

  it('hides other people’s accounts from non-administrators (not found), and refuses their own administration (forbidden)', () => {
    expect(() => authorize(hr, 'user.disable', applicant)).to.throw(NotFoundError);
    expect(() => authorize(applicant, 'user.resendInvitation', hr)).to.throw(NotFoundError);
    expect(() => authorize(hr, 'user.disable', hr)).to.throw(ForbiddenError);
    expect(can(hr, 'user.invite')).to.equal(false);
    expect(can(admin, 'user.invite')).to.equal(true);
  });

  it('lets an applicant erase and export their own account; staff may export but not erase theirs', () => {
    expect(can(applicant, 'user.erase', applicant)).to.equal(true);
    expect(can(applicant, 'user.export', applicant)).to.equal(true);
    expect(() => authorize(applicant, 'user.erase', person('applicant'))).to.throw(NotFoundError);
    expect(can(hr, 'user.export', hr)).to.equal(true);
    expect(() => authorize(hr, 'user.erase', hr, 'privacy.delete.blocked_staff'))
      .to.throw(ForbiddenError)
      .with.property('messageKey', 'privacy.delete.blocked_staff');
  });

  it('publishes a call once it leaves draft: applicants apply to published calls, a draft is not found but by administrators', () => {
    for (const status of ['open', 'closed']) expect(can(applicant, 'call.apply', { status }), status).to.equal(true);
    expect(() => authorize(applicant, 'call.apply', { status: 'draft' })).to.throw(NotFoundError);
    expect(() => authorize(hr, 'call.apply', { status: 'open' })).to.throw(ForbiddenError);
    expect(() => authorize(admin, 'call.apply', { status: 'draft' })).to.throw(ForbiddenError);
    expect(can(admin, 'call.update', { status: 'draft' })).to.equal(true);
    expect(can(hr, 'call.create')).to.equal(false);
  });

  it('keeps institutes and holidays to administrators', () => {
    const institute = { _id: new Types.ObjectId() };
    const holiday = { date: '2026-09-02' };
    expect(can(admin, 'institute.create')).to.equal(true);
    expect(can(admin, 'institute.update', institute)).to.equal(true);
    expect(can(admin, 'holiday.delete', holiday)).to.equal(true);
    for (const who of [applicant, hr, person('leader')]) {
      expect(can(who, 'institute.update', institute), who.role).to.equal(false);
      expect(() => authorize(who, 'holiday.delete', holiday), who.role).to.throw(ForbiddenError);
    }
  });

  it('fails closed: no actor, an unknown action or a broken subject is a refusal', () => {
    expect(() => authorize(undefined, 'user.export', applicant)).to.throw(AuthenticationRequiredError);
    expect(can(undefined, 'holiday.create')).to.equal(false);
    expect((can as (a: unknown, action: string) => boolean)(admin, 'user.__proto__')).to.equal(false);
    expect((can as (a: unknown, action: string) => boolean)(admin, 'holiday.toString')).to.equal(false);
    expect(can(admin, 'user.disable', undefined as never)).to.equal(false);
  });
});
