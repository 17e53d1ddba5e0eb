// The overview's run numbers come from hourly sums written with each run (run_stats_hourly) plus the runs of the
// window's first, partial hour: they must equal what a direct count over the runs gives.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRunStore, latencyBucket, latencyQuantileBound } from '../../src/db/run-store.ts';
import type { NewTriageRun } from '../../src/db/schema.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(() => tdb.drop());

const run = (overrides: Partial<NewTriageRun>): NewTriageRun => ({
  ticketId: 't',
  portalId: null,
  requestId: 'r',
  attempt: 1,
  status: 'posted',
  provider: 'local',
  timings: { queueWaitMs: 1, enrichmentMs: null, providers: [], notifyMs: 1, totalMs: 400 },
  ...overrides,
});

test('latency buckets: bounds are inclusive, the last bucket is open; quantiles give the bucket bound', () => {
  assert.equal(latencyBucket(0), 1);
  assert.equal(latencyBucket(250), 1);
  assert.equal(latencyBucket(251), 2);
  assert.equal(latencyBucket(60_000), 11);
  assert.equal(latencyBucket(60_001), 12);
  assert.equal(latencyQuantileBound([0, 0, 0], 0.5), undefined);
  assert.equal(latencyQuantileBound([2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5), 250);
  assert.equal(latencyQuantileBound([2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.95), 1_000);
  assert.equal(latencyQuantileBound([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], 0.95), null);
});

test('the summary from the hourly sums and the partial first hour equals a direct count over the runs', async () => {
  const runs = createRunStore(tdb.db);
  // Recorded now: they land in the hourly sums.
  await runs.recordRun(run({ provider: 'local', repaired: true }));
  await runs.recordRun(
    run({
      provider: 'groq',
      promptTokens: 700,
      completionTokens: 70,
      fallbackReasons: [{ provider: 'local', reason: 'timeout' }],
      timings: { queueWaitMs: 1, enrichmentMs: null, providers: [], notifyMs: 1, totalMs: 10_500 },
    }),
  );
  await runs.recordRun(
    run({
      provider: 'rules',
      guardInterventions: [{ kind: 'security_escalation', detail: 'x' }],
      fallbackReasons: [
        { provider: 'local', reason: 'circuit_open' },
        { provider: 'groq', reason: 'budget_spent' },
      ],
    }),
  );
  await runs.recordRun(
    run({
      provider: null,
      status: 'not_posted',
      timings: { queueWaitMs: null, enrichmentMs: null, providers: [], notifyMs: null, totalMs: 70_000 },
    }),
  );
  const { rows } = await tdb.pool.query<{ hour: Date }>(`select date_trunc('hour', now()) as hour`);
  const hourStart = rows[0]!.hour;
  const since = new Date(hourStart.getTime() - 30 * 60_000);
  // The window's partial first hour (read from the runs themselves) and a run before the window.
  await tdb.pool.query(
    `insert into triage_runs (ticket_id, request_id, attempt, status, provider, prompt_tokens, completion_tokens,
                              fallback_reasons, timings, created_at) values
       ('head', 'r', 1, 'posted_as_failure', 'groq', 50, 5, '[{"provider":"local","reason":"timeout"}]',
        '{"totalMs": 2500}', $1),
       ('before', 'r', 1, 'posted', 'local', null, null, '[]', '{"totalMs": 100}', $2)`,
    [new Date(since.getTime() + 5 * 60_000), new Date(since.getTime() - 60 * 60_000)],
  );

  const summary = await runs.runSummary(since, 'hour');
  assert.equal(summary.runs, 5);
  assert.deepEqual(summary.byOutcome, { posted: 3, not_posted: 1, posted_as_failure: 1 });
  assert.deepEqual(summary.answeredBy, { local: 1, groq: 2, rules: 1 });
  assert.equal(summary.repaired, 1);
  assert.equal(summary.guarded, 1);
  assert.equal(summary.fellBack, 3);
  assert.deepEqual(
    [...summary.fallbackReasons].sort((a, b) => `${a.provider}${a.reason}`.localeCompare(`${b.provider}${b.reason}`)),
    [
      { provider: 'groq', reason: 'budget_spent', count: 1 },
      { provider: 'local', reason: 'circuit_open', count: 1 },
      { provider: 'local', reason: 'timeout', count: 2 },
    ],
  );
  assert.equal(summary.cloudPromptTokens, 750);
  assert.equal(summary.cloudCompletionTokens, 75);
  // 400, 400 → 500 ms bucket; 10.5 s → 12 s; 70 s → open; 2.5 s → 3 s.
  assert.deepEqual(summary.latencyBuckets, [0, 2, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1]);
  // The chart: the partial hour before, and this hour (or the next, if the clock crossed it meanwhile).
  assert.equal(summary.series[0]!.start.getTime(), hourStart.getTime() - 3_600_000);
  assert.deepEqual(
    { ...summary.series[0], start: undefined },
    { start: undefined, posted: 0, posted_as_failure: 1, not_posted: 0 },
  );
  const later = summary.series
    .slice(1)
    .reduce((sum, p) => ({ posted: sum.posted + p.posted, not_posted: sum.not_posted + p.not_posted }), {
      posted: 0,
      not_posted: 0,
    });
  assert.deepEqual(later, { posted: 3, not_posted: 1 });

  // A direct count over the runs of the window agrees.
  const direct = await tdb.pool.query<{ n: number; tokens: number }>(
    `select count(*)::int as n, coalesce(sum(prompt_tokens) filter (where provider = 'groq'), 0)::int as tokens
       from triage_runs where created_at >= $1`,
    [since],
  );
  assert.equal(direct.rows[0]!.n, summary.runs);
  assert.equal(direct.rows[0]!.tokens, summary.cloudPromptTokens);

  // Retention removes the hourly sums with the runs.
  await tdb.pool.query(`update run_stats_hourly set hour = hour - interval '30 days'`);
  await runs.deleteBefore(7);
  assert.equal((await tdb.pool.query('select count(*)::int as n from run_stats_hourly')).rows[0].n, 0);
});
