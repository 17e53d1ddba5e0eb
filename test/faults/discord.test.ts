// Scenario 6: Discord fails. 500s for 5 s then recovery; 429 with retry_after (body) and Retry-After (header) for 4 s;
// 404 Unknown Webhook for a few messages, whose tickets must end `failed` without being posted ("refused by Discord",
// not lost), and be posted exactly once after the webhook works again and `triage replay` queues them.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { DiscordFailure } from '../fixtures/discord.ts';
import { waitUntil, withDeadline } from '../helpers/pipeline.ts';
import { cleanEnv, spawnService } from '../helpers/process.ts';
import { answerSummary, startDriver } from './harness/driver.ts';
import { type Scenario, scenarioTest, useFaultRig } from './harness/rig.ts';
import { assertInvariants, count, drain, messagesByTicket, report } from './harness/tally.ts';

const rig = useFaultRig();

async function discordOutage(fault: string, firstId: number, failure: DiscordFailure, outageMs: number) {
  const s = await rig.open(fault);
  await s.start('serve');
  const driver = startDriver({ urls: s.serveUrls, firstId, ratePerSecond: 6, durationMs: outageMs + 10_000 });
  try {
    await waitUntil('15 acknowledged deliveries before the fault', () => driver.acknowledged.size >= 15, {
      timeoutMs: 20_000,
    });
    s.gate.setMode({ kind: 'fail', failure, retryAfterSeconds: 0.5 });
    await delay(outageMs); // the fault itself
    s.gate.setMode({ kind: 'pass' });
    const faultEnd = performance.now();
    const result = await withDeadline(driver.done, 90_000, 'the driver to settle');
    const drained = await drain(s, result.acknowledged, { timeoutMs: 45_000 });
    const refusals = s.gate.records.filter((r) => r.refusedByProxy).length;
    const counts = count(fault, s, result, {
      drained,
      faultEnd,
      extra: { discord_refusals: refusals, answers: answerSummary(result.answers) },
    });
    report(counts);
    assert.ok(refusals > 0, 'the fault was hit');
    assertInvariants(counts);
  } finally {
    driver.abort();
    await s.close();
  }
}

scenarioTest('Discord answers 500 for 5 s, then recovers: every ticket posted once', { short: true }, () =>
  discordOutage('discord-500', 6_100_000, 'server_error', 5000),
);

scenarioTest('Discord answers 429 with retry_after for 4 s: every ticket posted once', { short: false }, () =>
  discordOutage('discord-429', 6_200_000, 'rate_limit', 4000),
);

const REFUSED = 4;

async function replay(s: Scenario, ticketId: string, portalId: string | null): Promise<void> {
  const args = ['--import', 'tsx', 'src/main.ts', 'replay', ticketId, ...(portalId ? ['--portal', portalId] : [])];
  const cli = spawnService(process.execPath, args, cleanEnv({ DATABASE_URL: s.databaseUrl, LOG_LEVEL: 'warn' }));
  const exit = await cli.waitForExit(30_000);
  assert.equal(exit.code, 0, `triage replay ${ticketId}: ${cli.lines.join('\n')}\n${cli.stderr()}`);
}

scenarioTest(
  'Discord 404 Unknown Webhook: tickets end failed, unposted; after replay each posted once',
  { short: false },
  async () => {
    const fault = 'discord-404';
    const s = await rig.open(fault);
    await s.start('serve');
    // No re-deliveries here: a re-delivery of a failed ticket queues it again by itself (the intake only answers
    // `duplicate` for posted tickets), which would do the replay's job before the replay.
    const driver = startDriver({
      urls: s.serveUrls,
      firstId: 6_300_000,
      ratePerSecond: 6,
      durationMs: 8_000,
      redeliverEvery: 0,
    });
    try {
      await waitUntil('10 acknowledged deliveries before the fault', () => driver.acknowledged.size >= 10, {
        timeoutMs: 20_000,
      });
      s.gate.failNext(REFUSED, 'unknown_webhook');
      const result = await withDeadline(driver.done, 90_000, 'the driver to settle');
      const refused = new Set(s.gate.records.filter((r) => r.refusedByProxy).map((r) => r.ticketId ?? '?'));
      const drainedBefore = await drain(s, result.acknowledged, { timeoutMs: 30_000, exempt: refused });
      const { rows: failed } = await s.pool.query<{ ticket_id: string; portal_id: string | null }>(
        "select ticket_id, portal_id from processed_tickets where status = 'not_posted' order by ticket_id",
      );
      const postedBeforeReplay = [...refused].filter((id) => messagesByTicket(s).has(id));

      for (const row of failed) await replay(s, row.ticket_id, row.portal_id);
      const drained = drainedBefore && (await drain(s, result.acknowledged, { timeoutMs: 30_000 }));
      const counts = count(fault, s, result, {
        drained,
        extra: { refused_by_discord: refused.size, failed_before_replay: failed.length, replayed: failed.length },
      });
      report(counts);
      assert.equal(refused.size, REFUSED, 'each refusal hit a different ticket');
      assert.deepEqual(failed.map((r) => r.ticket_id).sort(), [...refused].sort(), 'refused tickets ended failed');
      assert.deepEqual(postedBeforeReplay, [], 'a refused ticket was posted before the replay');
      assertInvariants(counts);
    } finally {
      driver.abort();
      await s.close();
    }
  },
);
