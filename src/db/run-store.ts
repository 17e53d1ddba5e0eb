// Run records (`triage_runs`), the only module that writes them: one row per worker attempt, written together with
// the ticket's final state (through the ticket store, in one transaction) so a ticket is never posted without the
// run that says how. The same transaction has the ticket store copy the run's priority and subject onto the ticket's
// row (the dashboard's list filters on them). Also the queries behind `triage replay` and the dashboard.
import { and, desc, gte, lt, sql } from 'drizzle-orm';
import { storableValue } from '../domain/text.ts';
import type { NormalizedTicket, TicketKey } from '../domain/ticket.ts';
import type { Db } from './client.ts';
import {
  fallbackStatsHourly,
  LATENCY_BUCKETS_MS,
  type NewTriageRun,
  type RunTimings,
  runStatsHourly,
  triageRuns,
} from './schema.ts';
import { createTicketStore, type LatestRun, type MarkProcessed, matchesTicket } from './ticket-store.ts';

/** `value->>key` as PostgreSQL reads it from the stored jsonb: strings as they are, other values as JSON text. */
function textField(value: unknown, key: string): string | null {
  const field = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  if (field === undefined || field === null) return null;
  return typeof field === 'string' ? field : JSON.stringify(field);
}

const runKey = (run: NewTriageRun): TicketKey => ({ ticketId: run.ticketId, portalId: run.portalId ?? null });

/** What the ticket's row keeps of its latest run (the dashboard list's priority and subject). */
export function latestRunOf(run: NewTriageRun): LatestRun {
  return { priority: textField(run.output, 'priority'), subject: textField(run.ticket, 'subject') };
}

export function createRunStore(db: Db) {
  return {
    /** Records an attempt that did not finish the ticket (it will be retried), and makes it the row's latest run. */
    async recordRun(run: NewTriageRun): Promise<void> {
      const stored = storableValue(run);
      await db.transaction(async (tx) => {
        await tx.insert(triageRuns).values(stored);
        await addToHourlyStats(tx as unknown as Db, run);
        // A transaction has the same query surface as the database handle.
        await createTicketStore(tx as unknown as Db).noteLatestRun(runKey(stored), latestRunOf(stored));
      });
    },

    /** Marks the ticket finished (only while `mark.owner` holds the claim) and records the run, atomically. */
    async finishTicket(mark: MarkProcessed, run: NewTriageRun): Promise<boolean> {
      const stored = storableValue(run);
      const latestRun = latestRunOf(stored);
      return db.transaction(async (tx) => {
        // A transaction has the same query surface as the database handle.
        const tickets = createTicketStore(tx as unknown as Db);
        const marked = await tickets.markTicketProcessed(storableValue({ ...mark, latestRun }));
        await tx.insert(triageRuns).values(stored);
        await addToHourlyStats(tx as unknown as Db, run);
        // A claim lost meanwhile leaves the row's outcome alone, but the run is still the ticket's latest.
        if (!marked) await tickets.noteLatestRun(runKey(stored), latestRun);
        return marked;
      });
    },

    /** The ticket as the most recent run saw it (kept for RETENTION_DAYS), for replay. */
    async latestTicket(key: TicketKey): Promise<NormalizedTicket | null> {
      const [row] = await db
        .select({ ticket: triageRuns.ticket })
        .from(triageRuns)
        .where(and(matchesTicket(triageRuns, key), sql`${triageRuns.ticket} is not null`))
        .orderBy(desc(triageRuns.createdAt))
        .limit(1);
      return (row?.ticket as NormalizedTicket | undefined) ?? null;
    },

    /** The most recent run records, newest first (identifiers and outcomes, no ticket text). */
    async recentRuns(limit: number) {
      return db
        .select({
          ticketId: triageRuns.ticketId,
          portalId: triageRuns.portalId,
          attempt: triageRuns.attempt,
          status: triageRuns.status,
          provider: triageRuns.provider,
          model: triageRuns.model,
          repaired: triageRuns.repaired,
          errorClass: triageRuns.errorClass,
          priority: sql<string | null>`${triageRuns.output}->>'priority'`,
          totalMs: sql<number | null>`(${triageRuns.timings}->>'totalMs')::float`,
          createdAt: triageRuns.createdAt,
        })
        .from(triageRuns)
        .orderBy(desc(triageRuns.createdAt))
        .limit(limit);
    },

    /**
     * The overview's run numbers since `since`, exact: whole hours from run_stats_hourly, the part of the first
     * hour before them from the runs themselves. `seriesUnit` buckets the chart's series by hour or by (UTC) day.
     */
    async runSummary(since: Date, seriesUnit: 'hour' | 'day'): Promise<RunSummary> {
      const firstHour = new Date(Math.ceil(since.getTime() / 3_600_000) * 3_600_000);
      const summary = emptySummary();
      // At most hours × providers × outcomes rows (about 9,000 for 30 days): summed here.
      const rolled = await db.select().from(runStatsHourly).where(gte(runStatsHourly.hour, firstHour));
      for (const row of rolled) addRolled(summary, row, seriesUnit);
      const reasons = await db.execute<{ provider: string; reason: string; count: number }>(sql`
        select provider, reason, sum(count)::int as count from ${fallbackStatsHourly}
         where hour >= ${firstHour.toISOString()}::timestamptz group by 1, 2`);
      for (const row of reasons.rows) addReason(summary, row.provider, row.reason, row.count);
      if (firstHour > since) {
        const head = await db
          .select({
            createdAt: triageRuns.createdAt,
            provider: triageRuns.provider,
            status: triageRuns.status,
            repaired: triageRuns.repaired,
            guardInterventions: triageRuns.guardInterventions,
            fallbackReasons: triageRuns.fallbackReasons,
            promptTokens: triageRuns.promptTokens,
            completionTokens: triageRuns.completionTokens,
            timings: triageRuns.timings,
          })
          .from(triageRuns)
          .where(and(gte(triageRuns.createdAt, since), lt(triageRuns.createdAt, firstHour)));
        for (const run of head) addRun(summary, run, seriesUnit);
      }
      summary.series.sort((a, b) => a.start.getTime() - b.start.getTime());
      return summary;
    },

    /**
     * Recomputes the hourly sums from the runs (what migration 0008 did once), for runs written around this module:
     * bulk loads, benchmarks' seeds. Never needed in normal operation.
     */
    async rebuildHourlyStats(): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.delete(runStatsHourly);
        await tx.delete(fallbackStatsHourly);
        await tx.execute(sql`
          insert into ${runStatsHourly} (hour, provider, status, runs, repaired, guarded, fell_back, prompt_tokens,
                                         completion_tokens, latency_buckets)
          select date_trunc('hour', created_at), coalesce(provider, ''), status, count(*),
                 count(*) filter (where repaired),
                 count(*) filter (where jsonb_array_length(guard_interventions) > 0),
                 count(*) filter (where jsonb_array_length(fallback_reasons) > 0),
                 coalesce(sum(prompt_tokens) filter (where provider in ('groq')), 0),
                 coalesce(sum(completion_tokens) filter (where provider in ('groq')), 0),
                 array[${sql.raw(bucketCounts('t'))}]::int[]
            from (select *, (timings->>'totalMs')::float8 as t from ${triageRuns}) r
           group by 1, 2, 3`);
        await tx.execute(sql`
          insert into ${fallbackStatsHourly} (hour, provider, reason, count)
          select date_trunc('hour', created_at), f->>'provider', f->>'reason', count(*)
            from ${triageRuns}, jsonb_array_elements(fallback_reasons) f
           group by 1, 2, 3`);
      });
    },

    /** Deletes run records older than the retention window; returns how many. */
    async deleteBefore(retentionDays: number): Promise<number> {
      const rows = await db
        .delete(triageRuns)
        .where(lt(triageRuns.createdAt, sql`now() - make_interval(days => ${retentionDays})`))
        .returning({ id: triageRuns.id });
      // The hourly sums go with the runs they count.
      const cutoff = sql`date_trunc('hour', now() - make_interval(days => ${retentionDays}))`;
      await db.delete(runStatsHourly).where(lt(runStatsHourly.hour, cutoff));
      await db.delete(fallbackStatsHourly).where(lt(fallbackStatsHourly.hour, cutoff));
      return rows.length;
    },

    /** Every run of one ticket, newest first, for its dashboard page (customer data: shown only behind access). */
    async runsForTicket(key: TicketKey, limit = 50) {
      return db
        .select()
        .from(triageRuns)
        .where(matchesTicket(triageRuns, key))
        .orderBy(desc(triageRuns.createdAt))
        .limit(limit);
    },
  };
}

export type TriageRunRow = typeof triageRuns.$inferSelect;

export type RunStore = ReturnType<typeof createRunStore>;

/** `count(*) filter (...)` per LATENCY_BUCKETS_MS bucket of the column `ms` (numbers only: safe to inline). */
function bucketCounts(ms: string): string {
  const bounds = [0, ...LATENCY_BUCKETS_MS];
  return [
    ...LATENCY_BUCKETS_MS.map((bound, i) =>
      i === 0
        ? `count(*) filter (where ${ms} <= ${bound})`
        : `count(*) filter (where ${ms} > ${bounds[i]} and ${ms} <= ${bound})`,
    ),
    `count(*) filter (where ${ms} > ${LATENCY_BUCKETS_MS.at(-1)})`,
  ].join(', ');
}

/** Which LATENCY_BUCKETS_MS bucket a total time falls in (1-based, as PostgreSQL arrays are). */
export function latencyBucket(totalMs: number): number {
  const index = LATENCY_BUCKETS_MS.findIndex((bound) => totalMs <= bound);
  return (index === -1 ? LATENCY_BUCKETS_MS.length : index) + 1;
}

const CLOUD_PROVIDERS = new Set(['groq']);

/**
 * Adds one run to its hour's row (and its fallback reasons to theirs), in the run's own transaction. Rows of one hour
 * are shared by every worker: the upsert takes the row lock until commit, a few milliseconds.
 */
async function addToHourlyStats(tx: Db, run: NewTriageRun): Promise<void> {
  const timings = run.timings as RunTimings;
  const bucket = latencyBucket(timings.totalMs);
  const first = new Array(LATENCY_BUCKETS_MS.length + 1).fill(0);
  first[bucket - 1] = 1;
  const reasons = (run.fallbackReasons ?? []) as { provider: string; reason: string }[];
  const interventions = (run.guardInterventions ?? []) as unknown[];
  const cloud = run.provider ? CLOUD_PROVIDERS.has(run.provider) : false;
  await tx.execute(sql`
    insert into ${runStatsHourly} as s (hour, provider, status, runs, repaired, guarded, fell_back, prompt_tokens,
                                        completion_tokens, latency_buckets)
    values (date_trunc('hour', now()), ${run.provider ?? ''}, ${run.status}, 1, ${run.repaired ? 1 : 0},
            ${interventions.length > 0 ? 1 : 0}, ${reasons.length > 0 ? 1 : 0},
            ${cloud ? (run.promptTokens ?? 0) : 0}, ${cloud ? (run.completionTokens ?? 0) : 0},
            ${`{${first.join(',')}}`}::int[])
    on conflict (hour, provider, status) do update
       set runs = s.runs + 1, repaired = s.repaired + excluded.repaired, guarded = s.guarded + excluded.guarded,
           fell_back = s.fell_back + excluded.fell_back, prompt_tokens = s.prompt_tokens + excluded.prompt_tokens,
           completion_tokens = s.completion_tokens + excluded.completion_tokens,
           latency_buckets[${bucket}] = s.latency_buckets[${bucket}] + 1`);
  for (const reason of reasons) {
    await tx.execute(sql`
      insert into ${fallbackStatsHourly} as f (hour, provider, reason, count)
      values (date_trunc('hour', now()), ${reason.provider}, ${reason.reason}, 1)
      on conflict (hour, provider, reason) do update set count = f.count + 1`);
  }
}

export interface SeriesPoint {
  start: Date;
  posted: number;
  posted_as_failure: number;
  not_posted: number;
}

export interface RunSummary {
  /** Worker attempts in the window (a retried ticket has several). */
  runs: number;
  byOutcome: Record<string, number>;
  /** Attempts that ended with an answer, by the provider that gave it. */
  answeredBy: Record<string, number>;
  repaired: number;
  guarded: number;
  fellBack: number;
  fallbackReasons: { provider: string; reason: string; count: number }[];
  /** Tokens of attempts a cloud provider answered. */
  cloudPromptTokens: number;
  cloudCompletionTokens: number;
  /** Attempts per LATENCY_BUCKETS_MS bucket (the last one open). */
  latencyBuckets: number[];
  series: SeriesPoint[];
}

function emptySummary(): RunSummary {
  return {
    runs: 0,
    byOutcome: {},
    answeredBy: {},
    repaired: 0,
    guarded: 0,
    fellBack: 0,
    fallbackReasons: [],
    cloudPromptTokens: 0,
    cloudCompletionTokens: 0,
    latencyBuckets: new Array(LATENCY_BUCKETS_MS.length + 1).fill(0),
    series: [],
  };
}

const slotOf = (at: Date, unit: 'hour' | 'day') => {
  const ms = unit === 'hour' ? 3_600_000 : 86_400_000;
  return new Date(Math.floor(at.getTime() / ms) * ms);
};

function addToSeries(summary: RunSummary, at: Date, unit: 'hour' | 'day', status: string, runs: number) {
  const start = slotOf(at, unit);
  let point = summary.series.find((p) => p.start.getTime() === start.getTime());
  if (!point) {
    point = { start, posted: 0, posted_as_failure: 0, not_posted: 0 };
    summary.series.push(point);
  }
  if (status === 'posted' || status === 'posted_as_failure' || status === 'not_posted') point[status] += runs;
}

function addCounts(
  summary: RunSummary,
  c: { provider: string; status: string; runs: number; repaired: number; guarded: number; fellBack: number },
) {
  summary.runs += c.runs;
  summary.byOutcome[c.status] = (summary.byOutcome[c.status] ?? 0) + c.runs;
  if (c.provider) summary.answeredBy[c.provider] = (summary.answeredBy[c.provider] ?? 0) + c.runs;
  summary.repaired += c.repaired;
  summary.guarded += c.guarded;
  summary.fellBack += c.fellBack;
}

function addReason(summary: RunSummary, provider: string, reason: string, count: number) {
  const found = summary.fallbackReasons.find((r) => r.provider === provider && r.reason === reason);
  if (found) found.count += count;
  else summary.fallbackReasons.push({ provider, reason, count });
}

function addRolled(summary: RunSummary, row: typeof runStatsHourly.$inferSelect, unit: 'hour' | 'day') {
  addCounts(summary, row);
  summary.cloudPromptTokens += row.promptTokens;
  summary.cloudCompletionTokens += row.completionTokens;
  row.latencyBuckets.forEach((n, i) => {
    summary.latencyBuckets[i] = (summary.latencyBuckets[i] ?? 0) + n;
  });
  addToSeries(summary, row.hour, unit, row.status, row.runs);
}

function addRun(
  summary: RunSummary,
  run: {
    createdAt: Date;
    provider: string | null;
    status: string;
    repaired: boolean;
    guardInterventions: unknown;
    fallbackReasons: unknown;
    promptTokens: number | null;
    completionTokens: number | null;
    timings: RunTimings;
  },
  unit: 'hour' | 'day',
) {
  const reasons = (run.fallbackReasons ?? []) as { provider: string; reason: string }[];
  addCounts(summary, {
    provider: run.provider ?? '',
    status: run.status,
    runs: 1,
    repaired: run.repaired ? 1 : 0,
    guarded: ((run.guardInterventions ?? []) as unknown[]).length > 0 ? 1 : 0,
    fellBack: reasons.length > 0 ? 1 : 0,
  });
  for (const r of reasons) addReason(summary, r.provider, r.reason, 1);
  if (run.provider && CLOUD_PROVIDERS.has(run.provider)) {
    summary.cloudPromptTokens += run.promptTokens ?? 0;
    summary.cloudCompletionTokens += run.completionTokens ?? 0;
  }
  const bucket = latencyBucket(run.timings.totalMs) - 1;
  summary.latencyBuckets[bucket] = (summary.latencyBuckets[bucket] ?? 0) + 1;
  addToSeries(summary, run.createdAt, unit, run.status, 1);
}

/** The upper bound (ms) of the bucket holding the q-quantile, or null for the open last bucket / no runs. */
export function latencyQuantileBound(buckets: number[], q: number): number | null | undefined {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= rank) return LATENCY_BUCKETS_MS[i] ?? null;
  }
  return null;
}
