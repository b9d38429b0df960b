// The procedure presenters without HTTP: a procedure event on the timeline in the reader's language
// (staff see the change, the applicant their own words, never the internal codes; HR's note and the
// escalation stay with staff), and the applicant's list leaves out what is not needed and HR's note.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { timeline } from '../../server/cases/present.ts';
import { translator } from '../../server/i18n/index.ts';
import { systemContext } from '../../server/context.ts';
import { WorkingCalendar } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';
import { presentProcedures } from '../../server/procedures/present.ts';
import { PROCEDURE_RULES, filingOutsideWindow, filingWindow, leadToEntryWorkingDays, lodgingDue, lodgingTarget, visaSymbol, waitingFor } from '../../server/procedures/rules.ts';

const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);
const calendar = WorkingCalendar.of(VN_HOLIDAYS);

describe('procedures: presenters', () => {
  const applicantId = new Types.ObjectId();
  const officer = new Types.ObjectId();
  const history = [
    { at: vn('2027-02-01'), actor: officer, actorRole: 'hr_officer', action: 'support_update', note: 'called the ministry', procedure: { kind: 'work_permit', from: 'requested', to: 'preparing', applicantVisible: false } },
    { at: vn('2027-02-04'), actor: officer, actorRole: 'hr_officer', action: 'support_update', note: 'courier 42', procedure: { kind: 'work_permit', from: 'preparing', to: 'filed', filedAt: vn('2027-02-04'), applicantVisible: true } },
    { at: vn('2027-03-01'), actorRole: 'system', action: 'procedure_escalated', procedure: { kind: 'work_permit', from: 'filed', to: 'filed', escalated: 'due', applicantVisible: false } },
    { at: vn('2027-03-02'), actor: officer, actorRole: 'hr_officer', action: 'support_update', procedure: { kind: 'residence_card', from: 'preparing', to: 'preparing', cardStartsAt: vn('2027-03-01'), cardEndsAt: vn('2029-02-28'), applicantVisible: true } },
  ];
  const names = new Map([[String(officer), { name: 'Officer One', role: 'hr_officer' }]]);

  it('gives staff every change in their language, with the note', () => {
    const lines = timeline(history as never, names, translator('en'), { applicantId, forApplicant: false, locale: 'en' });
    expect(lines.map((l) => l.label)).to.deep.equal([
      'Temporary residence card: dates recorded',
      'Work permit: deadline passed, HR office notified',
      'Work permit: Preparing the file → Filed',
      'Work permit: Requested → Preparing the file',
    ]);
    // HR's note labelled as internal (walk s37: after "Told the applicant: …" it read as part of the message).
    expect(lines[2]!.note).to.equal('Filed on 4 Feb 2027\nInternal note (not shown to the applicant): courier 42');
    expect(lines[0]!.note).to.equal('Card valid 1 Mar 2027 – 28 Feb 2029');
  });

  it('gives the applicant only what concerns them, in their words, without codes or HR notes', () => {
    for (const [locale, expected] of [
      ['vi', ['Thẻ tạm trú: đã ghi nhận ngày tháng', 'Giấy phép lao động: hồ sơ đã được nộp cho cơ quan có thẩm quyền']],
      ['en', ['Temporary residence card: dates recorded', 'Work permit: the file has been lodged with the authority']],
    ] as const) {
      const lines = timeline(history as never, names, translator(locale), { applicantId, forApplicant: true, locale });
      expect(lines.map((l) => l.label)).to.deep.equal(expected);
      const all = JSON.stringify(lines);
      expect(all).not.to.match(/work_permit|residence_card|courier|called the ministry|Officer One|→/);
    }
  });

  it('lists the applicant their procedures under way without HR notes, and HR every procedure with its form', () => {
    const caseDoc = {
      _id: new Types.ObjectId(),
      version: 7,
      overdueProcedures: ['work_permit'],
      supportTracks: [
        { kind: 'work_permit', status: 'filed', filedAt: vn('2027-02-04'), dueAt: new Date('2027-02-25T16:59:59.999Z'), note: 'internal', office: 'Sở Nội vụ' },
        { kind: 'housing', status: 'not_needed' },
      ],
    };
    const mine = presentProcedures({ ctx: systemContext({ now: vn('2027-03-01'), locale: 'vi' }), caseDoc, calendar, forApplicant: true });
    expect(mine.items.map((i) => i.kind)).to.deep.equal(['work_permit']);
    expect(mine.items[0]).to.not.have.property('note');
    expect(mine.items[0]!.escalated).to.equal(false);
    expect(mine.items[0]!.deadline!.text).to.equal('quá hạn 2 ngày làm việc');
    const hr = presentProcedures({ ctx: systemContext({ now: vn('2027-03-01'), locale: 'en' }), caseDoc, calendar, forApplicant: false, editable: true });
    expect(hr.items.map((i) => i.kind)).to.deep.equal(['work_permit', 'housing']);
    expect(hr.items[0]!.note).to.equal('internal');
    expect(hr.items[0]!.escalated).to.equal(true);
    expect(hr.items[1]!.office).to.equal("Institute's administration office");
    expect(hr.startable.map((s) => s.value)).to.deep.equal(['work_permit_exemption', 'visa', 'residence_card', 'citizenship']);
  });
});

describe('procedures: what the date of a procedure is, before and after filing', () => {
  const items = (locale: 'vi' | 'en', forApplicant: boolean) =>
    presentProcedures({
      ctx: systemContext({ now: vn('2027-03-01'), locale }),
      caseDoc: {
        _id: 'c',
        version: 1,
        supportTracks: [
          { kind: 'work_permit', status: 'preparing', dueAt: new Date('2027-03-10T16:59:59.999Z') },
          { kind: 'visa', status: 'filed', filedAt: vn('2027-03-01'), dueAt: new Date('2027-03-08T16:59:59.999Z') },
          { kind: 'housing', status: 'requested', dueAt: new Date('2027-03-29T16:59:59.999Z') },
          { kind: 'citizenship', status: 'filed', filedAt: vn('2027-02-01'), dueAt: new Date('2027-05-10T16:59:59.999Z') },
        ],
      },
      calendar,
      forApplicant,
    }).items;

  it('labels the filing target "We aim to file by" and a filed procedure "Decision expected by", on both sides, en and vi', () => {
    for (const forApplicant of [true, false]) {
      const en = items('en', forApplicant);
      expect(en.slice(0, 3).map((i) => i.deadline?.label)).to.deep.equal(['We aim to file by', 'Decision expected by', 'We aim to arrange it by']);
      const vi = items('vi', forApplicant);
      expect(vi.slice(0, 3).map((i) => i.deadline?.label)).to.deep.equal(['Dự kiến nộp hồ sơ trước', 'Dự kiến có quyết định trước', 'Dự kiến sắp xếp xong trước']);
    }
  });

  it('says a filed citizenship has no legal decision time: no date to the applicant, the follow-up date to HR', () => {
    const mine = items('en', true)[3]!;
    expect(mine.deadline).to.equal(undefined);
    expect(mine.noLegalDecision).to.match(/^The law sets no time limit for this decision/);
    expect(items('vi', true)[3]!.noLegalDecision).to.match(/^Luật không quy định thời hạn giải quyết/);
    const hr = items('en', false)[3]!;
    expect(hr.deadline?.label).to.equal('Our follow-up date (the law sets no decision time)');
    expect(hr.deadline?.dateText).to.equal('10 May 2027');
  });

  it('says on citizenship that one who lost the nationality restores it, which conditions the law waives for recruited talent naturalised, and what applies without it (Law 79/2025, Decree 191/2025), in both languages; other procedures say nothing of it', () => {
    expect(items('en', true)[3]!.conditions).to.match(/exempt from the conditions of the Vietnamese language, living in Vietnam, 5 years' residence there and livelihood/).and.to.match(/without the exemption, 5 years of residence/i);
    // Walk33 #3: restoration (Art. 23, as amended by Law 79/2025/QH15) for one who lost the nationality, first.
    expect(items('en', true)[3]!.conditions).to.match(/^One who lost Vietnamese nationality .* applies to restore it: no residence or language condition/);
    expect(items('vi', true)[3]!.conditions).to.match(/miễn các điều kiện biết tiếng Việt, đang thường trú tại Việt Nam, thường trú từ 5 năm và bảo đảm cuộc sống/);
    expect(items('en', false)[3]!.conditions, 'HR reads it too').to.match(/ministry-level body/);
    expect(items('en', true).filter((i) => i.kind !== 'citizenship').map((i) => i.conditions)).to.deep.equal(items('en', true).filter((i) => i.kind !== 'citizenship').map(() => undefined));
  });
});

describe('procedures: what a procedure waits for (Law 47/2014 Art. 10(4)(c), 37(1))', () => {
  const tracks = (o: Record<string, string>) => Object.entries(o).map(([kind, status]) => ({ kind, status }));
  it('takes the work permit or its exemption as the visa\'s proof: either one granted will do', () => {
    expect(waitingFor('visa', tracks({ work_permit: 'filed', visa: 'requested' }))).to.deep.equal(['work_permit']);
    expect(waitingFor('visa', tracks({ work_permit: 'refused', work_permit_exemption: 'approved', visa: 'requested' }))).to.deep.equal([]);
    expect(waitingFor('visa', tracks({ work_permit: 'refused', work_permit_exemption: 'filed', visa: 'requested' }))).to.deep.equal(['work_permit_exemption']);
    expect(waitingFor('visa', tracks({ work_permit: 'refused', visa: 'requested' })), 'refused with nothing else: lodged again first').to.deep.equal(['work_permit']);
    expect(waitingFor('visa', tracks({ work_permit: 'not_needed', visa: 'requested' }))).to.deep.equal([]);
  });
  it('makes the residence card wait for the proof of work and the visa', () => {
    expect(waitingFor('residence_card', tracks({ work_permit: 'approved', visa: 'filed' }))).to.deep.equal(['visa']);
    expect(waitingFor('residence_card', tracks({ work_permit: 'refused', work_permit_exemption: 'approved', visa: 'approved' }))).to.deep.equal([]);
    expect(waitingFor('residence_card', tracks({ work_permit: 'preparing', visa: 'requested' }))).to.deep.equal(['work_permit', 'visa']);
  });
  it('says "either … or …" where any one will do and "… and …" where each is needed, on HR\'s page and the applicant\'s, en and vi', () => {
    const waits = (locale: 'vi' | 'en', o: Record<string, string>, kind: string, forApplicant = false) =>
      presentProcedures({ ctx: systemContext({ now: vn('2027-02-01'), locale }), caseDoc: { _id: 'c', version: 1, supportTracks: tracks(o) }, calendar, forApplicant }).items.find((i) => i.kind === kind)!.waits;
    const both = { work_permit: 'preparing', work_permit_exemption: 'requested', visa: 'requested', residence_card: 'requested' };
    expect(waits('en', both, 'visa')).to.equal('waits for either the work permit or the certificate of exemption from a work permit');
    expect(waits('en', both, 'visa', true)).to.equal('waits for either the work permit or the certificate of exemption from a work permit');
    expect(waits('vi', both, 'visa')).to.equal('chờ giấy phép lao động hoặc giấy xác nhận không thuộc diện cấp giấy phép lao động');
    expect(waits('en', both, 'residence_card')).to.equal('waits for the visa and either the work permit or the certificate of exemption from a work permit');
    expect(waits('en', { work_permit: 'filed', visa: 'requested', residence_card: 'requested' }, 'residence_card')).to.equal('waits for the work permit and the visa');
    expect(waits('vi', { work_permit: 'filed', visa: 'requested', residence_card: 'requested' }, 'residence_card')).to.equal('chờ giấy phép lao động và thị thực');
    expect(waits('en', { work_permit: 'approved', visa: 'requested' }, 'visa')).to.equal(undefined);
  });
});

describe('procedures: the work permit is lodged within its window (Decree 219/2025/ND-CP: 60 to 10 days before the start)', () => {
  const endOfVnDay = (day: string) => new Date(`${day}T16:59:59.999Z`);
  const start = new Date('2027-03-01T01:00:00Z');
  it('moves a target before the window to the day it opens, and one after it to the day it closes', () => {
    expect(lodgingDue('work_permit', endOfVnDay('2026-12-18'), start).toISOString()).to.equal(endOfVnDay('2026-12-31').toISOString());
    expect(lodgingDue('work_permit', endOfVnDay('2027-02-25'), start).toISOString()).to.equal(endOfVnDay('2027-02-19').toISOString());
    expect(lodgingDue('work_permit', endOfVnDay('2027-01-15'), start).toISOString()).to.equal(endOfVnDay('2027-01-15').toISOString());
  });
  it('leaves a procedure without a window, or a case without a planned start, at its target', () => {
    expect(lodgingDue('visa', endOfVnDay('2026-12-18'), start).toISOString()).to.equal(endOfVnDay('2026-12-18').toISOString());
    expect(lodgingDue('work_permit', endOfVnDay('2026-12-18'), undefined).toISOString()).to.equal(endOfVnDay('2026-12-18').toISOString());
  });
  // The default target is a deadline: never the day the window opens (when filing becomes allowed).
  it('makes the default target a real deadline inside the window that leaves the decision and the visa before the start, an earlier counted day inside it kept, later days on a late offer', () => {
    expect(filingWindow('work_permit', start)).to.deep.equal({ opens: endOfVnDay('2026-12-31'), closes: endOfVnDay('2027-02-19') });
    expect(filingWindow('visa', start)).to.equal(undefined);
    const from = new Date('2026-12-05T03:00:00Z');
    expect(leadToEntryWorkingDays('work_permit')).to.equal(15); // 10 for the permit, then 5 for the visa
    expect(leadToEntryWorkingDays('work_permit_exemption')).to.equal(10); // 5, then the visa's 5
    // Counted before the window opens: 20 working days before the start of Mon 1 Mar 2027 (the
    // permit's 10, the visa's 5, a margin of 5; Tết 2027: 5–11 Feb): Mon 25 Jan. The window's last
    // day less 5 working days, 12 Feb, would leave the decision and the visa to end after the start.
    expect(lodgingTarget('work_permit', calendar, from, endOfVnDay('2026-12-18'), start).toISOString()).to.equal(endOfVnDay('2027-01-25').toISOString());
    // Counted inside the window and before that day: kept (the institute's own, earlier, target).
    expect(lodgingTarget('work_permit', calendar, from, endOfVnDay('2027-01-15'), start).toISOString()).to.equal(endOfVnDay('2027-01-15').toISOString());
    // Counted after it or after the window closes: that day (the exemption's: 15 working days before, Mon 1 Feb).
    expect(lodgingTarget('work_permit', calendar, from, endOfVnDay('2027-02-25'), start).toISOString()).to.equal(endOfVnDay('2027-01-25').toISOString());
    expect(lodgingTarget('work_permit_exemption', calendar, from, endOfVnDay('2027-02-25'), start).toISOString()).to.equal(endOfVnDay('2027-02-01').toISOString());
    // An offer accepted after that day: the window's last day less 5 working days, 12 Feb; after that too, the last day.
    expect(lodgingTarget('work_permit', calendar, new Date('2027-01-27T03:00:00Z'), endOfVnDay('2027-02-25'), start).toISOString()).to.equal(endOfVnDay('2027-02-12').toISOString());
    const late = new Date('2027-02-15T03:00:00Z');
    expect(lodgingTarget('work_permit', calendar, late, endOfVnDay('2027-03-01'), start).toISOString()).to.equal(endOfVnDay('2027-02-19').toISOString());
    // No window, no planned start: the counted day.
    expect(lodgingTarget('visa', calendar, from, endOfVnDay('2026-12-18'), start).toISOString()).to.equal(endOfVnDay('2026-12-18').toISOString());
    expect(lodgingTarget('work_permit', calendar, from, endOfVnDay('2026-12-18'), null).toISOString()).to.equal(endOfVnDay('2026-12-18').toISOString());
  });
  // Decree 219/2025/ND-CP Art. 9(1): the exemption certificate's file is lodged in the same window.
  it('keeps the exemption certificate inside the same window, and says when its filing lies outside it', () => {
    expect(PROCEDURE_RULES.work_permit_exemption.fileBeforeStartDays).to.deep.equal({ min: 10, max: 60 });
    expect(lodgingDue('work_permit_exemption', endOfVnDay('2026-12-18'), start).toISOString()).to.equal(endOfVnDay('2026-12-31').toISOString());
    expect(lodgingDue('work_permit_exemption', endOfVnDay('2027-02-25'), start).toISOString()).to.equal(endOfVnDay('2027-02-19').toISOString());
    expect(filingOutsideWindow('work_permit_exemption', endOfVnDay('2027-02-24'), start)).to.deep.equal({ days: 5, min: 10, max: 60 });
    expect(filingOutsideWindow('work_permit_exemption', endOfVnDay('2027-02-01'), start)).to.equal(undefined);
  });
});

describe('procedures: the visa the case asks for (Law 47/2014/QH13 Art. 8)', () => {
  it('names the visa the case asks for: LĐ1 with the exemption certificate, LĐ2 with the work permit (Law 47/2014 Art. 8), TT for the family', () => {
    const tr = (permit: string, exemption: string) => [{ kind: 'work_permit', status: permit }, { kind: 'work_permit_exemption', status: exemption }, { kind: 'visa', status: 'requested' }];
    expect(visaSymbol(tr('preparing', 'not_needed'))).to.equal('LĐ2');
    expect(visaSymbol(tr('not_needed', 'requested'))).to.equal('LĐ1');
    // A permit refused, the exemption granted instead: LĐ1; the exemption refused, the permit running: LĐ2.
    expect(visaSymbol(tr('refused', 'approved'))).to.equal('LĐ1');
    expect(visaSymbol(tr('filed', 'refused'))).to.equal('LĐ2');
    expect(visaSymbol(tr('approved', 'filed'))).to.equal('LĐ2');
    expect(visaSymbol(tr('not_needed', 'not_needed'))).to.equal(undefined);
    const page = (locale: 'vi' | 'en', tracks: ReturnType<typeof tr>, dependants: Array<{ fullName?: string }> = []) =>
      presentProcedures({ ctx: systemContext({ now: vn('2027-02-01'), locale }), caseDoc: { _id: 'c', version: 1, supportTracks: tracks, dependants }, calendar, forApplicant: true }).items.find((i) => i.kind === 'visa')!.visaType!;
    expect(page('en', tr('preparing', 'not_needed'))).to.deep.equal({ symbol: 'LĐ2', text: 'LĐ2: working in Vietnam with a work permit (Law 47/2014/QH13 Art. 8, as amended by Law 51/2019/QH14)' });
    expect(page('vi', tr('not_needed', 'filed'), [{ fullName: 'Emma' }])).to.deep.equal({
      symbol: 'LĐ1',
      text: 'LĐ1: làm việc tại Việt Nam có xác nhận không thuộc diện cấp giấy phép lao động (Điều 8 Luật 47/2014/QH13, sửa đổi bởi Luật 51/2019/QH14)',
      family: 'Vợ, chồng, con dưới 18 tuổi đi cùng: TT (cùng điều luật)',
    });
    expect(page('en', tr('not_needed', 'not_needed')).symbol).to.equal(undefined);
  });

  it("tells the applicant, while the visa type is not known, what the HR office does next (they start no procedure), and HR what to start, en and vi", () => {
    const tr = (permit: string, exemption: string) => [{ kind: 'work_permit', status: permit }, { kind: 'work_permit_exemption', status: exemption }, { kind: 'visa', status: 'requested' }];
    const text = (locale: 'vi' | 'en', tracks: ReturnType<typeof tr>, forApplicant: boolean) =>
      presentProcedures({ ctx: systemContext({ now: vn('2027-02-01'), locale }), caseDoc: { _id: 'c', version: 1, supportTracks: tracks }, calendar, forApplicant }).items.find((i) => i.kind === 'visa')!.visaType!.text;
    // After the work permit's refusal, nothing else running.
    const viMine = text('vi', tr('refused', 'not_needed'), true);
    expect(viMine).to.include('sau khi bị từ chối, bộ phận nhân sự sẽ nộp lại hồ sơ hoặc đề nghị cấp giấy còn lại, và thị thực của Ông/Bà theo giấy được cấp');
    expect(viMine).not.to.include('hãy bắt đầu');
    expect(text('en', tr('refused', 'not_needed'), true)).to.match(/: after the refusal, the HR office lodges the file again or applies for the other one, and your visa follows the one granted\.$/);
    expect(text('en', tr('not_needed', 'not_needed'), true)).to.match(/: the HR office applies for one of the two first, and your visa follows the one granted\.$/);
    for (const [locale, says] of [['en', /start one of the two/], ['vi', /hãy bắt đầu một trong hai thủ tục này/]] as const) {
      const mine = text(locale, tr('refused', 'not_needed'), true);
      expect(mine).not.to.match(says);
      expect(text(locale, tr('refused', 'not_needed'), false)).to.match(says);
    }
    // Only the visa carries it.
    const all = presentProcedures({ ctx: systemContext({ now: vn('2027-02-01'), locale: 'en' }), caseDoc: { _id: 'c', version: 1, supportTracks: tr('preparing', 'not_needed') }, calendar, forApplicant: false }).items;
    expect(all.filter((i) => i.visaType).map((i) => i.kind)).to.deep.equal(['visa']);
  });
});

describe('procedures: the filing date shown belongs to the filing under way or decided', () => {
  it('hides an earlier filing\'s date once the procedure is set back to preparing (the history keeps it)', () => {
    const shown = (status: string) =>
      presentProcedures({ ctx: systemContext({ now: vn('2027-03-01'), locale: 'en' }), caseDoc: { _id: 'c', version: 1, supportTracks: [{ kind: 'work_permit', status, filedAt: vn('2027-02-04') }] }, calendar, forApplicant: true }).items.find((i) => i.kind === 'work_permit')!.filedAt;
    expect(['filed', 'approved', 'refused', 'preparing', 'requested'].map((s) => !!shown(s))).to.deep.equal([true, true, true, false, false]);
  });
});
