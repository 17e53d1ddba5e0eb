// Dashboard pages at scale (issue 14): an embedded PostgreSQL, migrated and seeded with SQL generate_series to
// 800,000 tickets over 30 days in every state, 1,000,000 run records (first attempts and retries, with realistic
// jsonb) and 10,000 feedback answers, then the real app (buildApp with the dashboard, ADMIN_TOKEN set, a Bearer
// token on every request) on 127.0.0.1 port 0, and N sequential requests per page after a warm-up. Baselines in the
// same run: `/health/live` (HTTP + Fastify, no database) and a bare `select 1` through the pool.
// Run: npm run bench -- dashboard   (BENCH_TICKETS to seed fewer, BENCH_N requests per page, BENCH_PAGE_SECONDS caps each page's time;
// BENCH_DATABASE_URL for an external server: it is seeded only when processed_tickets is empty, so a seeded database
// is reused across runs).
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createDatabase } from '../src/db/client.ts';
import { createFeedbackStore } from '../src/db/feedback-store.ts';
import { createRunStore } from '../src/db/run-store.ts';
import { createTicketStore } from '../src/db/ticket-store.ts';
import { createLifecycle } from '../src/http/lifecycle.ts';
import { createIntakeQueue } from '../src/intake/enqueue.ts';
import { createHealthReporter } from '../src/observability/health.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { getQueueCounts } from '../src/queue/stats.ts';
import { type BenchDatabase, ms, openBenchDatabase, percentile } from './lib.ts';

const N = Number(process.env.BENCH_N ?? 200);
const PAGE_SECONDS = Number(process.env.BENCH_PAGE_SECONDS ?? 60);
/** A page whose query runs longer than this is reported as failed instead of holding the run for hours. */
const STATEMENT_TIMEOUT = process.env.BENCH_STATEMENT_TIMEOUT ?? '20s';
const WARMUP = 5;
/** Tickets to seed (about 1.25 runs each; one in 80 gets feedback). */
const TICKETS = Number(process.env.BENCH_TICKETS ?? 800_000);
const FEEDBACK_EVERY = 80;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const GOAL_MS = 150;
/** A word in about 1 subject in 23, and one in about 1 in 1,000 (the search's worst case walks further). */
const COMMON_WORD = 'invoice';
const RARE_WORD = 'chargeback';

const SUBJECTS = [
  'Cannot log in to the dashboard',
  'Invoice shows the wrong amount',
  'Export to CSV times out',
  'How do I add a second admin?',
  'API returns 500 on /v2/contacts',
  'Password reset email never arrives',
  'Feature request: dark mode',
  'Sync with Salesforce stopped',
  'Billing address change',
  'Webhook deliveries delayed',
  'Mobile app crashes on start',
  'Cancel my subscription',
  'Data missing after import',
  'SSO login loops back to the start',
  'Slow search results',
  'Report totals do not match',
  'Add users in bulk',
  'Two-factor codes rejected',
  'Permissions for the sales team',
  'Integration with Slack disconnected',
  'Where is the audit log?',
  'Upgrade to the business plan',
  'Duplicate contacts after merge',
];

/** Seeds in SQL only: the numbers are functions of the row number, so every run builds the same data. */
async function seed(database: BenchDatabase): Promise<void> {
  const client = await database.pool.connect();
  try {
    await client.query('set synchronous_commit = off');
    // States: 0.5 % queued, 0.5 % triaging (both recent), 3 % not_posted, 4 % posted_as_failure, the rest posted;
    // 1 in 19 of every 5 finished tickets needed a retry (two runs). Times are spread over 30 days by a permutation
    // of the row number, so ticket ids are not in time order.
    await client.query(
      `insert into processed_tickets (ticket_id, portal_id, processed_at, provider, success, status, attempts,
                                      duplicates, discord_message_id, last_error, created_at, updated_at)
       select (1000000 + i)::text, case when i % 50 = 0 then null else '62515' end, t.at,
              case when s.state in ('queued', 'triaging', 'posted_as_failure') then null
                   when i % 20 < 12 then 'local' when i % 20 < 17 then 'groq' else 'rules' end,
              s.state = 'posted', s.state,
              case when s.state = 'queued' then 0 when s.state = 'triaging' or i % 19 < 5 then 2 else 1 end,
              case when i % 40 = 0 then 1 else 0 end,
              case when s.state in ('posted', 'posted_as_failure') then (900000000000 + i)::text end,
              case when s.state = 'not_posted' then 'discord: 503 Service Unavailable' end,
              t.at - interval '40 seconds', t.at
         from generate_series(1, ${TICKETS}) as i,
              lateral (select case when (i * 31) % 1000 < 5 then 'queued' when (i * 31) % 1000 < 10 then 'triaging'
                                   when (i * 31) % 1000 < 40 then 'not_posted'
                                   when (i * 31) % 1000 < 80 then 'posted_as_failure' else 'posted' end as state) s,
              lateral (select case when s.state in ('queued', 'triaging') then now() - make_interval(secs => i % 600)
                                   else now() - make_interval(secs => ((i::bigint * 7919) % ${TICKETS}) * 30 * 86400.0 / ${TICKETS})
                              end as at) t`,
    );
    // One run per attempt: a retried ticket's first attempt is not_posted; its last has the ticket's outcome (a
    // triaging ticket waits for its second attempt).
    await client.query(
      `insert into triage_runs (ticket_id, portal_id, request_id, attempt, status, provider, model, fallback_reasons,
                               repaired, guard_interventions, prompt_version, prompt_tokens, completion_tokens, timings,
                               error_class, error_message, ticket, output, notification, discord_message_id, created_at)
       select p.ticket_id, p.portal_id, 'req-' || p.ticket_id || '-' || a, a,
              case when a < p.attempts or p.status = 'triaging' then 'not_posted' else p.status end,
              coalesce(p.provider, 'rules'), case coalesce(p.provider, 'rules') when 'local' then 'qwen2.5:7b-instruct'
                when 'groq' then 'llama-3.1-8b-instant' else 'rules-v2' end,
              case when p.provider = 'rules' then '[{"provider":"local","reason":"timeout"},{"provider":"groq","reason":"rate_limited"}]'::jsonb
                   when p.provider = 'groq' then '[{"provider":"local","reason":"timeout"}]'::jsonb else '[]'::jsonb end,
              n % 17 = 0,
              case when n % 13 = 0 then '[{"kind":"promised_timeline","detail":"removed a promised delivery date"}]'::jsonb
                   else '[]'::jsonb end,
              'v7', 900 + n % 400, 150 + n % 120,
              jsonb_build_object('queueWaitMs', n % 900, 'enrichmentMs', 120 + n % 80,
                'providers', jsonb_build_array(jsonb_build_object('provider', coalesce(p.provider, 'rules'),
                  'outcome', 'ok', 'latencyMs', 800 + n % 2000)),
                'notifyMs', 90 + n % 60, 'totalMs', 1100 + n % 2500),
              case when a < p.attempts then 'discord_unavailable' end,
              case when a < p.attempts then 'Discord answered 503' end,
              jsonb_build_object('ticket_id', p.ticket_id, 'subject', subj.subject, 'body',
                'Hello, since this morning ' || lower(subj.subject) || '. We tried again from two browsers and cleared '
                || 'the cache; the problem stays. Our team of 40 depends on this for the month-end close, so please '
                || 'tell us what to check next or when it will be fixed. Account ' || p.ticket_id || '. Thanks, the ops team.',
                'from_email', null, 'customer_name', 'Customer ' || n % 5000, 'customer_tier',
                (array['free','starter','business','enterprise'])[1 + n % 4], 'product_area', null,
                'hubspot_ticket_url', null, 'portal_id', p.portal_id, 'received_at', p.created_at,
                'request_id', 'req-' || p.ticket_id),
              jsonb_build_object('priority', (array['low','medium','medium','high','high','critical'])[1 + (n + a) % 6],
                'handling_mode', 'reply_and_internal_followup', 'recommended_internal_action', 'Create bug report',
                'asana_ticket_type_if_needed', 'Bug', 'customer_summary', 'The customer reports: ' || subj.subject,
                'reply_needed', true, 'reply_draft', 'Hi, thanks for the report. We are looking into it and will '
                || 'get back to you shortly with what we find.', 'questions_for_customer',
                '["Which browser do you use?"]'::jsonb, 'internal_notes', '["Seen twice this week"]'::jsonb,
                'confidence', 0.5 + (n % 50) / 100.0),
              jsonb_build_object('embeds', jsonb_build_array(jsonb_build_object('title', subj.subject,
                'description', 'The customer reports: ' || subj.subject, 'color', 15105570))),
              case when a = p.attempts and p.status in ('posted', 'posted_as_failure') then p.discord_message_id end,
              p.processed_at - make_interval(secs => (p.attempts - a) * 60)
         from processed_tickets p
              cross join lateral (select p.ticket_id::int - 1000000 as n) num
              cross join lateral generate_series(1, p.attempts - case when p.status = 'triaging' then 1 else 0 end) as a
              cross join lateral (select (array[${SUBJECTS.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ')}])[1 + n % ${SUBJECTS.length}]
                || case when n % 997 = 0 then ' after a ${RARE_WORD}' else '' end || ' (' || p.ticket_id || ')' as subject) subj
        where p.status <> 'queued'`,
    );
    // What recording each ticket's runs writes on its row (run-store, through the ticket store): the latest run's
    // priority and subject, for the list's filters.
    await client.query(
      `update processed_tickets p set latest_priority = r.priority, latest_subject = r.subject
         from (select distinct on (portal_id, ticket_id) portal_id, ticket_id, output->>'priority' as priority,
                      ticket->>'subject' as subject
                 from triage_runs order by portal_id, ticket_id, created_at desc) r
        where r.ticket_id = p.ticket_id and r.portal_id is not distinct from p.portal_id`,
    );
    await client.query(
      `insert into ticket_feedback (ticket_id, portal_id, run_id, triaged_priority, triaged_provider, useful,
                                   chosen_priority, draft_used, note, created_at, updated_at)
       select r.ticket_id, r.portal_id, r.id, r.output->>'priority', r.provider, n % 5 <> 0,
              case when n % 3 = 0 then (array['low','medium','high','critical'])[1 + n % 4] end,
              case when n % 4 = 0 then n % 8 = 0 end, case when n % 10 = 0 then 'priority was right' end,
              r.created_at + interval '1 hour', r.created_at + interval '1 hour'
         from (select distinct on (ticket_id, portal_id) r.*, r.ticket_id::int - 1000000 as n
                 from triage_runs r where (r.ticket_id::int - 1000000) % ${FEEDBACK_EVERY} = 0
                order by ticket_id, portal_id, created_at desc) r`,
    );
    // The overview's triage attempts come from hourly sums that run-store adds with each run it records.
    await createRunStore(database.db).rebuildHourlyStats();
    await client.query('vacuum analyze processed_tickets');
    await client.query('vacuum analyze triage_runs');
    await client.query('vacuum analyze ticket_feedback');
    await client.query('vacuum analyze run_stats_hourly');
    await client.query('vacuum analyze fallback_stats_hourly');
  } finally {
    client.release();
  }
}

interface PageResult {
  name: string;
  samples: number[];
  /** Why the page was given up on (the statement timeout), if it was. */
  failed?: string;
}

async function measure(name: string, n: number, fn: () => Promise<unknown>): Promise<PageResult> {
  const samples: number[] = [];
  try {
    for (let i = 0; i < WARMUP; i++) await fn();
    const deadline = performance.now() + PAGE_SECONDS * 1000;
    for (let i = 0; i < n && (performance.now() < deadline || samples.length < 10); i++) {
      const started = performance.now();
      await fn();
      samples.push(performance.now() - started);
    }
  } catch (error) {
    const message = (error as Error).message;
    const timedOut = message.includes(' answered 500');
    return { name, samples, failed: timedOut ? `500 (over the ${STATEMENT_TIMEOUT} statement timeout)` : message };
  }
  return { name, samples };
}

/** Sets the statement timeout of new connections to this database ('default' to reset it). */
async function setStatementTimeout(database: BenchDatabase, value: string): Promise<void> {
  await database.pool.query(
    `do $$ begin execute format('alter database %I set statement_timeout = ${value === 'default' ? 'default' : '%L'}',
       current_database()${value === 'default' ? '' : `, '${value}'`}); end $$`,
  );
}

const database = await openBenchDatabase(10);
try {
  const started = performance.now();
  const { rows } = await database.pool.query<{ n: number }>('select count(*)::int as n from processed_tickets');
  if (rows[0]!.n === 0) {
    await seed(database);
    console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } else {
    console.log(`reusing ${rows[0]!.n} tickets already in the database`);
  }
  const counts = await database.pool.query<{ tickets: number; runs: number; feedback: number }>(
    `select (select count(*)::int from processed_tickets) as tickets, (select count(*)::int from triage_runs) as runs,
            (select count(*)::int from ticket_feedback) as feedback`,
  );

  // The app gets a pool of its own, opened after the timeout is set (new connections read it).
  await setStatementTimeout(database, STATEMENT_TIMEOUT);
  const appDatabase = createDatabase(database.url, { max: 10 });
  const store = createTicketStore(appDatabase.db);
  const app = await buildApp({
    config: loadConfig({ ADMIN_TOKEN }),
    // Failed pages are reported in the table; the log would only repeat them.
    logger: createLogger({ level: 'fatal' }),
    metrics: createMetrics({ defaultMetrics: false }),
    lifecycle: createLifecycle(),
    health: createHealthReporter({
      version: 'bench',
      startedAt: Date.now(),
      database: () => store.checkIdempotencyHealth(),
      queueCounts: () => getQueueCounts(appDatabase.pool, store),
    }),
    databaseReachable: async () => (await store.checkIdempotencyHealth()).healthy,
    intake: { auth: { token: null, clientSecret: null, publicUrl: null }, queue: createIntakeQueue(appDatabase.pool) },
    dashboard: {
      tickets: store,
      runs: createRunStore(appDatabase.db),
      feedback: createFeedbackStore(appDatabase.db),
    },
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${text.slice(0, 300)}`);
      return text;
    };
    // The 100th page, reached as a person would: following "Older" from the first page.
    let deep = '/tickets';
    let reached = 1;
    const followStarted = performance.now();
    try {
      for (let page = 1; page < 100; page++) {
        const match = /href="(\/tickets\?[^"]*after=[^"]*)">Older/.exec(await get(deep));
        if (!match) throw new Error(`page ${page} has no Older link`);
        deep = match[1]!.replaceAll('&#38;', '&').replaceAll('&amp;', '&');
        reached = page + 1;
      }
      console.log(`followed Older 99 times in ${((performance.now() - followStarted) / 1000).toFixed(1)} s`);
    } catch (error) {
      // Measured anyway below, so that the table says how it fails.
      console.log(`could not reach page 100: ${(error as Error).message.slice(0, 200)}`);
    }
    const { rows: picked } = await database.pool.query<{ ticket_id: string; portal_id: string }>(
      `select ticket_id, portal_id from processed_tickets where attempts = 2 and portal_id is not null
        order by ticket_id limit 1 offset 1000`,
    );
    const ticket = picked[0]!;
    const pages: [string, string][] = [
      ['/', '/'],
      ['/?window=7d', '/?window=7d'],
      ['/?window=30d', '/?window=30d'],
      ['/tickets', '/tickets'],
      ['/tickets?state=not_posted', '/tickets?state=not_posted'],
      ['/tickets?priority=critical', '/tickets?priority=critical'],
      ['/tickets?provider=rules', '/tickets?provider=rules'],
      [`/tickets?q=${COMMON_WORD} (common word)`, `/tickets?q=${COMMON_WORD}`],
      [`/tickets?q=${RARE_WORD} (rare word)`, `/tickets?q=${RARE_WORD}`],
      ['/tickets?q=<exact id>', `/tickets?q=${ticket.ticket_id}`],
      [`/tickets, page ${reached} (Older ×${reached - 1})`, deep],
      ['/tickets/<portal>/<ticket>', `/tickets/${ticket.portal_id}/${ticket.ticket_id}`],
    ];
    const results: PageResult[] = [];
    results.push(await measure('select 1 (pool, baseline)', N, () => appDatabase.pool.query('select 1')));
    results.push(await measure('/health/live (baseline)', N, () => get('/health/live')));
    for (const [name, path] of pages) results.push(await measure(name, N, () => get(path)));
    // What one count of a window costs the database, whether a page waits for it or the stats cache makes it.
    for (const [window, hours] of [
      ['24h', 24],
      ['7d', 24 * 7],
      ['30d', 24 * 30],
    ] as const) {
      results.push(
        await measure(`getProcessingStats(${window}) (the overview's count, uncached)`, Math.min(N, 30), () =>
          store.getProcessingStats(new Date(Date.now() - hours * 3_600_000)),
        ),
      );
    }

    const c = counts.rows[0]!;
    console.log(
      `Dashboard pages, ${c.tickets} tickets, ${c.runs} runs, ${c.feedback} feedback rows, ${database.label}, ` +
        `Node ${process.version}; up to ${N} sequential requests per page (at most ${PAGE_SECONDS} s each) after ` +
        `${WARMUP} warm-up requests\n`,
    );
    const live = results[1]!.samples.toSorted((a, b) => a - b);
    console.log('| page | n | p50 | p99 | max | p50 / health-live p50 | p99 < 150 ms |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    for (const { name, samples, failed } of results) {
      if (failed) {
        console.log(`| ${name} | ${samples.length} | failed: ${failed} | | | | **no** |`);
        continue;
      }
      const sorted = samples.toSorted((a, b) => a - b);
      const p99 = percentile(sorted, 99);
      const ratio = (percentile(sorted, 50) / percentile(live, 50)).toFixed(1);
      const goal = name.includes('baseline') ? '' : p99 < GOAL_MS ? 'yes' : '**no**';
      console.log(
        `| ${name} | ${sorted.length} | ${ms(percentile(sorted, 50))} | ${ms(p99)} | ${ms(sorted.at(-1)!)} | ${ratio}x | ${goal} |`,
      );
    }
  } finally {
    await app.close();
    await appDatabase.close();
    await setStatementTimeout(database, 'default');
  }
} finally {
  await database.release();
}
