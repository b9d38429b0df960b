// The case timeline says each stage change once, in both languages: the label of the event, and the
// stage it led to only where the label does not already name it. The rule is structured (event and
// stage), so Vietnamese, whose event and stage words differ ("Bắt đầu sơ tuyển" / "Đang sơ tuyển"),
// reads as English does.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { timeline } from '../../server/cases/present.ts';
import { translator } from '../../server/i18n/index.ts';

describe('cases: the timeline says a stage change once, in English and Vietnamese', () => {
  const applicantId = new Types.ObjectId();
  const officer = new Types.ObjectId();
  const names = new Map([[String(officer), { name: 'Officer One', role: 'hr_officer' }]]);
  let day = 0;
  const event = (action: string, from: string | undefined, to: string, actor: unknown = officer, actorRole = 'hr_officer') => ({ at: new Date(Date.UTC(2027, 0, ++day, 3)), actor, actorRole, action, from, to });
  const history = [
    event('create', undefined, 'draft', applicantId, 'applicant'),
    event('submit', 'draft', 'submitted', applicantId, 'applicant'),
    event('start_screening', 'submitted', 'screening'),
    event('request_info', 'screening', 'awaiting_applicant'),
    event('answer_info', 'awaiting_applicant', 'screening', applicantId, 'applicant'),
    event('put_on_hold', 'screening', 'on_hold'),
    event('resume', 'on_hold', 'screening'),
    event('send_to_evaluation', 'screening', 'evaluation'),
    event('shortlist', 'evaluation', 'shortlisted', officer, 'leader'),
    event('approve_offer', 'shortlisted', 'offer', officer, 'leader'),
    event('accept_offer', 'offer', 'onboarding', applicantId, 'applicant'),
    event('mark_arrived', 'onboarding', 'arrived'),
    event('close', 'arrived', 'closed'),
  ];
  const lines = (locale: 'en' | 'vi', forApplicant = false) =>
    timeline(history as never, names, translator(locale), { applicantId, forApplicant, locale })
      .reverse()
      .map((e) => (e.to ? `${e.label} → ${e.to}` : e.label));

  it('in English: the stage only where it is news (resumed, back to screening, onboarding begins)', () => {
    expect(lines('en')).to.deep.equal([
      'Application started',
      'Submitted',
      'Screening started',
      'Information requested',
      'Information provided → Screening',
      'Put on hold',
      'Resumed → Screening',
      'Sent to evaluation',
      'Shortlisted',
      'Offer approved',
      'Offer accepted → Onboarding',
      'Arrival confirmed',
      'Case closed',
    ]);
  });

  it('in Vietnamese: the same events, none doubled ("Bắt đầu sơ tuyển", not "Bắt đầu sơ tuyển → Đang sơ tuyển")', () => {
    expect(lines('vi')).to.deep.equal([
      'Bắt đầu hồ sơ',
      'Nộp hồ sơ',
      'Bắt đầu sơ tuyển',
      'Đề nghị bổ sung thông tin',
      'Đã bổ sung thông tin → Đang sơ tuyển',
      'Tạm dừng',
      'Tiếp tục → Đang sơ tuyển',
      'Chuyển đánh giá',
      'Đưa vào danh sách rút gọn',
      'Phê duyệt lời mời làm việc',
      'Chấp nhận lời mời làm việc → Đang tiếp nhận',
      'Xác nhận đã đến',
      'Đóng hồ sơ',
    ]);
  });

  it('ends an unsuccessful case with one event: rejected, withdrawn, or the offer declined (then withdrawn)', () => {
    const ends = [event('reject', 'screening', 'rejected'), event('withdraw', 'screening', 'withdrawn', applicantId, 'applicant'), event('decline_offer', 'offer', 'withdrawn', applicantId, 'applicant')];
    const shown = (locale: 'en' | 'vi') => timeline(ends as never, names, translator(locale), { applicantId, forApplicant: true, locale }).reverse().map((e) => (e.to ? `${e.label} → ${e.to}` : e.label));
    expect(shown('en')).to.deep.equal(['Rejected', 'Withdrawn', 'Offer declined']);
    expect(shown('vi')).to.deep.equal(['Không chọn', 'Rút hồ sơ', 'Từ chối lời mời làm việc']);
  });
});
