// A case sent back to the queue when its officer's account is disabled or their role changes: the
// history keeps a reason and the officer's name (server/cases/commands.ts returnCasesToQueue), worded
// by the presenter in each reader's language; an entry written before that, with the
// administrator's own words in `note`, is shown as it was written.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { timeline } from '../../server/cases/present.ts';
import { translator } from '../../server/i18n/index.ts';

describe('cases: why a case went back to the queue, in the reader\'s language', () => {
  const applicantId = new Types.ObjectId();
  const admin = new Types.ObjectId();
  const names = new Map([[String(admin), { name: 'Admin One', role: 'admin' }]]);
  const history = [
    { at: new Date('2027-01-01T03:00:00Z'), actor: admin, actorRole: 'admin', action: 'unassign', note: 'Tài khoản của Cũ đã bị quản trị viên vô hiệu hóa.' },
    { at: new Date('2027-02-01T03:00:00Z'), actor: admin, actorRole: 'admin', action: 'unassign', unassign: { reason: 'account_disabled', name: 'Lê Văn An' } },
    { at: new Date('2027-03-01T03:00:00Z'), actor: admin, actorRole: 'admin', action: 'unassign', unassign: { reason: 'role_changed', name: 'Lê Văn An' } },
  ];
  const notes = (locale: 'en' | 'vi') => timeline(history as never, names, translator(locale), { applicantId, forApplicant: false, locale }).map((l) => l.note);

  it('words the reason for an English reader', () => {
    expect(notes('en')).to.deep.equal([
      'Lê Văn An is no longer an HR officer of this institute (their role or institute was changed by an administrator): the case is back in the queue, unassigned.',
      'The account of Lê Văn An was disabled by an administrator: the case is back in the queue, unassigned.',
      'Tài khoản của Cũ đã bị quản trị viên vô hiệu hóa.',
    ]);
  });

  it('words the same entries for a Vietnamese reader, the old one as written', () => {
    expect(notes('vi')).to.deep.equal([
      'Lê Văn An không còn là cán bộ nhân sự của viện này (quản trị viên đã đổi vai trò hoặc viện của họ): hồ sơ trở về hàng đợi, không có người phụ trách.',
      'Tài khoản của Lê Văn An đã bị quản trị viên vô hiệu hóa: hồ sơ trở về hàng đợi, không có người phụ trách.',
      'Tài khoản của Cũ đã bị quản trị viên vô hiệu hóa.',
    ]);
  });

  it('shows the applicant none of it', () => {
    expect(timeline(history as never, names, translator('en'), { applicantId, forApplicant: true, locale: 'en' }).map((l) => l.note)).to.deep.equal([]);
  });
});
