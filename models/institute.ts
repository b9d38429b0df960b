import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';

const instituteSchema = new Schema(
  {
    code: { type: String, required: true, unique: true, uppercase: true, trim: true, match: /^[A-Z0-9-]{2,20}$/ },
    name: {
      vi: { type: String, required: true, trim: true, maxlength: 300 },
      en: { type: String, required: true, trim: true, maxlength: 300 },
    },
    /**
     * How an applicant reaches the institute's HR office and where papers asked outside the upload
     * list go (the applicant's page, the e-mails asking for them): each part optional, as typed.
     * The limits are HR_CONTACT_LIMITS (server/admin/institutes.ts), checked by the admin form.
     * The address and the hours are in both languages (each may be given in one only: the other is
     * shown from it); one stored before as a string reads as that string until
     * server/calls/bilingual-backfill.ts turns it into {vi, en}.
     */
    hrContact: {
      email: { type: String, trim: true, lowercase: true, maxlength: 254 },
      phone: { type: String, trim: true, maxlength: 40 },
      address: {
        vi: { type: String, trim: true, maxlength: 500 },
        en: { type: String, trim: true, maxlength: 500 },
      },
      hours: {
        vi: { type: String, trim: true, maxlength: 200 },
        en: { type: String, trim: true, maxlength: 200 },
      },
    },
  },
  { timestamps: true },
);

export type InstituteFields = InferSchemaType<typeof instituteSchema>;
export type InstituteDoc = HydratedDocument<InstituteFields>;
export const Institute = model('Institute', instituteSchema);
