// One row per e-mail the app tried to send: case e-mails (written by the outbox dispatcher each
// time it records an outcome: retry, sent or dead; and by a requeue) and account e-mails (written
// by server/accounts/mail.ts after the mailer answered, or, for those an administrator's action owes,
// as pending with the action and then with each attempt's outcome). The list pages read only this collection,
// through its indexes, so they never unwind the outbox of every case (100,000 cases and more).
// A case e-mail keeps the subject, text and HTML the dispatcher sent (or last tried), written with the
// attempt's outcome (sentText, sentHtml: bounded, and left out of every read that does not ask for
// them, so the list pages never carry message bodies); rows recorded before that are rendered again
// from the outbox item's data with the template of today (server/mail-log), and say so. Personal data
// kept as the rest of the case is (README "Security": not encrypted by the app), erased with the case
// (server/privacy/erase.ts). An account e-mail keeps the data it was rendered from only when it holds
// no one-time link (server/accounts/mail.ts).
import { Schema, model, type InferSchemaType } from 'mongoose';

/** The longest sent text kept (characters): a longer one is kept cut to this and marked (sentCut). */
export const KEPT_TEXT_MAX = 20_000;
/** The longest sent HTML kept (characters): a longer one is not kept at all (cut HTML is no message), and marked. */
export const KEPT_HTML_MAX = 100_000;

const mailLogSchema = new Schema(
  {
    source: { type: String, enum: ['case', 'account'], required: true },
    /** The outbox item's key (its Message-ID), or a fresh id for an account e-mail. */
    key: { type: String, required: true, maxlength: 300 },
    case: { type: Schema.Types.ObjectId, ref: 'Case' },
    reference: { type: String },
    /** Copied from the case so HR's list is one indexed query. */
    institute: { type: Schema.Types.ObjectId, ref: 'Institute' },
    template: { type: String, required: true },
    to: { type: String, required: true, lowercase: true },
    /**
     * Sent to an administrator as the HR office's fallback (an institute with no HR lead to tell:
     * server/institutes/hr-staff.ts): HR officers read "the administrators", not the address.
     */
    toAdmins: { type: Boolean },
    locale: { type: String, enum: ['vi', 'en'], required: true },
    status: { type: String, enum: ['pending', 'sent', 'dead'], required: true },
    attempts: { type: Number, default: 0 },
    queuedAt: { type: Date },
    /** When this status was recorded (the last attempt, or the requeue). */
    at: { type: Date, required: true },
    sentAt: { type: Date },
    lastError: { type: String, maxlength: 1000 },
    // Pending after a failed try: about when the sender gives up, with the settings it runs with.
    retryUntil: { type: Date },
    messageId: { type: String },
    subject: { type: String, maxlength: 1000 },
    /** The text part as sent (a case e-mail; the last attempt's): read only by the message page. */
    sentText: { type: String, maxlength: KEPT_TEXT_MAX, select: false },
    /** The HTML part as sent, when not longer than KEPT_HTML_MAX. */
    sentHtml: { type: String, maxlength: KEPT_HTML_MAX, select: false },
    /** The text was cut, or the HTML not kept, for their length. */
    sentCut: { type: Boolean, select: false },
    /** The edited template version it was rendered with; 0 = the built-in files. */
    templateVersion: { type: Number, default: 0 },
    /**
     * What an account e-mail was rendered from, for the kinds that hold no one-time link or token
     * (server/accounts/mail.ts KEPT_ACCOUNT_TEMPLATES): the mail log renders it again as sent.
     */
    data: { type: Schema.Types.Mixed },
  },
  { versionKey: false },
);

mailLogSchema.index({ source: 1, case: 1, key: 1 }, { unique: true });
mailLogSchema.index({ at: -1, _id: -1 });
mailLogSchema.index({ institute: 1, at: -1, _id: -1 });
mailLogSchema.index({ to: 1, at: -1, _id: -1 });
mailLogSchema.index({ template: 1, at: -1, _id: -1 });
mailLogSchema.index({ reference: 1, at: -1 });
mailLogSchema.index({ status: 1, at: -1 });

export type MailLogFields = InferSchemaType<typeof mailLogSchema>;
export const MailLog = model('MailLog', mailLogSchema, 'mail_log');
