// What moving every stage change between the stored stage counts (not only decisions) adds, A/B in
// alternating rounds on one database:
//
//   DATA_DIR=/tmp/some-dir node --import tsx bench/stage-move-every-step.ts [--rounds 8] [--per-round 100]
//
// Step: A = the step's own conditional write of the case (as server/workflow/index.ts record makes
// it), B = that write then applyStageMove over the institute's 40 stored filters (what every step
// now does). Page (the dashboard's hot path, readFigures): A = read with no stage change between
// reads, B = a stage change before each read (each move drops this process's copy of the figures it
// wrote, so the next view reads them again); only the read is timed. Prints each round's medians and
// the B/A ratios of the medians.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { openDatabase } from '../server/db/index.ts';
import { Case } from '../models/case.ts';
import { DashboardFigures } from '../models/dashboard-figures.ts';
import { median, medianTime, seedStoredFigures } from './support/stored-figures.ts';
import { applyStageMove, readFigures } from '../server/dashboard/stored.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '8' }, 'per-round': { type: 'string', default: '100' } } });
const rounds = Number(values.rounds);
const perRound = Number(values['per-round']);
const config = loadConfigOrExit();
const db = await openDatabase(config, createLogger('warn'));

try {
  const { institute, call } = await seedStoredFigures();
  // One case the steps move back and forth (its write as record() makes it: _id, stage, version).
  const kase = await Case.collection.insertOne({ reference: 'TA-BENCH-1', institute, call, stage: 'offer', version: 0, history: [], submittedAt: new Date('2026-06-01T03:00:00Z') });
  let stage = 'offer';
  let version = 0;
  const write = async () => {
    const to = stage === 'offer' ? 'onboarding' : 'offer';
    await Case.collection.findOneAndUpdate({ _id: kase.insertedId, stage, version }, { $set: { stage: to, stageEnteredAt: new Date() }, $inc: { version: 1 }, $push: { history: { at: new Date(), from: stage, to } } as never });
    const from = stage;
    stage = to;
    version += 1;
    return { from, to };
  };
  const stepA = () => write();
  const stepB = async () => {
    const before = new Date();
    const { from, to } = await write();
    await applyStageMove({ institute: String(institute), call: String(call), submittedAt: new Date('2026-06-01T03:00:00Z'), from, to, firstReach: false }, before);
  };
  const filter = { institute };
  const page = () => readFigures({ filter, now: new Date() });
  const time = medianTime;
  await time(stepA, 20);
  await time(stepB, 20);
  await time(page, 20);
  const ratios = { step: [] as number[], page: [] as number[] };
  for (let r = 0; r < rounds; r += 1) {
    const order = r % 2 ? ['B', 'A'] : ['A', 'B'];
    const res: Record<string, number> = {};
    for (const o of order) res[`step${o}`] = await time(o === 'A' ? stepA : stepB, perRound);
    for (const o of order) res[`page${o}`] = await time(page, perRound, o === 'A' ? undefined : stepB);
    ratios.step.push(res.stepB! / res.stepA!);
    ratios.page.push(res.pageB! / res.pageA!);
    console.log(`round ${r + 1}: step A ${res.stepA!.toFixed(2)} ms, B ${res.stepB!.toFixed(2)} ms (B/A ${(res.stepB! / res.stepA!).toFixed(2)}); page A ${res.pageA!.toFixed(3)} ms, B ${res.pageB!.toFixed(3)} ms (B/A ${(res.pageB! / res.pageA!).toFixed(2)})`);
  }
  console.log(`median B/A over ${rounds} rounds: step write ${median(ratios.step).toFixed(2)}, dashboard page read ${median(ratios.page).toFixed(2)}`);
} finally {
  await DashboardFigures.deleteMany({});
  await Case.collection.deleteMany({ reference: 'TA-BENCH-1' });
  await db.close();
}
