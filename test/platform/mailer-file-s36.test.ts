// The file transport (no SMTP_URL): a message's file is named by its Message-ID, so a retry of the
// same message (the outbox's key) finds it and writes no second copy; a folder that cannot be
// written fails the send with its code, said as the mail folder's fault (the mail log explains it
// so), and leaves no temporary file. The drill with a killed process and a full or read-only disk
// is test/drills/file-mail-s36.test.ts.
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { createMailer } from '../../server/mail/mailer.ts';
import { explainFailure, failureKind } from '../../server/mail-log/failures.ts';
import { describeSmtpError } from '../../server/outbox/index.ts';
import { translator } from '../../server/i18n/index.ts';

const mail = { to: 'someone@example.test', subject: 'Xin chào', text: 'Kính gửi Ông/Bà', html: '<p>Kính gửi Ông/Bà</p>', language: 'vi' as const, messageId: 'case-1-hold-2' };

describe('platform: the file transport', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'talent-mail-s36-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one whole file per Message-ID, however often the same message is sent', async () => {
    const mailer = createMailer({ mailDir: path.join(dir, 'mail'), from: 'Talent <noreply@talent.local>' });
    const first = await mailer.send(mail);
    const again = await mailer.send({ ...mail, subject: 'sent again after a crash' });
    expect(again.file).to.equal(first.file);
    expect(readdirSync(path.join(dir, 'mail'))).to.deep.equal([path.basename(first.file!)]);
    const parsed = await simpleParser(readFileSync(first.file!));
    expect(parsed.messageId).to.equal('<case-1-hold-2@talent.local>');
    expect(parsed.subject, 'the first copy kept').to.equal('Xin chào');
  });

  it('gives two long Message-IDs that share their first 120 characters a file each (neither taken as sent by the other)', async () => {
    const mailer = createMailer({ mailDir: path.join(dir, 'mail'), from: 'Talent <noreply@talent.local>' });
    const stem = `case-${'6b1686fa79c04306275fcf3f'.repeat(5)}`;
    const one = await mailer.send({ ...mail, messageId: `${stem}-planned-start-moved-1` });
    const two = await mailer.send({ ...mail, messageId: `${stem}-planned-start-moved-2`, subject: 'the second' });
    expect(two.file).not.to.equal(one.file);
    expect(readdirSync(path.join(dir, 'mail')).sort()).to.deep.equal([path.basename(one.file!), path.basename(two.file!)].sort());
    expect((await simpleParser(readFileSync(two.file!))).subject).to.equal('the second');
    // A short safe id keeps its own name.
    expect(path.basename((await mailer.send(mail)).file!)).to.equal('case-1-hold-2@talent.local.eml');
  });

  it('fails with the folder’s error, explained to HR as this server’s mail folder, and leaves nothing', async () => {
    const notADir = path.join(dir, 'mail');
    writeFileSync(notADir, 'a file where the folder should be');
    const mailer = createMailer({ mailDir: notADir, from: 'noreply@talent.local' });
    const err = await mailer.send(mail).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(err?.code).to.match(/^E(EXIST|NOTDIR)$/);
    expect(err?.message).to.include(`mail folder ${notADir}`);
    expect(readdirSync(dir)).to.deep.equal(['mail']);
    const full = describeSmtpError(Object.assign(new Error(`mail folder ${notADir}: ENOSPC: no space left on device, write`), { code: 'ENOSPC' }));
    expect(failureKind(full)).to.equal('mailFolder');
    const pending = explainFailure(translator('vi'), { status: 'pending', lastError: full, attempts: 1, at: new Date('2026-12-07T09:00:00Z'), retryUntil: new Date('2026-12-07T12:00:00Z') }, () => '12:00');
    expect(pending?.advice).to.include('không ghi được thư vào thư mục thư').and.include('12:00').and.include('Anh/Chị');
    const dead = explainFailure(translator('en'), { status: 'dead', lastError: full, attempts: 8, at: new Date() }, () => '');
    expect(dead?.advice).to.include('could not write the e-mail into its mail folder');
    // An SMTP error is not taken for the folder's.
    expect(failureKind('452 4.3.1 Insufficient system storage')).to.equal('temporary');
  });
});
