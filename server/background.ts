// Importing this module registers every feature's background services (server/services.ts).
// One import line per feature, e.g. `import './outbox/service.ts';`
import './outbox/service.ts';
import './reminders/service.ts';
import './documents/service.ts';
import './documents/sweep.ts';
import './documents/orphan-chunks.ts';
import './privacy/service.ts';
import './planner/register.ts';
import './procedures/job.ts';
import './cases/job.ts';
import './accounts/job.ts';
import './dashboard/job.ts';
export {};
