// Administrators' edits of the e-mail templates (views/emails/<template>/<locale>.*.hbs). Every save
// is a new version, never an update: the current text of a template in a language is its highest
// version; `kind: 'builtin'` as the highest version means "back to the built-in files". A version
// is immutable, so the mail log can render a message again with the version it was sent with.
import { Schema, model, type InferSchemaType } from 'mongoose';

const emailTemplateSchema = new Schema(
  {
    template: { type: String, required: true, match: /^[a-z0-9_-]{1,60}$/ },
    locale: { type: String, enum: ['vi', 'en'], required: true },
    /** 1, 2, 3, …: the unique index on (template, locale, version) refuses a stale or double save. */
    version: { type: Number, required: true, min: 1 },
    /** edit: typed by an administrator; revert: copied from `revertedFrom`; builtin: back to the files;
     * kept: the version before it, kept as it is after its built-in template changed (reviewed). */
    kind: { type: String, enum: ['edit', 'revert', 'builtin', 'kept'], required: true },
    subject: { type: String, maxlength: 500, default: '' },
    text: { type: String, maxlength: 100_000, default: '' },
    html: { type: String, maxlength: 100_000, default: '' },
    revertedFrom: { type: Number },
    /**
     * The built-in template (same event and language) this text was written against: its hash
     * (server/mail/templates.ts builtinHash) and its text, so that when a release changes the
     * built-in one the editor can show what changed. Absent on versions saved before it was kept:
     * made from an unknown older built-in template. A revert carries its source's; `kept`, the
     * built-in template it was reviewed against.
     */
    base: {
      type: new Schema(
        {
          hash: { type: String, required: true, match: /^[0-9a-f]{64}$/ },
          subject: { type: String, maxlength: 500, default: '' },
          text: { type: String, maxlength: 100_000, default: '' },
          html: { type: String, maxlength: 100_000, default: '' },
        },
        { _id: false },
      ),
      default: undefined,
    },
    savedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    savedByName: { type: String, maxlength: 200 },
    savedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

emailTemplateSchema.index({ template: 1, locale: 1, version: -1 }, { unique: true });

function refuse(): never {
  throw new Error('EmailTemplate versions are append-only');
}
for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne'] as const) emailTemplateSchema.pre(op, refuse);

export type EmailTemplateFields = InferSchemaType<typeof emailTemplateSchema>;
export const EmailTemplate = model('EmailTemplate', emailTemplateSchema);

// A draft's preview (the editor's "Preview" button): what was typed, kept so that the preview frame
// can load the HTML part as a document of its own, under its own policy (server/http/email-preview.ts;
// inside the page it would lose its inline styles to the site's). It holds the template text and a
// case reference, never a rendered e-mail (the frame renders it afresh, as the case is now); only the
// administrator who typed it reads it, and it is gone after PREVIEW_LIFETIME_MS (TTL; expiry is also
// checked on read, as the sweep is lazy). Not a version: a preview changes no template.
export const PREVIEW_LIFETIME_MS = 30 * 60_000;

const emailTemplatePreviewSchema = new Schema(
  {
    owner: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    template: { type: String, required: true, match: /^[a-z0-9_-]{1,60}$/ },
    locale: { type: String, enum: ['vi', 'en'], required: true },
    subject: { type: String, maxlength: 500, default: '' },
    text: { type: String, maxlength: 100_000, default: '' },
    html: { type: String, maxlength: 100_000, default: '' },
    reference: { type: String, maxlength: 20 },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

emailTemplatePreviewSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

export const EmailTemplatePreview = model('EmailTemplatePreview', emailTemplatePreviewSchema);
