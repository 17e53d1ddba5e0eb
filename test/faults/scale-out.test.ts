// Scenario 9: two intake-only serve processes (a load balancer alternates between them) and two `triage worker`
// processes on one database. The work must spread over both workers (counted by each process's pipeline.posted
// lines) and the invariants hold: every acknowledged ticket posted once, and one posted line per message.
import assert from 'node:assert/strict';
import { findFreePort } from '../../src/db/embedded.ts';
import { ollamaChat } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import { withDeadline } from '../helpers/pipeline.ts';
import { answerSummary, startDriver } from './harness/driver.ts';
import { scenarioTest, useFaultRig } from './harness/rig.ts';
import { assertInvariants, count, drain, report } from './harness/tally.ts';

const rig = useFaultRig();

scenarioTest(
  '2 serve + 2 worker processes on one database: work spreads, invariants hold',
  { short: false },
  async () => {
    const fault = 'scale-out-2x2';
    const s = await rig.open(fault);
    // A model that takes a moment, so one worker cannot take everything the moment it arrives.
    const slow = ollamaChat(validOutput());
    s.ollama.setDefault(typeof slow === 'object' ? { ...slow, delayMs: 150 } : slow);
    // The first serve migrates the new database; the others start together on the migrated schema.
    await s.start('serve', { WORKER_CONCURRENCY: '0' });
    const secondPort = String(await findFreePort());
    const [, ...workers] = await Promise.all([
      s.start('serve', { WORKER_CONCURRENCY: '0', PORT: secondPort }),
      s.start('worker', { WORKER_CONCURRENCY: '2' }),
      s.start('worker', { WORKER_CONCURRENCY: '2' }),
    ]);
    const driver = startDriver({ urls: s.serveUrls, firstId: 9_100_000, ratePerSecond: 10, durationMs: 12_000 });
    try {
      const result = await withDeadline(driver.done, 90_000, 'the driver to settle');
      const drained = await drain(s, result.acknowledged, { timeoutMs: 40_000 });
      const perWorker = workers.map((w) => w.notified().length);
      const total = perWorker.reduce((a, b) => a + b, 0);
      const posted = s.discord.requests.filter((r) => r.status === 200).length;
      const counts = count(fault, s, result, {
        drained,
        extra: {
          spread: workers.map((w, i) => `${w.name}:${perWorker[i]}`).join(','),
          notified_lines: total,
          answers: answerSummary(result.answers),
        },
      });
      report(counts);
      assertInvariants(counts);
      assert.equal(total, posted, 'one pipeline.posted line per Discord message');
      for (const [i, n] of perWorker.entries()) {
        assert.ok(n >= total * 0.15, `worker ${i + 1} notified only ${n} of ${total}: the work did not spread`);
      }
    } finally {
      driver.abort();
      await s.close();
    }
  },
);
