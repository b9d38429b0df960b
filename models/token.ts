import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';

export const TOKEN_PURPOSES = ['verify_email', 'password_reset', 'invitation'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

// One-time links sent by e-mail. Only the sha256 of the token is stored, so a copy of the
// database cannot be used to reset a password or accept an invitation.
const tokenSchema = new Schema(
  {
    purpose: { type: String, enum: TOKEN_PURPOSES, required: true },
    tokenHash: { type: String, required: true, unique: true },
    user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date },
    payload: { type: Schema.Types.Mixed },
  },
  { timestamps: true },
);

// Expired tokens disappear by themselves; expiry is also checked on use (the TTL sweep is lazy).
tokenSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
tokenSchema.index({ user: 1, purpose: 1 });

export type TokenFields = InferSchemaType<typeof tokenSchema>;
export type TokenDoc = HydratedDocument<TokenFields>;
export const Token = model('Token', tokenSchema);
