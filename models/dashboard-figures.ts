// The dashboard's figures as last computed, one small document per scope and filter
// (server/dashboard/stored.ts): every web process reads the same figures, and one computation
// (the primary's background refresh, or one process holding `computingUntil`) serves them all.
import { Schema, model, type InferSchemaType } from 'mongoose';

const dashboardFiguresSchema = new Schema(
  {
    /** JSON of [institute, call, from, to] ('' = any): server/dashboard/stored.ts figuresKey. */
    key: { type: String, required: true, maxlength: 200 },
    /** The scope's institute (null: every institute), so a write in one institute marks its figures. */
    institute: { type: Schema.Types.ObjectId, default: null },
    /** No call and no period: the figures a leader opens the dashboard on (warmed at start). */
    plain: { type: Boolean, default: false },
    /** DashboardData and the forecast arrivals as computed (server/dashboard/index.ts). */
    data: { type: Schema.Types.Mixed },
    forecastArrivals: { type: Schema.Types.Mixed },
    computedAt: { type: Date, default: null },
    /** A write that changes the figures happened after this (server/dashboard invalidateDashboard). */
    staleSince: { type: Date, default: null },
    /** A stage change was moved between the stage counts after the computation (server/dashboard/stored.ts applyStageMove). */
    movedAt: { type: Date, default: null },
    /** Last viewed (written at most every few minutes): only figures viewed in the last hour are kept current. */
    viewedAt: { type: Date, default: null },
    /** One computation at a time across processes: the one that set this computes until then. */
    computingUntil: { type: Date, default: null },
  },
  { versionKey: false, minimize: false },
);

dashboardFiguresSchema.index({ key: 1 }, { unique: true });
dashboardFiguresSchema.index({ institute: 1 });
dashboardFiguresSchema.index({ viewedAt: 1 });

export type DashboardFiguresFields = InferSchemaType<typeof dashboardFiguresSchema>;
export const DashboardFigures = model('DashboardFigures', dashboardFiguresSchema);
