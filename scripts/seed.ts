// `npm run seed`: demo data for trying the product, safe to run again (everything is looked up
// before it is created). Two institutes, open calls with a checklist and a scorecard, one account
// of each role (printed with the password; staff also get their authenticator secret), and cases
// in every stage, moved there through the workflow (transition) so history, deadlines and
// e-mails are real. Uses the same database as `npm start` (stop the app first when it uses the
// embedded database). The e-mails the cases owe are delivered by the app's dispatcher.
// Like the app: every account gets its own password hash (its own salt), TOTP secrets are stored
// encrypted, and the files written are readable by this user only (0600 in 0700 folders).
import { writeFile, mkdir, chmod } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Types } from 'mongoose';
import { loadConfigOrExit } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { openDatabase } from '../server/db/index.ts';
import { createMailer } from '../server/mail/mailer.ts';
import type { AppContext } from '../server/deps.ts';
import { systemContext } from '../server/context.ts';
import { Institute } from '../models/institute.ts';
import { User, type Role, type UserDoc } from '../models/user.ts';
import { Call, type CallDoc } from '../models/call.ts';
import { Case } from '../models/case.ts';
import { CaseDocument } from '../models/document.ts';
import { OFFER_LETTER_TYPE, type STORED_DOCUMENT_TYPES, type Stage } from '../models/constants.ts';
import { hashPassword } from '../server/accounts/passwords.ts';
import { newTotpSecret, totpNow } from '../server/accounts/totp.ts';
import { openTotpSecret, sealTotpSecret } from '../server/accounts/totp-secret.ts';
import { seedHolidays, workingDayDeadline } from '../server/calendar/index.ts';
import { transition, nextCaseReference, type Action } from '../server/workflow/index.ts';
import { submitEvaluation } from '../server/evaluations/index.ts';
import { decideCase, type Decision } from '../server/evaluations/case.ts';
import { DiskStorage, createStorage, newStorageKey, uploadTempDir } from '../server/documents/storage.ts';
import { criteriaFor } from '../server/applications/tracks.ts';
import { textIn } from '../server/support/localized.ts';

export const DEMO_PASSWORD = 'Demo-Talent-Programme-2026';
const DOMAIN = 'demo.talent.local';

// A tiny valid PDF, stored as the required application documents of the demo cases.
const DEMO_PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const db = await openDatabase(config, logger);
  const mailer = createMailer({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom });
  const ctx: AppContext = { config, logger, db, mailer, now: () => new Date() };
  const out: string[] = [];
  try {
    const added = await seedHolidays();
    out.push(`Holidays: ${added} added (Vietnam 2026–2027).`);

    // Institutes, each with its HR office as applicants are told it (demo values: example.vn
    // addresses, made-up numbers, the same office hours); an existing office is kept.
    const HOURS = { vi: 'Thứ Hai–Thứ Sáu 8:00–11:30, 13:30–17:00', en: 'Mon–Fri 8:00–11:30, 13:30–17:00' };
    const inst = async (code: string, vi: string, en: string, office: { email: string; phone: string; address: { vi: string; en: string } }) => {
      const found = (await Institute.findOne({ code })) ?? (await Institute.create({ code, name: { vi, en } }));
      if (!found.hrContact?.email) {
        found.set('hrContact', { ...office, hours: HOURS });
        await found.save();
      }
      return found;
    };
    const ims = await inst('VAST-IMS', 'Viện Khoa học Vật liệu', 'Institute of Materials Science', {
      email: 'nhansu@ims.example.vn',
      phone: '+84 24 3000 0000',
      address: { vi: 'Phòng Tổ chức – Hành chính\n18 Hoàng Quốc Việt, Cầu Giấy, Hà Nội', en: 'Personnel and Administration Office\n18 Hoang Quoc Viet, Cau Giay, Hanoi' },
    });
    const ai = await inst('HUST-AI', 'Viện Trí tuệ Nhân tạo', 'Institute for Artificial Intelligence', {
      email: 'nhansu@ai.example.vn',
      phone: '+84 24 3000 0100',
      address: { vi: 'Phòng Hành chính – Nhân sự\n1 Đại Cồ Việt, Hai Bà Trưng, Hà Nội', en: 'Administration and Personnel Office\n1 Dai Co Viet, Hai Ba Trung, Hanoi' },
    });

    // Calls
    const year = new Date().getUTCFullYear();
    const callSpec = async (code: string, institute: typeof ims, track: CallDoc['track'], title: { vi: string; en: string }, field: { vi: string; en: string }) =>
      (await Call.findOne({ code })) ??
      Call.create({
        code,
        institute: institute._id,
        title,
        description: {
          vi: 'Viện tuyển chọn nhà khoa học có kinh nghiệm dẫn dắt nhóm nghiên cứu, được hỗ trợ giấy phép lao động, thị thực, thẻ tạm trú và nhà ở.',
          en: 'The institute seeks a scientist with experience leading a research group. Work permit, visa, residence card and housing support are provided.',
        },
        track,
        field,
        opensAt: new Date(Date.UTC(year, 0, 1)),
        closesAt: new Date(Date.UTC(year + 1, 11, 31, 16, 59, 59)),
        status: 'open',
        checklist: [
          { type: 'cv', phase: 'application', required: true, maxMb: 10 },
          { type: 'passport', phase: 'application', required: true },
          { type: 'degree', phase: 'application', required: true, multiple: true },
          { type: 'publications_list', phase: 'application', required: false },
          { type: 'recommendation_letter', phase: 'application', required: false, multiple: true },
          { type: 'signed_offer', phase: 'offer', required: true },
          { type: 'health_certificate', phase: 'onboarding', required: true },
          { type: 'criminal_record', phase: 'onboarding', required: true },
        ],
        scorecard: [
          { key: 'research', label: { vi: 'Thành tích nghiên cứu', en: 'Research record' }, weight: 40 },
          { key: 'leadership', label: { vi: 'Năng lực dẫn dắt', en: 'Leadership' }, weight: 30 },
          { key: 'fit', label: { vi: 'Phù hợp với định hướng của viện', en: 'Fit with the institute' }, weight: 30 },
        ],
      });
    const call1 = await callSpec('IMS-2026-01', ims, 'expert', { vi: 'Chuyên gia vật liệu bán dẫn', en: 'Semiconductor materials expert' }, { vi: 'Khoa học vật liệu', en: 'Materials science' });
    const call2 = await callSpec('AI-2026-01', ai, 'chief_engineer', { vi: 'Kỹ sư trưởng Chương trình AI quốc gia', en: 'Chief engineer, national AI programme' }, { vi: 'Trí tuệ nhân tạo', en: 'Artificial intelligence' });

    // Accounts: one hash per account (a fresh salt each), secrets encrypted and bound to the account.
    const account = async (email: string, name: string, role: Role, extra: Record<string, unknown> = {}): Promise<UserDoc> => {
      const existing = await User.findOne({ email });
      if (existing) return existing as unknown as UserDoc;
      const staff = role !== 'applicant';
      const _id = new Types.ObjectId();
      return (await User.create({
        _id,
        email,
        name,
        role,
        passwordHash: await hashPassword(DEMO_PASSWORD),
        emailVerifiedAt: new Date(),
        locale: 'vi',
        totp: staff ? { secret: sealTotpSecret(config, _id, newTotpSecret()), enabledAt: new Date(), recoveryCodeHashes: [] } : { recoveryCodeHashes: [] },
        consents: role === 'applicant' ? [{ purpose: 'recruitment', granted: true, at: new Date() }] : [],
        ...extra,
      } as never)) as unknown as UserDoc;
    };
    const admin = await account(`admin@${DOMAIN}`, 'Đỗ Minh Khoa', 'admin');
    const hr = await account(`hr@${DOMAIN}`, 'Trần Thu Hà', 'hr_officer', { institute: ims._id, isHrLead: true });
    const leader = await account(`leader@${DOMAIN}`, 'GS. Lê Văn Minh', 'leader', { institute: ims._id, panelCalls: [call1._id] });
    const applicant = await account(`applicant@${DOMAIN}`, 'Anna Nguyen', 'applicant', { locale: 'en' });
    const hrAi = await account(`hr-ai@${DOMAIN}`, 'Phạm Quốc Bảo', 'hr_officer', { institute: ai._id, isHrLead: true });
    // HUST-AI's own leader: its calls (the chief-engineer one) can be decided in the demo too (walk).
    const leaderAi = await account(`leader-ai@${DOMAIN}`, 'PGS. Hoàng Thị Lan', 'leader', { institute: ai._id });

    // Cases in every stage, each moved there step by step through the workflow.
    const routes: Record<Stage, Array<[Action, 'applicant' | 'hr' | 'leader', Record<string, unknown>?]>> = {
      draft: [],
      submitted: [['submit', 'applicant']],
      screening: [['submit', 'applicant'], ['start_screening', 'hr']],
      awaiting_applicant: [['submit', 'applicant'], ['start_screening', 'hr'], ['request_info', 'hr', { items: ['Certified translation of your PhD diploma', 'Two recommendation letters'], dueAt: 'DUE' }]],
      evaluation: [['submit', 'applicant'], ['start_screening', 'hr'], ['send_to_evaluation', 'hr']],
      shortlisted: [['submit', 'applicant'], ['start_screening', 'hr'], ['send_to_evaluation', 'hr'], ['shortlist', 'leader']],
      offer: [['submit', 'applicant'], ['start_screening', 'hr'], ['send_to_evaluation', 'hr'], ['shortlist', 'leader'], ['approve_offer', 'leader']],
      onboarding: [['submit', 'applicant'], ['start_screening', 'hr'], ['send_to_evaluation', 'hr'], ['shortlist', 'leader'], ['approve_offer', 'leader'], ['accept_offer', 'applicant']],
      arrived: [['submit', 'applicant'], ['start_screening', 'hr'], ['send_to_evaluation', 'hr'], ['shortlist', 'leader'], ['approve_offer', 'leader'], ['accept_offer', 'applicant'], ['mark_arrived', 'hr', { arrivedOn: new Date() }]],
      closed: [['submit', 'applicant'], ['start_screening', 'hr'], ['send_to_evaluation', 'hr'], ['shortlist', 'leader'], ['approve_offer', 'leader'], ['accept_offer', 'applicant'], ['mark_arrived', 'hr', { arrivedOn: new Date() }], ['close', 'hr']],
      rejected: [['submit', 'applicant'], ['start_screening', 'hr'], ['reject', 'hr', { reason: 'The call requires at least five years of post-doctoral research.' }]],
      withdrawn: [['submit', 'applicant'], ['withdraw', 'applicant']],
      on_hold: [['submit', 'applicant'], ['start_screening', 'hr'], ['put_on_hold', 'hr', { reason: 'Waiting for the 2026 budget decision.', reviewBy: 'DUE' }]],
    };
    const names: Record<Stage, [string, string, string]> = {
      draft: ['Nguyễn Minh Khoa', 'DE', 'vi'],
      submitted: ['Maria Rossi', 'IT', 'en'],
      screening: ['Trần Đức Anh', 'FR', 'vi'],
      awaiting_applicant: ['Anna Nguyen', 'US', 'en'],
      evaluation: ['Kenji Watanabe', 'JP', 'en'],
      shortlisted: ['Phạm Thị Hồng', 'AU', 'vi'],
      offer: ['Lukas Becker', 'DE', 'en'],
      onboarding: ['Lê Hoàng Nam', 'CA', 'vi'],
      arrived: ['Sofia Lindqvist', 'SE', 'en'],
      closed: ['Võ Thanh Tùng', 'KR', 'vi'],
      rejected: ['James O\'Brien', 'IE', 'en'],
      withdrawn: ['Đặng Mai Linh', 'SG', 'vi'],
      on_hold: ['Priya Raman', 'IN', 'en'],
    };
    const storage = createStorage(config, db.connection);
    const created: string[] = [];
    for (const stage of Object.keys(routes) as Stage[]) {
      const [fullName, nationality, locale] = names[stage];
      const owner = stage === 'awaiting_applicant' ? applicant : await account(`candidate-${stage.replace('_', '-')}@${DOMAIN}`, fullName, 'applicant', { locale });
      if (await Case.exists({ applicant: owner._id, call: call1._id })) continue;
      const now = new Date();
      let c = await Case.create({
        reference: await nextCaseReference(now),
        applicant: owner._id,
        call: call1._id,
        institute: call1.institute,
        track: call1.track,
        stage: 'draft',
        stageEnteredAt: now,
        assignee: hr._id,
        profile: {
          fullName,
          dateOfBirth: new Date('1984-04-12'),
          gender: 'undisclosed',
          nationality,
          countryOfResidence: nationality,
          overseasVietnamese: locale === 'vi',
          phone: '+84 24 3756 1234',
          // The applicant's own words, in the language they use the portal in (walk 28 #18).
          currentPosition: locale === 'vi' ? 'Nghiên cứu viên cao cấp' : 'Senior researcher',
          currentEmployer: locale === 'vi' ? 'Trung tâm nghiên cứu của trường đại học' : 'University research centre',
          highestDegree: 'phd',
          field: textIn(call1.field, locale === 'en' ? 'en' : 'vi'),
          plannedArrival: new Date(Date.UTC(year + 1, 2, 1)),
        },
        eligibility: criteriaFor(call1.track).map((c) => ({ key: c.key, met: true, evidence: locale === 'vi' ? 'Xem lý lịch khoa học và danh mục công bố.' : 'See the CV and the list of publications.' })),
        achievements: {
          publications: [{ title: 'Defect engineering in wide-bandgap semiconductors', venue: 'Nature Materials', year: 2022 }],
          patents: [{ title: 'Low-temperature GaN deposition', number: 'EP3456789', year: 2021 }],
          projectsLed: [{ title: 'Horizon Europe power electronics project', funder: 'European Commission', year: 2023, budgetUsd: 2_400_000 }],
          publicationsCount: 1,
          patentsCount: 1,
        },
        dependants: stage === 'onboarding' ? [{ fullName: 'Trần Thu Trang', relationship: 'spouse', dateOfBirth: new Date('1988-06-14'), nationality }] : [],
        supportRequested: { workPermit: true, visa: true, residenceCard: true, housing: true, citizenship: false, family: stage === 'onboarding' },
        history: [{ at: now, actor: owner._id, actorRole: 'applicant', action: 'create', to: 'draft' }],
      });
      for (const [action, who, payload] of routes[stage]) {
        // The applicant uploads the required documents before submitting; HR accepts them before evaluation.
        if (action === 'submit') await storeDocuments(c._id, call1, owner);
        if (action === 'approve_offer') await prepareOffer(c._id, locale === 'vi' ? 'vi' : 'en');
        // Procedures are granted before arrival (its guard: the visa and the right to work) and settled
        // before a case is closed (the close guard): recorded as granted, filed the day before.
        if (action === 'mark_arrived' || action === 'close') await Case.updateOne({ _id: c._id }, { $set: { supportTracks: (c.supportTracks ?? []).map((s) => ({ ...(s as { toObject(): object }).toObject(), ...(s.status === 'not_needed' ? {} : { status: 'approved', dueAt: undefined, filedAt: new Date(Date.now() - 86_400_000) }) })) } });
        if (action === 'send_to_evaluation') await CaseDocument.updateMany({ case: c._id, status: 'pending' }, { $set: { status: 'accepted', reviewedBy: hr._id, reviewedAt: new Date() } });
        const actor = who === 'applicant' ? owner : who === 'hr' ? hr : leader;
        // 'DUE': a working day ahead, counted now (a request's answer date, a hold's review date).
        const p = payload?.dueAt === 'DUE' ? { ...payload, dueAt: await workingDayDeadline(new Date(), 10) } : payload?.reviewBy === 'DUE' ? { ...payload, reviewBy: await workingDayDeadline(new Date(), 20) } : payload;
        const actx = systemContext({ now: new Date(), actor, locale: actor.locale === 'en' ? 'en' : 'vi' });
        if (who === 'leader') {
          // As a leader decides: the panel's scorecard first, then the decision page's step with a reason.
          // The leader's own words, kept internal: in their language (Vietnamese), whatever the applicant's.
          if (action === 'shortlist') await submitEvaluation({ ctx: actx, caseId: String(c._id), callId: String(call1._id), input: { scores: { research: 5, leadership: 4, fit: 4 }, recommendation: 'strong_yes', comment: 'Thành tích tốt về vật liệu bán dẫn vùng cấm rộng.' } });
          const reason = action === 'shortlist' ? 'Thành tích nghiên cứu vững và kế hoạch rõ ràng cho phòng thí nghiệm.' : 'Hội đồng và ngân sách đều đồng ý: có thể gửi lời mời làm việc.';
          c = (await decideCase({ app: ctx, ctx: actx, call: call1, caseId: c._id, action: action as Decision, version: c.version, reason })).caseDoc;
        } else {
          c = await transition({ app: ctx, ctx: actx, caseId: c._id, action, expectedVersion: c.version, payload: p });
        }
      }
      created.push(`    ${c.reference}  ${stage.padEnd(18)} ${fullName} <${owner.email}>`);
    }

    /** A folder only this user may enter (created so, or narrowed when it was already there). */
    async function privateDir(dir: string): Promise<void> {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
    }

    /** One demo PDF stored as a document of the case, as an upload stores it. */
    async function storeDemoPdf(caseId: Types.ObjectId, type: (typeof STORED_DOCUMENT_TYPES)[number], by: UserDoc, extra: Record<string, unknown> = {}) {
      const tmpDir = uploadTempDir(config!);
      await privateDir(config.upload.dir);
      await privateDir(tmpDir);
      const key = newStorageKey();
      const tmp = path.join(tmpDir, key);
      // 0600 whatever the umask; the disk store moves it (rename keeps the mode) into its shard folder.
      await writeFile(tmp, DEMO_PDF, { mode: 0o600 });
      await chmod(tmp, 0o600);
      if (storage instanceof DiskStorage) await privateDir(path.dirname(storage.pathOf(key)));
      const sha256 = createHash('sha256').update(DEMO_PDF).digest('hex');
      await storage.put(tmp, key, { contentType: 'application/pdf', sha256 });
      return CaseDocument.create({
        case: caseId,
        type,
        slot: 0,
        version: 1,
        current: true,
        storage: storage.kind,
        storageKey: key,
        originalName: `${type}.pdf`,
        mimeType: 'application/pdf',
        size: DEMO_PDF.length,
        sha256,
        uploadedBy: by._id,
        status: 'pending',
        ...extra,
      });
    }

    async function storeDocuments(caseId: Types.ObjectId, call: CallDoc, owner: UserDoc): Promise<void> {
      for (const item of call.checklist.filter((i) => i.phase === 'application' && i.required)) {
        if (await CaseDocument.exists({ case: caseId, type: item.type })) continue;
        await storeDemoPdf(caseId, item.type, owner, item.type === 'passport' ? { issuedAt: new Date(Date.UTC(year - 2, 0, 15)), expiresAt: new Date(Date.UTC(year + 8, 0, 14)) } : {});
      }
    }

    /**
     * HR prepares the offer (its terms and letter) before the leaders decide: an acceptance needs both.
     * In the applicant's language (HR writes the terms for them); the salary left empty, so each
     * reader sees "As in the letter" in their own language, as HR's form says it does.
     */
    async function prepareOffer(caseId: Types.ObjectId, locale: 'vi' | 'en'): Promise<void> {
      const letter = await storeDemoPdf(caseId, OFFER_LETTER_TYPE, hr, { status: 'accepted', reviewedBy: hr._id, reviewedAt: new Date() });
      const terms = locale === 'vi' ? { position: 'Nghiên cứu viên chính, phòng thí nghiệm bán dẫn', contractLength: '3 năm' } : { position: 'Principal researcher, semiconductor lab', contractLength: '3 years' };
      await Case.updateOne({ _id: caseId }, { $set: { offerTerms: { ...terms, startOn: new Date(Date.UTC(year + 1, 2, 1)), letter: letter._id, updatedAt: new Date(), updatedBy: hr._id } } });
    }

    // The demo's staff need their authenticator secret: shown here once (it is stored encrypted).
    const staffLine = async (u: UserDoc, label: string) => {
      const fresh = await User.findById(u._id).lean();
      const secret = fresh ? openTotpSecret(config, fresh) : null;
      return `    ${label.padEnd(12)} ${u.email}${secret ? `   TOTP secret ${secret} (code now: ${totpNow(secret)})` : ''}`;
    };
    out.push(
      '',
      `Demo accounts (password for all: ${DEMO_PASSWORD})`,
      await staffLine(admin, 'admin'),
      await staffLine(hr, 'HR officer'),
      await staffLine(leader, 'leader'),
      await staffLine(hrAi, 'HR (AI)'),
      await staffLine(leaderAi, 'leader (AI)'),
      `    ${'applicant'.padEnd(12)} ${applicant.email}`,
      '  Staff sign in with the password and a code from an authenticator app holding the TOTP secret above.',
      '',
      `Institutes: ${ims.code}, ${ai.code}. Open calls: ${call1.code}, ${call2.code}.`,
      created.length ? `Cases created (${created.length}):` : 'Cases: already present (nothing added).',
      ...created,
      '',
      'The status e-mails of these cases are delivered by the app (npm start) from the outbox.',
    );
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await mailer.close();
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`Seed failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
