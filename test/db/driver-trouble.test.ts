// A database outage does not flood the log: the driver's monitor fails a heartbeat about every
// 500 ms while the server is down; the app logs the first failure at once, then one summary line per
// interval while it lasts (how many failed, the last error), and one line when heartbeats succeed
// again. A real database process SIGKILLed and started again on the same files and port, a real
// driver, the app's own pino logger writing JSON lines.
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { createLogger } from '../../server/logger.ts';
import { watchDriverTrouble } from '../../server/db/driver-trouble.ts';
import { useExternalDatabase } from '../drills/support/database-process.ts';
import { until } from '../drills/support/app-process.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('database: driver trouble is logged once, summarised, and its end said', function () {
  this.timeout(120_000);
  const database = useExternalDatabase('driver-trouble');
  let client: MongoClient | undefined;
  after(async () => {
    await client?.close().catch(() => undefined);
  });

  it('logs the first failed heartbeat, one summary per interval while down, one line when back', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger('info', sink);
    client = new MongoClient(database.uri, { heartbeatFrequencyMS: 500, serverSelectionTimeoutMS: 2000, connectTimeoutMS: 1000 });
    let failures = 0;
    client.on('serverHeartbeatFailed', () => failures++);
    const stop = watchDriverTrouble(client, logger, { summaryEveryMs: 2000 });
    await client.connect();
    await client.db('talent').command({ ping: 1 });

    await database.kill9();
    const downAt = Date.now();
    await until('the first heartbeat failed', 20_000, () => failures > 0);
    await sleep(Math.max(0, 7000 - (Date.now() - downAt)));
    const failuresWhileDown = failures;
    const byMsg = (re: RegExp) => lines.filter((l) => re.test(String(l.msg)));
    expect(failuresWhileDown, 'the driver kept trying (about every 500 ms)').to.be.at.least(6);
    expect(byMsg(/a heartbeat failed/), 'the first failure, once').to.have.length(1);
    expect(byMsg(/a heartbeat failed/)[0]!.level).to.equal(40);
    const summaries = byMsg(/heartbeats still failing/);
    expect(summaries.length, 'one summary per 2 s over ~7 s').to.be.within(2, 4);
    for (const s of summaries) {
      expect(s.failures, 'failures since the line before').to.be.a('number').and.at.least(1);
      expect((s.err as { message?: string } | undefined)?.message, 'the last error').to.be.a('string').and.not.equal('');
    }
    const reported = 1 + summaries.reduce((n, s) => n + (s.failures as number), 0);
    expect(reported, 'every failure counted once').to.be.within(failuresWhileDown - 5, failuresWhileDown);
    expect(lines.length, `lines while down (${failuresWhileDown} failures)`).to.be.below(failuresWhileDown);

    await database.restart();
    await until('recovery logged', 30_000, () => byMsg(/heartbeats succeed again/).length > 0);
    const back = byMsg(/heartbeats succeed again/);
    expect(back).to.have.length(1);
    expect(back[0]!.level).to.equal(30);
    expect(back[0]!.failures, 'the outage’s failures in all').to.equal(failures);
    expect(back[0]!.downForMs).to.be.a('number').and.at.least(6000);
    await client.db('talent').command({ ping: 1 });

    // Over: no more summaries.
    const after = lines.length;
    await sleep(2500);
    expect(lines.slice(after).filter((l) => /still failing|heartbeat failed/.test(String(l.msg)))).to.have.length(0);
    stop();
  });
});
