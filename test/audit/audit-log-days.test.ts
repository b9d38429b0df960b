// The audit log's period is days in Vietnam (UTC+7), both ends included, counted by the working-day
// calendar's own day start (server/calendar vnStartOfDay/vnEndOfDay), not a copy of it: an event at
// 00:00 on the first day and one at 23:59:59.999 on the last are in, a millisecond either side out.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { listAuditLog } from '../../server/audit/log.ts';
import { systemContext } from '../../server/context.ts';

describe('audit log: a period is whole days in Vietnam', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it('includes 00:00 of the first day and 23:59:59.999 of the last (Vietnam time), nothing a millisecond outside', async () => {
    const admin = await createUser({ role: 'admin' });
    // 14-15 May 2034 in Vietnam: 00:00 on the 14th is 17:00 UTC on the 13th.
    const firstStart = Date.UTC(2034, 4, 13, 17, 0, 0);
    const lastEnd = Date.UTC(2034, 4, 15, 17, 0, 0) - 1;
    const ev = (ms: number, targetId: string) => ({ at: new Date(ms), action: 'holiday.create', targetType: 'holiday', targetId });
    await AuditEvent.create([ev(firstStart - 1, 'before'), ev(firstStart, 'first'), ev(lastEnd, 'last'), ev(lastEnd + 1, 'after')]);
    const ctx = systemContext({ now: new Date(), actor: admin as never });
    const r = await listAuditLog({ ctx, filters: { from: '2034-05-14', to: '2034-05-15' } });
    expect(r.rows.map((e) => e.targetId)).to.deep.equal(['last', 'first']);
    const oneDay = await listAuditLog({ ctx, filters: { from: '2034-05-15', to: '2034-05-15' } });
    expect(oneDay.rows.map((e) => e.targetId)).to.deep.equal(['last']);
  });
});
