// The idempotency store, the only module that writes `processed_tickets`: the seed's repository functions, made
// race-free with an atomic claim, and the statements intake, the queue mover, replay, the catch-up sweep and the
// lease sweeper run on it. Failure policy (unlike the seed's fail-open): every function lets database errors
// propagate. The intake then answers 503 so HubSpot redelivers, and the worker's job fails and is retried by the
// queue; a ticket is never silently treated as new or as done when the store cannot say which it is.
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type pg from 'pg';
import type { TriageTicketPayload } from '../domain/job.ts';
import { type FinalState, isPosted, POSTED_STATES, type PostedState, type TicketState } from '../domain/states.ts';
import type { TicketKey } from '../domain/ticket.ts';
import type { Db } from './client.ts';
import { processedTickets, sqlList } from './schema.ts';
import { createTicketReads, matchesTicket, type TicketReadOptions } from './ticket-reads.ts';

export {
  DISCORD_CONFIG_ERROR,
  type HealthCheck,
  matchesTicket,
  type ProcessingStats,
  type TicketListFilter,
  type TicketListRow,
} from './ticket-reads.ts';

/** A pool or a checked-out connection (the intake lane's, or a transaction's). */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** `('posted', 'posted_as_failure')` for SQL: a message about the ticket reached Discord. */
const POSTED = sqlList(POSTED_STATES);

export type ProcessedCheck =
  | { isProcessed: false; status: TicketState | null }
  | { isProcessed: true; status: PostedState; provider: string | null; processedAt: Date };

export type ClaimResult =
  | { claimed: true; attempts: number }
  | { claimed: false; reason: 'posted'; processedAt: Date }
  | { claimed: false; reason: 'held'; claimedUntil: Date | null };

export interface MarkProcessed extends TicketKey {
  provider: string | null;
  /** How the ticket ended. A TRIAGE FAILED message that reached Discord is `posted_as_failure`: a person has seen
   * it, so it is never posted again. */
  state: FinalState;
  discordMessageId?: string | null;
  error?: string | null;
  /** When given, the row is only updated while this owner still holds the claim. */
  owner?: string;
  /** The run recorded with this outcome (run-store's finishTicket), copied onto the row for the dashboard's list. */
  latestRun?: LatestRun;
}

/** What the dashboard's list shows of a ticket's latest run: `output->>'priority'` and `ticket->>'subject'`. */
export interface LatestRun {
  priority: string | null;
  subject: string | null;
}

const keyMatches = (key: TicketKey) => matchesTicket(processedTickets, key);
const staleClaim = (quietMs: number) =>
  and(
    eq(processedTickets.status, 'triaging'),
    sql`(${processedTickets.claimedUntil} is null or ${processedTickets.claimedUntil} < now())`,
    sql`${processedTickets.updatedAt} < now() - make_interval(secs => ${quietMs / 1000})`,
  );

/** A row of replay's view of one ticket id: its state under one portal (`unrecorded`: only run records remain). */
export type KnownTicket = {
  portal_id: string | null;
  status: TicketState | 'unrecorded';
  live_claim: boolean;
};

export function createTicketStore(db: Db, options: TicketReadOptions = {}) {
  return {
    ...createTicketReads(db, options),
    async isTicketProcessed(key: TicketKey): Promise<ProcessedCheck> {
      const [row] = await db
        .select({
          status: processedTickets.status,
          provider: processedTickets.provider,
          processedAt: processedTickets.processedAt,
        })
        .from(processedTickets)
        .where(keyMatches(key))
        .limit(1);
      if (!row) return { isProcessed: false, status: null };
      if (!isPosted(row.status)) return { isProcessed: false, status: row.status };
      return { isProcessed: true, status: row.status, provider: row.provider, processedAt: row.processedAt };
    },

    /**
     * Takes the ticket for `owner` for `leaseMs`. Exactly one of any number of concurrent callers wins: the insert or
     * the conditional update runs under the row lock, and losers see the winner's live lease. A posted ticket (either
     * posted state) is never claimed again (nor one with a recorded Discord message); a queued or not_posted one, or
     * one whose lease expired (its worker died), can be.
     */
    async claimTicket(key: TicketKey, owner: string, leaseMs: number): Promise<ClaimResult> {
      const result = await db.execute<{ attempts: number }>(sql`
        insert into processed_tickets (ticket_id, portal_id, status, claimed_by, claimed_until, attempts)
        values (${key.ticketId}, ${key.portalId}, 'triaging', ${owner},
                now() + make_interval(secs => ${leaseMs / 1000}), 1)
        on conflict (portal_id, ticket_id) do update
          set status = 'triaging', claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until,
              attempts = processed_tickets.attempts + 1, updated_at = now()
          where processed_tickets.status not in ${POSTED}
            and processed_tickets.discord_message_id is null
            and (processed_tickets.claimed_until is null or processed_tickets.claimed_until <= now())
        returning attempts`);
      const won = result.rows[0];
      if (won) return { claimed: true, attempts: Number(won.attempts) };

      const [row] = await db
        .select({
          status: processedTickets.status,
          processedAt: processedTickets.processedAt,
          claimedUntil: processedTickets.claimedUntil,
          discordMessageId: processedTickets.discordMessageId,
        })
        .from(processedTickets)
        .where(keyMatches(key))
        .limit(1);
      // A recorded Discord message means a person has seen the ticket, whatever the status says: never post again.
      if ((row && isPosted(row.status)) || row?.discordMessageId)
        return { claimed: false, reason: 'posted', processedAt: row.processedAt };
      return { claimed: false, reason: 'held', claimedUntil: row?.claimedUntil ?? null };
    },

    /** Extends a live claim (the worker's heartbeat); false when the claim was lost to someone else. */
    async renewClaim(key: TicketKey, owner: string, leaseMs: number): Promise<boolean> {
      const rows = await db
        .update(processedTickets)
        .set({ claimedUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
        .where(and(keyMatches(key), eq(processedTickets.claimedBy, owner), eq(processedTickets.status, 'triaging')))
        .returning({ id: processedTickets.id });
      return rows.length > 0;
    },

    /** Gives the claim back (the attempt failed and will be retried); only the owner's own claim is released. */
    async releaseClaim(key: TicketKey, owner: string, error: string | null = null): Promise<boolean> {
      const rows = await db
        .update(processedTickets)
        .set({ claimedUntil: null, claimedBy: null, lastError: error, updatedAt: sql`now()` })
        .where(and(keyMatches(key), eq(processedTickets.claimedBy, owner), eq(processedTickets.status, 'triaging')))
        .returning({ id: processedTickets.id });
      return rows.length > 0;
    },

    /** Records how a ticket ended (`input.state`). Returns false if the claim was lost. */
    async markTicketProcessed(input: MarkProcessed): Promise<boolean> {
      const values = {
        status: input.state,
        provider: input.provider,
        success: input.state === 'posted',
        discordMessageId: input.discordMessageId ?? null,
        lastError: input.error ?? null,
        claimedBy: null,
        claimedUntil: null,
        processedAt: sql`now()`,
        updatedAt: sql`now()`,
        ...(input.latestRun
          ? { latestPriority: input.latestRun.priority, latestSubject: input.latestRun.subject }
          : {}),
      };
      if (input.owner !== undefined) {
        const rows = await db
          .update(processedTickets)
          .set(values)
          .where(and(keyMatches(input), eq(processedTickets.claimedBy, input.owner)))
          .returning({ id: processedTickets.id });
        return rows.length > 0;
      }
      await db
        .insert(processedTickets)
        .values({ ticketId: input.ticketId, portalId: input.portalId, attempts: 1, ...values })
        .onConflictDoUpdate({ target: [processedTickets.portalId, processedTickets.ticketId], set: values });
      return true;
    },

    /**
     * Copies a newly recorded run's priority and subject onto its ticket's row (run-store calls it in the transaction
     * that inserts the run), so the row always shows its latest run's. Activity times are left alone.
     */
    async noteLatestRun(key: TicketKey, latest: LatestRun): Promise<void> {
      await db
        .update(processedTickets)
        .set({ latestPriority: latest.priority, latestSubject: latest.subject })
        .where(keyMatches(key));
    },

    /** Counts a redelivery of an already-posted ticket (shown as `duplicates` in the stats). */
    async recordDuplicate(key: TicketKey): Promise<void> {
      await db
        .update(processedTickets)
        .set({ duplicates: sql`${processedTickets.duplicates} + 1` })
        .where(keyMatches(key));
    },

    /**
     * Deletes idempotency rows older than the retention window; returns how many. Only finished tickets go: a queued
     * or triaging row still guards its job.
     */
    async deleteFinishedBefore(retentionDays: number): Promise<number> {
      const cutoff = sql`now() - make_interval(days => ${retentionDays})`;
      const rows = await db
        .delete(processedTickets)
        .where(
          and(
            lt(processedTickets.processedAt, cutoff),
            inArray(processedTickets.status, ['posted', 'posted_as_failure', 'not_posted'] satisfies FinalState[]),
          ),
        )
        .returning({ id: processedTickets.id });
      return rows.length;
    },

    async liveClaims(): Promise<TicketKey[]> {
      return db
        .select({ ticketId: processedTickets.ticketId, portalId: processedTickets.portalId })
        .from(processedTickets)
        .where(sql`${processedTickets.claimedUntil} > now()`);
    },

    /** `triaging` tickets without a live claim, untouched for `quietMs`: candidates for failStaleClaims. */
    async staleClaims(quietMs: number): Promise<TicketKey[]> {
      return db
        .select({ ticketId: processedTickets.ticketId, portalId: processedTickets.portalId })
        .from(processedTickets)
        .where(staleClaim(quietMs));
    },

    /**
     * Ends stale claims whose job is gone for good (the caller checked the queue): `not_posted`, so /health counts them
     * and a redelivery or replay queues them again. Rows that moved on since the check are left alone.
     */
    async failStaleClaims(keys: TicketKey[], quietMs: number): Promise<string[]> {
      if (keys.length === 0) return [];
      const { rows } = await db.execute<{ ticket_id: string }>(sql`
        update processed_tickets p
           set status = 'not_posted', claimed_by = null, claimed_until = null, updated_at = now(),
               last_error = left('its job ended without an outcome; last error: ' || coalesce(p.last_error, 'none'), 500)
          from unnest(${sql.param(keys.map((k) => k.ticketId))}::text[], ${sql.param(keys.map((k) => k.portalId))}::text[])
               as k(ticket_id, portal_id)
         where p.ticket_id = k.ticket_id and p.portal_id is not distinct from k.portal_id
           and p.status = 'triaging'
           and (p.claimed_until is null or p.claimed_until < now())
           and p.updated_at < now() - make_interval(secs => ${quietMs / 1000})
        returning p.ticket_id`);
      return rows.map((row) => row.ticket_id);
    },

    /** What is known of a ticket id under any portal, for `triage replay`'s plan. */
    async knownStates(ticketId: string): Promise<KnownTicket[]> {
      const { rows } = await db.execute<KnownTicket>(sql`
        select portal_id, status, coalesce(claimed_until > now(), false) as live_claim
          from processed_tickets where ticket_id = ${ticketId}
        union
        select distinct r.portal_id, 'unrecorded', false from triage_runs r
         where r.ticket_id = ${ticketId}
           and not exists (select 1 from processed_tickets p where p.ticket_id = r.ticket_id
                             and p.portal_id is not distinct from r.portal_id)`);
      return rows;
    },

    /**
     * Queues a ticket again with `payload` for `triage replay`, only while the row is still what the plan saw
     * (not_posted, a triaging row without a live claim, or posted either way when `force`): a delivery or worker that moved
     * it since wins. Returns whether it was queued.
     */
    async requeue(key: TicketKey, payload: TriageTicketPayload, force: boolean): Promise<boolean> {
      const { rowCount } = await db.execute(sql`
        insert into processed_tickets (ticket_id, portal_id, status, pending_job)
        values (${key.ticketId}, ${key.portalId}, 'queued', ${JSON.stringify(payload)}::json)
        on conflict (portal_id, ticket_id) do update
           set status = 'queued', pending_job = excluded.pending_job, claimed_by = null, claimed_until = null,
               discord_message_id = null, updated_at = now()
         where processed_tickets.status in ('not_posted', 'triaging', 'posted', 'posted_as_failure')
           and (processed_tickets.status not in ${POSTED} or ${force})
           and (processed_tickets.claimed_until is null or processed_tickets.claimed_until <= now())`);
      return rowCount === 1;
    },
  };
}

export type TicketStore = ReturnType<typeof createTicketStore>;

// ---- Statements on the caller's connection: the intake lane's, and the queue mover's transaction ----

// One upsert on the (portal, ticket) key decides each ticket of an intake batch: a new row is queued (its job
// payload in `pending_job`, moved into the queue by a worker process); a posted row (either posted state) is a
// duplicate (counted); a not_posted row is queued again; a queued or triaging row is left alone (not returned:
// "already queued"). Only the unique index is read, so the plan cannot become a table scan as the table
// grows. Tickets are deduplicated within the batch (an upsert may touch a row once) and written in key order, so
// concurrent batches cannot deadlock. The batch travels as two text arrays and one JSON array.
const POSTED_LIST = `(${POSTED_STATES.map((state) => `'${state}'`).join(', ')})`;
const QUEUE_TICKETS_SQL = `
insert into processed_tickets as p (ticket_id, portal_id, status, pending_job)
select b.ticket_id, b.portal_id, 'queued', (array_agg(b.payload order by b.n))[1]
  from rows from (unnest($1::text[]), unnest($2::text[]), json_array_elements($3::json))
       with ordinality as b(ticket_id, portal_id, payload, n)
 group by b.portal_id, b.ticket_id
 order by b.portal_id, b.ticket_id
on conflict (portal_id, ticket_id) do update
   set duplicates = p.duplicates + case when p.status in ${POSTED_LIST} then 1 else 0 end,
       pending_job = case when p.status = 'not_posted' then excluded.pending_job else p.pending_job end,
       claimed_by = case when p.status = 'not_posted' then null else p.claimed_by end,
       claimed_until = case when p.status = 'not_posted' then null else p.claimed_until end,
       status = case when p.status = 'not_posted' then 'queued' else p.status end,
       updated_at = now()
 where p.status in ${POSTED_LIST} or p.status = 'not_posted'
returning p.ticket_id, p.portal_id, p.status, p.processed_at`;

/** A ticket queueTickets wrote: `queued` (new, or not_posted before and queued again) or posted (a duplicate). */
export interface QueuedRow {
  ticket_id: string;
  portal_id: string | null;
  status: 'queued' | PostedState;
  processed_at: Date;
}

/**
 * Intake's statement (its own transaction) for one batch. A prepared statement; `timeoutMs` is pg's client-side
 * query timeout, after which the connection (still busy) must be dropped by the caller.
 */
export async function queueTickets(
  client: Queryable,
  payloads: TriageTicketPayload[],
  timeoutMs: number,
): Promise<QueuedRow[]> {
  // pg reads a per-query `query_timeout` (its types only list it for the client).
  const query: pg.QueryConfig & { query_timeout: number } = {
    name: 'triage-enqueue',
    text: QUEUE_TICKETS_SQL,
    query_timeout: timeoutMs,
    values: [payloads.map((p) => p.ticket_id), payloads.map((p) => p.portal_id), JSON.stringify(payloads)],
  };
  return (await client.query<QueuedRow>(query)).rows;
}

/** Rare: one intake statement carried a posted ticket `n` times more; the upsert counted it once. Stats only. */
export async function addDuplicates(
  client: Queryable,
  repeats: { ticketId: string; portalId: string | null; n: number }[],
): Promise<void> {
  await client.query(
    `update processed_tickets p set duplicates = p.duplicates + r.n
       from unnest($1::text[], $2::text[], $3::int[]) as r(ticket_id, portal_id, n)
      where p.ticket_id = r.ticket_id and p.portal_id is not distinct from r.portal_id`,
    [repeats.map((r) => r.ticketId), repeats.map((r) => r.portalId), repeats.map((r) => r.n)],
  );
}

/**
 * Stages tickets this service has never seen (no row under any portal: a ticket id is unique within the one
 * HubSpot account a token reads), for the catch-up sweep. Returns the ids staged.
 */
export async function stageUnseenTickets(client: Queryable, payloads: TriageTicketPayload[]): Promise<string[]> {
  if (payloads.length === 0) return [];
  const { rows } = await client.query<{ ticket_id: string }>(
    `insert into processed_tickets (ticket_id, portal_id, status, pending_job)
     select b.ticket_id, b.portal_id, 'queued', b.payload
       from rows from (unnest($1::text[]), unnest($2::text[]), json_array_elements($3::json))
            as b(ticket_id, portal_id, payload)
      where not exists (select 1 from processed_tickets p where p.ticket_id = b.ticket_id)
      order by b.portal_id, b.ticket_id
     on conflict (portal_id, ticket_id) do nothing
     returning ticket_id`,
    [payloads.map((p) => p.ticket_id), payloads.map((p) => p.portal_id), JSON.stringify(payloads)],
  );
  return rows.map((row) => row.ticket_id);
}

export interface StagedTicket {
  id: string;
  ticket_id: string;
  portal_id: string | null;
  pending_job: TriageTicketPayload;
  /** The database's clock, for pacing. */
  now: Date;
}

/** Locks up to `limit` staged tickets, oldest first, skipping those another mover holds (call in a transaction). */
export async function lockStagedTickets(client: pg.PoolClient, limit: number): Promise<StagedTicket[]> {
  const { rows } = await client.query<StagedTicket>(
    `select id, ticket_id, portal_id, pending_job, now() as now
       from processed_tickets
      where pending_job is not null
      order by updated_at
      limit $1
        for update skip locked`,
    [limit],
  );
  return rows;
}

/** Clears the payloads of tickets whose jobs were added (in the same transaction as lockStagedTickets). */
export async function clearStagedTickets(client: pg.PoolClient, ids: string[]): Promise<void> {
  await client.query('update processed_tickets set pending_job = null where id = any($1::uuid[])', [ids]);
}
