// Scenarios 1 and 2: the PostgreSQL server is stopped (a real stop of the postmaster) for 1 s and for 10 s while
// deliveries arrive and jobs run, then started again. The same serve process must keep accepting and notifying
// afterwards, without a restart; HubSpot's retries carry the deliveries refused meanwhile.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ollamaChat } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import { waitUntil, withDeadline } from '../helpers/pipeline.ts';
import { answerSummary, startDriver } from './harness/driver.ts';
import { scenarioTest, useFaultRig } from './harness/rig.ts';
import { assertInvariants, count, drain, report } from './harness/tally.ts';

const rig = useFaultRig();

async function pgOutage(fault: string, firstId: number, outageMs: number): Promise<void> {
  const s = await rig.open(fault);
  // A slow model keeps jobs running when the server goes away.
  const slow = ollamaChat(validOutput());
  s.ollama.setDefault(typeof slow === 'object' ? { ...slow, delayMs: 300 } : slow);
  const serve = await s.start('serve');
  const driver = startDriver({ urls: s.serveUrls, firstId, ratePerSecond: 8, durationMs: outageMs + 12_000 });
  try {
    await waitUntil('20 acknowledged deliveries before the outage', () => driver.acknowledged.size >= 20, {
      timeoutMs: 20_000,
    });
    await s.pg.stop();
    await delay(outageMs); // the fault itself
    const faultEnd = performance.now();
    await s.pg.start();
    const result = await withDeadline(driver.done, outageMs + 90_000, 'the driver to settle');
    const drained = await drain(s, result.acknowledged, { timeoutMs: 30_000 });
    const alive = serve.proc.child.exitCode === null && serve.proc.child.signalCode === null;
    const counts = count(fault, s, result, {
      drained,
      faultEnd,
      extra: { outage_ms: outageMs, serve_alive: alive ? 'yes' : 'no', answers: answerSummary(result.answers) },
    });
    report(counts);
    assert.ok(alive, `the serve process exited during the outage: ${serve.proc.stderr().slice(-2000)}`);
    assertInvariants(counts);
    assert.notEqual(counts.notify_recover_ms, -1, 'no ticket delivered after the outage was notified');
  } finally {
    driver.abort();
    await s.close();
  }
}

scenarioTest('PostgreSQL stopped for 1 s while jobs run: no loss, no duplicate, no restart', { short: false }, () =>
  pgOutage('pg-outage-1s', 1_100_000, 1000),
);

scenarioTest('PostgreSQL stopped for 10 s while jobs run: no loss, no duplicate, no restart', { short: true }, () =>
  pgOutage('pg-outage-10s', 1_200_000, 10_000),
);
