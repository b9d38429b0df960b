// What a drill's crash step on a case (./case-step.ts, ./offer-step.ts) opens first, as the app
// does: the configuration of the drill's environment, its database on the drill's data folder, and
// the officer and the case named in the step's JSON argument.
import { Types } from 'mongoose';
import { openDatabase } from '../../../server/db/index.ts';
import { loadConfig } from '../../../server/config.ts';
import { createLogger } from '../../../server/logger.ts';
import { User } from '../../../models/user.ts';
import { Case, type CaseDoc } from '../../../models/case.ts';

export async function openCaseStep<T extends { hr: string; caseId: string }>() {
  const spec = JSON.parse(process.argv[2] ?? '{}') as T;
  const config = loadConfig();
  const logger = createLogger('warn');
  const db = await openDatabase(config, logger);
  const hr = (await User.findOne({ email: spec.hr }))!;
  const caseDoc = (await Case.findById(new Types.ObjectId(spec.caseId))) as CaseDoc;
  return { spec, config, logger, db, hr, caseDoc };
}
