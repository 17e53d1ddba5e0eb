// Drizzle schema: the single source for the tables we own. drizzle-kit turns it into the SQL migrations under
// drizzle/ (checked in; a test fails when they drift). graphile-worker owns its own schema and migrations.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  date,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { RUN_OUTCOMES, TICKET_STATES, type TicketState } from '../domain/states.ts';

/** `('a', 'b')`: a list of our own state names for SQL (constants, never input). */
export const sqlList = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(', ')})`);

/**
 * The sweepers' and people's work lists, and the dashboard's rarer state filters: the rows the partial `idx_status`
 * index keeps. Intake's `queued` rows and the bulk of `posted` ones stay out (a walk down `idx_processed_at` finds
 * `posted` rows at once).
 */
const WATCHED_STATES = ['triaging', 'not_posted', 'posted_as_failure'] as const satisfies readonly TicketState[];

/**
 * The idempotency store (the seed's `processed_tickets`, made race-free): one row per (portal, ticket), claimed
 * with a lease before any LLM call so exactly one worker notifies.
 */
export const processedTickets = pgTable(
  'processed_tickets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ticketId: varchar('ticket_id', { length: 255 }).notNull(),
    portalId: varchar('portal_id', { length: 64 }),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
    provider: varchar('provider', { length: 50 }),
    /** The seed's flag, kept for its queries: true only for `posted` (written with the state, never on its own). */
    success: boolean('success'),
    /** One of TICKET_STATES (src/domain/states.ts). */
    status: varchar('status', { length: 20, enum: TICKET_STATES })
      .notNull()
      .default('triaging' satisfies TicketState),
    /**
     * The job payload intake committed, until a worker process moves it into the queue (graphile-worker's public
     * add_jobs, in the same transaction that clears this column). Null once the job exists.
     */
    pendingJob: json('pending_job'),
    claimedBy: varchar('claimed_by', { length: 100 }),
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    duplicates: integer('duplicates').notNull().default(0),
    discordMessageId: varchar('discord_message_id', { length: 64 }),
    lastError: text('last_error'),
    /**
     * The priority and subject of the ticket's latest run (`triage_runs`), copied by the ticket store in the
     * transaction that records the run, so the dashboard's list filters and searches without a join. Null until
     * the first run (intake never writes them).
     */
    latestPriority: text('latest_priority'),
    latestSubject: text('latest_subject'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    // Ticket first: the same index serves lookups by ticket id alone (replay, the catch-up sweep). Intake's upsert
    // names both columns, so the column order does not matter to ON CONFLICT.
    unique('processed_tickets_ticket_portal_key').on(table.ticketId, table.portalId).nullsNotDistinct(),
    // The dashboard's keyset order (processed_at desc, id desc) ends every list index, so a page of any depth is
    // one index range read, whatever the filter. This one also carries what the overview counts (state, provider,
    // duplicates), so a window is counted from the index alone (drizzle has no INCLUDE; trailing columns do the same).
    index('idx_processed_at').on(table.processedAt, table.id, table.status, table.provider, table.duplicates),
    // Partial: a ticket gets its provider when it is finished, so intake's inserts (null) skip this index.
    index('idx_provider').on(table.provider, table.processedAt, table.id).where(sql`${table.provider} is not null`),
    // Partial: the states people and sweepers look for; intake's `queued` rows and the bulk of `posted` ones stay out
    // of it, so writing them costs one index fewer.
    index('idx_status')
      .on(table.status, table.processedAt, table.id)
      .where(sql`${table.status} in ${sqlList(WATCHED_STATES)}`),
    // Partial, like idx_provider: written when a run is recorded, never by intake.
    index('idx_latest_priority')
      .on(table.latestPriority, table.processedAt, table.id)
      .where(sql`${table.latestPriority} is not null`),
    // The list's search by part of a subject (`ilike '%word%'`) through trigrams (pg_trgm, created by migration 0009).
    index('idx_latest_subject_trgm')
      .using('gin', table.latestSubject.op('gin_trgm_ops'))
      .where(sql`${table.latestSubject} is not null`),
    // The overview's "not posted: needs a person", newest first (and /health's warnings): few rows, never intake's.
    index('idx_not_posted_updated_at').on(table.updatedAt).where(sql`${table.status} = 'not_posted'`),
    // The mover's work list: tiny, because rows leave it within milliseconds of their commit.
    index('idx_processed_tickets_pending').on(table.updatedAt).where(sql`${table.pendingJob} is not null`),
    check('processed_tickets_status_check', sql`${table.status} in ${sqlList(TICKET_STATES)}`),
  ],
);

/**
 * Per-portal pacing of new jobs (PORTAL_TICKETS_PER_MINUTE): the theoretical arrival time of the portal's next job
 * (GCRA). Written only by the queue mover, in the transaction that adds the jobs.
 */
export const portalPacing = pgTable('portal_pacing', {
  portalKey: varchar('portal_key', { length: 64 }).primaryKey(),
  nextAt: timestamp('next_at', { withTimezone: true }).notNull(),
});

/** Small named facts about this installation, e.g. when it first ran (the catch-up sweep never looks earlier). */
export const serviceState = pgTable('service_state', {
  name: varchar('name', { length: 64 }).primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  value: jsonb('value'),
});

/**
 * Cloud LLM tokens (prompt + completion) per UTC day, counted after every cloud call by every worker process, for
 * CLOUD_DAILY_TOKEN_BUDGET. Written only by db/token-usage-store.ts; one row a day.
 */
export const cloudTokenUsage = pgTable('cloud_token_usage', {
  day: date('day').primaryKey(),
  tokens: bigint('tokens', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * SOP_DIR's markdown, chunked by heading and indexed for full-text search (the GIN index over the generated
 * tsvector). Rewritten as a whole by db/sop-store.ts when the files change, at start-up.
 */
export const sopChunks = pgTable(
  'sop_chunks',
  {
    id: varchar('id', { length: 300 }).primaryKey(),
    title: text('title').notNull(),
    content: text('content').notNull(),
    searchVector: tsvector('search_vector')
      .notNull()
      .generatedAlwaysAs(sql`to_tsvector('english', coalesce(title, '') || ' ' || coalesce(content, ''))`),
    indexedAt: timestamp('indexed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('idx_sop_chunks_search').using('gin', table.searchVector)],
);

/** Per-stage timings of one worker attempt, in milliseconds. */
export interface RunTimings {
  queueWaitMs: number | null;
  enrichmentMs: number | null;
  providers: { provider: string; outcome: string; latencyMs: number }[];
  notifyMs: number | null;
  totalMs: number;
  /**
   * The LLM security check (SECURITY_LLM_CHECK) where it ran or was skipped: its result, the LLM asked, the model's
   * short reason (model text, kept like the output, for RETENTION_DAYS) and why it ended without a verdict.
   */
  securityCheck?: {
    result: string;
    provider: string | null;
    model: string | null;
    latencyMs: number;
    reason: string | null;
    detail: string | null;
  };
}

/**
 * One row per worker attempt at a ticket: provenance, timings and (for RETENTION_DAYS only) the triage output and
 * the notification payload. The retention job deletes these rows with the idempotency rows.
 */
export const triageRuns = pgTable(
  'triage_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ticketId: varchar('ticket_id', { length: 255 }).notNull(),
    portalId: varchar('portal_id', { length: 64 }),
    requestId: varchar('request_id', { length: 128 }).notNull(),
    attempt: integer('attempt').notNull(),
    /** How this attempt ended, one of RUN_OUTCOMES: an attempt that was retried is `not_posted`. */
    status: varchar('status', { length: 20, enum: RUN_OUTCOMES }).notNull(),
    provider: varchar('provider', { length: 50 }),
    model: varchar('model', { length: 200 }),
    fallbackReasons: jsonb('fallback_reasons').notNull().default([]),
    repaired: boolean('repaired').notNull().default(false),
    guardInterventions: jsonb('guard_interventions').notNull().default([]),
    promptVersion: varchar('prompt_version', { length: 64 }),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    timings: jsonb('timings').$type<RunTimings>().notNull(),
    errorClass: varchar('error_class', { length: 50 }),
    errorMessage: text('error_message'),
    /** The normalized ticket this attempt worked on (customer data: purged with the row after RETENTION_DAYS). */
    ticket: jsonb('ticket'),
    output: jsonb('output'),
    notification: jsonb('notification'),
    discordMessageId: varchar('discord_message_id', { length: 64 }),
    /** The SOP_DIR chunks the prompt carried: [{id, title}] (ids stay stable while the SOP files are unchanged). */
    sopChunks: jsonb('sop_chunks'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('idx_triage_runs_created_at').on(table.createdAt),
    index('idx_triage_runs_ticket').on(table.portalId, table.ticketId),
    check('triage_runs_status_check', sql`${table.status} in ${sqlList(RUN_OUTCOMES)}`),
  ],
);

export type NewTriageRun = typeof triageRuns.$inferInsert;

/**
 * What a person on the support team thought of a ticket's triage (the dashboard's feedback form): one row per
 * ticket, the latest answer replacing the earlier one. The triaged priority is copied from the judged run, so the
 * overview's agreement numbers need no join. Deleted with the run records after RETENTION_DAYS.
 */
export const ticketFeedback = pgTable(
  'ticket_feedback',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ticketId: varchar('ticket_id', { length: 255 }).notNull(),
    portalId: varchar('portal_id', { length: 64 }),
    /** The run the person judged (the latest one when they answered). */
    runId: uuid('run_id'),
    triagedPriority: varchar('triaged_priority', { length: 10 }),
    triagedProvider: varchar('triaged_provider', { length: 50 }),
    useful: boolean('useful').notNull(),
    /** The priority the person would have chosen; null when they did not say. */
    chosenPriority: varchar('chosen_priority', { length: 10 }),
    /** Whether the reply draft was used (as is or edited); null when there was none or they did not say. */
    draftUsed: boolean('draft_used'),
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    unique('ticket_feedback_ticket_portal_key').on(table.ticketId, table.portalId).nullsNotDistinct(),
    index('idx_ticket_feedback_updated_at').on(table.updatedAt),
  ],
);

/** Upper bounds (ms) of the latency buckets in run_stats_hourly; a last, open bucket holds everything slower. */
export const LATENCY_BUCKETS_MS = [
  250, 500, 1_000, 2_000, 3_000, 5_000, 8_000, 12_000, 20_000, 30_000, 60_000,
] as const;

/**
 * Run records summed per hour, provider and outcome, written by db/run-store.ts in the transaction that inserts the
 * run, so the overview reads a few hundred rows instead of every run of the window. Deleted with the runs.
 */
export const runStatsHourly = pgTable(
  'run_stats_hourly',
  {
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    /** The provider that answered; '' when none did. */
    provider: varchar('provider', { length: 50 }).notNull(),
    status: varchar('status', { length: 20 }).notNull(),
    runs: integer('runs').notNull(),
    repaired: integer('repaired').notNull(),
    /** Runs the guard changed (any intervention). */
    guarded: integer('guarded').notNull(),
    /** Runs where at least one provider was skipped or failed before the answer. */
    fellBack: integer('fell_back').notNull(),
    promptTokens: bigint('prompt_tokens', { mode: 'number' }).notNull(),
    completionTokens: bigint('completion_tokens', { mode: 'number' }).notNull(),
    /** Runs per LATENCY_BUCKETS_MS bucket (total time of the attempt), plus the open last bucket. */
    latencyBuckets: integer('latency_buckets').array().notNull(),
  },
  (table) => [primaryKey({ columns: [table.hour, table.provider, table.status] })],
);

/** Fallback reasons summed per hour, provider and reason (written with run_stats_hourly). */
export const fallbackStatsHourly = pgTable(
  'fallback_stats_hourly',
  {
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    provider: varchar('provider', { length: 50 }).notNull(),
    reason: varchar('reason', { length: 50 }).notNull(),
    count: integer('count').notNull(),
  },
  (table) => [primaryKey({ columns: [table.hour, table.provider, table.reason] })],
);
