import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';

const instituteSchema = new Schema(
  {
    code: { type: String, required: true, unique: true, uppercase: true, trim: true, match: /^[A-Z0-9-]{2,20}$/ },
    name: {
      vi: { type: String, required: true, trim: true, maxlength: 300 },
      en: { type: String, required: true, trim: true, maxlength: 300 },
    },
  },
  { timestamps: true },
);

export type InstituteFields = InferSchemaType<typeof instituteSchema>;
export type InstituteDoc = HydratedDocument<InstituteFields>;
export const Institute = model('Institute', instituteSchema);
