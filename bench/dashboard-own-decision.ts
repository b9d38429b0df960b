// What walk32 #3 adds to the dashboard's request and to a decision, A/B in alternating rounds on one
// database (neither path reads the cases: the figures are one stored document per filter, so the
// 100,000 cases of bench/dashboard-warm.ts do not enter; their audit trail does, seeded here).
//
//   DATA_DIR=/tmp/some-dir node --import tsx bench/dashboard-own-decision.ts [--rounds 8] [--per-round 150] [--decisions 2000]
//
// Page: A = figures and recent decisions read at once (before), B = decisions first, then the
// figures with freshAfter (after). Decision: A = markFiguresStale alone (before), B = applyStageMove
// then markFiguresStale (after), over 40 stored filters of the institute. Prints each round's
// median per call and the B/A ratio of the medians.
import { parseArgs } from 'node:util';
import { Types } from 'mongoose';
import { loadConfigOrExit } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { openDatabase } from '../server/db/index.ts';
import { AuditEvent } from '../models/audit-event.ts';
import { DashboardFigures } from '../models/dashboard-figures.ts';
import { median, medianTime, seedStoredFigures } from './support/stored-figures.ts';
import { applyStageMove, markFiguresStale, readFigures } from '../server/dashboard/stored.ts';
import { recentDecisions } from '../server/dashboard/decisions.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '8' }, 'per-round': { type: 'string', default: '150' }, decisions: { type: 'string', default: '2000' } } });
const rounds = Number(values.rounds);
const perRound = Number(values['per-round']);
const config = loadConfigOrExit();
const db = await openDatabase(config, createLogger('warn'));

try {
  const { institute, call } = await seedStoredFigures();
  // The audit trail the recent decisions read (newest first through the { action, at } index).
  const n = Number(values.decisions);
  const base = Date.now() - n * 60_000;
  for (let i = 0; i < n; i += 500) {
    await AuditEvent.collection.insertMany(Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ at: new Date(base + (i + j) * 60_000), action: 'case.decision', actorRole: 'leader', targetType: 'case', targetId: String(new Types.ObjectId()), summary: { decision: 'shortlist', institute: String(institute), call: String(call), reference: `TA-${i + j}`, reason: 'bench' } })));
  }
  const filter = { institute };
  const pageA = () => Promise.all([readFigures({ filter, now: new Date() }), recentDecisions({ filter })]);
  const pageB = async () => {
    const decisions = await recentDecisions({ filter });
    return readFigures({ filter, now: new Date(), ...(decisions[0] ? { freshAfter: decisions[0].at } : {}) });
  };
  let flip = 0;
  const move = () => ({ institute: String(institute), call: String(call), submittedAt: new Date('2026-06-01T03:00:00Z'), from: flip % 2 ? 'shortlisted' : 'evaluation', to: flip++ % 2 ? 'evaluation' : 'shortlisted', firstReach: false });
  const decideA = () => markFiguresStale(institute);
  const decideB = async () => {
    await applyStageMove(move(), new Date());
    await markFiguresStale(institute);
  };
  const time = medianTime;
  await time(pageA, 30);
  await time(pageB, 30);
  const ratios = { page: [] as number[], decision: [] as number[] };
  for (let r = 0; r < rounds; r += 1) {
    // Alternate which goes first, so drift on the shared machine lands on both.
    const order = r % 2 ? ['B', 'A'] : ['A', 'B'];
    const res: Record<string, number> = {};
    for (const o of order) res[`page${o}`] = await time(o === 'A' ? pageA : pageB, perRound);
    for (const o of order) res[`dec${o}`] = await time(o === 'A' ? decideA : decideB, Math.max(20, perRound / 5));
    ratios.page.push(res.pageB! / res.pageA!);
    ratios.decision.push(res.decB! / res.decA!);
    console.log(`round ${r + 1}: page A ${res.pageA!.toFixed(2)} ms, B ${res.pageB!.toFixed(2)} ms (B/A ${(res.pageB! / res.pageA!).toFixed(2)}); decision A ${res.decA!.toFixed(2)} ms, B ${res.decB!.toFixed(2)} ms (B/A ${(res.decB! / res.decA!).toFixed(2)})`);
  }
  console.log(`median B/A over ${rounds} rounds: page ${median(ratios.page).toFixed(2)}, decision ${median(ratios.decision).toFixed(2)}`);
} finally {
  await DashboardFigures.deleteMany({});
  await db.close();
}
