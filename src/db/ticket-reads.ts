// The reads of `processed_tickets` that change nothing: `triage stats`, /health, the dashboard's overview, list and
// ticket page. Part of the ticket store (createTicketStore spreads them in), kept apart from the statements that
// write the table.
import { and, count, desc, eq, gte, isNull, like, sql } from 'drizzle-orm';
import { IN_PROGRESS_STATES, successRate, TICKET_STATES, type TicketState } from '../domain/states.ts';
import type { TicketKey } from '../domain/ticket.ts';
import type { Db } from './client.ts';
import { processedTickets, type ticketFeedback, type triageRuns } from './schema.ts';

/** Tickets a subject search reads in time order before it asks the trigram index instead (listTickets). */
export const SEARCH_WALK = 5_000;

/** Marks run records that Discord's refusal of our webhook ended (a configuration error, not the ticket's). */
export const DISCORD_CONFIG_ERROR = 'discord_config';

/** Rows of `table` (processed_tickets or triage_runs) for one ticket; a null portal matches only null. */
export const matchesTicket = (
  table: typeof processedTickets | typeof triageRuns | typeof ticketFeedback,
  key: TicketKey,
) =>
  and(
    eq(table.ticketId, key.ticketId),
    key.portalId === null ? isNull(table.portalId) : eq(table.portalId, key.portalId),
  );

/** `triage stats` (its --json as is) and the dashboard: tickets touched since `since`, by state. */
export interface ProcessingStats {
  since: Date;
  total: number;
  /** Every state, zero included. */
  states: Record<TicketState, number>;
  /** queued + triaging. */
  in_progress: number;
  /** Deliveries answered `duplicate` because a message about the ticket was already posted. */
  duplicates: number;
  /** posted / (posted + posted_as_failure + not_posted), or null when no ticket has ended (domain/states.ts). */
  success_rate: number | null;
  /** `posted` tickets by the provider that triaged them. */
  posted_by_provider: Record<string, number>;
}

export interface HealthCheck {
  healthy: boolean;
  latencyMs: number;
  error?: string;
}

export interface TicketListFilter {
  /** A ticket id (exact) or part of a subject. */
  q?: string;
  state?: string;
  provider?: string;
  priority?: string;
  /** The last row of the previous page. */
  after?: { at: Date; id: string };
  limit: number;
}

export type TicketListRow = {
  id: string;
  ticketId: string;
  portalId: string | null;
  status: string;
  provider: string | null;
  attempts: number;
  duplicates: number;
  processedAt: Date;
  priority: string | null;
  subject: string | null;
};

export interface TicketReadOptions {
  /** Tickets a subject search reads in time order before it asks the trigram index (SEARCH_WALK; tests set fewer). */
  searchWalk?: number;
}

export function createTicketReads(db: Db, options: TicketReadOptions = {}) {
  const searchWalk = options.searchWalk ?? SEARCH_WALK;
  return {
    async getProcessingStats(since: Date): Promise<ProcessingStats> {
      // One pass over the window, by state and provider (the provider only matters for `posted`).
      const rows = await db
        .select({
          status: processedTickets.status,
          provider: processedTickets.provider,
          n: count(),
          duplicates: sql<string>`coalesce(sum(${processedTickets.duplicates}), 0)`,
        })
        .from(processedTickets)
        .where(gte(processedTickets.processedAt, since))
        .groupBy(processedTickets.status, processedTickets.provider);
      const states = Object.fromEntries(
        TICKET_STATES.map((state) => [
          state,
          rows.filter((row) => row.status === state).reduce((sum, row) => sum + row.n, 0),
        ]),
      ) as Record<TicketState, number>;
      return {
        since,
        total: rows.reduce((sum, row) => sum + row.n, 0),
        states,
        in_progress: IN_PROGRESS_STATES.reduce((sum, state) => sum + states[state], 0),
        duplicates: rows.reduce((sum, row) => sum + Number(row.duplicates), 0),
        success_rate: successRate(states),
        posted_by_provider: Object.fromEntries(
          rows.filter((row) => row.status === 'posted').map((row) => [row.provider ?? 'unknown', row.n]),
        ),
      };
    },

    /** Tickets committed whose job no worker process has added yet. */
    async countStaged(): Promise<number> {
      const [row] = await db
        .select({ n: count() })
        .from(processedTickets)
        .where(sql`${processedTickets.pendingJob} is not null`);
      return row?.n ?? 0;
    },

    /** The portal id live deliveries carry (the most recent one seen), for the job keys of swept tickets. */
    async latestPortalId(): Promise<string | null> {
      const [row] = await db
        .select({ portalId: processedTickets.portalId })
        .from(processedTickets)
        .orderBy(desc(processedTickets.processedAt)) // idx_processed_at, no scan
        .limit(1);
      return row?.portalId ?? null;
    },

    /** The most recent `not_posted` tickets (a person must act), newest first. */
    async recentNotPosted(limit: number) {
      return db
        .select({
          ticketId: processedTickets.ticketId,
          portalId: processedTickets.portalId,
          attempts: processedTickets.attempts,
          lastError: processedTickets.lastError,
          updatedAt: processedTickets.updatedAt,
        })
        .from(processedTickets)
        .where(eq(processedTickets.status, 'not_posted'))
        .orderBy(desc(processedTickets.updatedAt))
        .limit(limit);
    },

    /** Operator warnings from the last `hours`: not_posted tickets, and Discord refusing our webhook (configuration). */
    async failureWarnings(hours = 24): Promise<string[]> {
      const since = sql`now() - make_interval(hours => ${hours})`;
      const [counts] = await db
        .select({
          notPosted: sql<number>`count(*)::int`,
          config: sql<number>`(count(*) filter (where ${like(processedTickets.lastError, `${DISCORD_CONFIG_ERROR}%`)}))::int`,
        })
        .from(processedTickets)
        .where(and(eq(processedTickets.status, 'not_posted'), gte(processedTickets.updatedAt, since)));
      const warnings: string[] = [];
      const configCount = counts?.config ?? 0;
      const notPostedCount = counts?.notPosted ?? 0;
      if (configCount > 0) {
        warnings.push(
          `discord_config: Discord rejected the webhook for ${configCount} ticket(s), not posted; check DISCORD_WEBHOOK_URL, then run triage replay`,
        );
      }
      if (notPostedCount > configCount) {
        warnings.push(
          `${notPostedCount - configCount} ticket(s) not posted in the last ${hours} h (need a person); see the dashboard, then triage replay`,
        );
      }
      return warnings;
    },

    /** Tickets whose claim is live right now (their worker renews it), for the lease sweeper. */
    /**
     * The dashboard's ticket list, most recent activity first, one page at a time: `after` is the last row of the
     * previous page (keyset pagination: every page costs the same however deep). Priority and subject are the
     * ticket's latest run's, copied onto the row when the run was recorded; each filter has an index ending in the
     * keyset order (schema.ts). A subject search runs in two steps, so its cost does not hang on the planner's guess
     * of how rare the words are (a guess that flipped between two ANALYZE samples of the same data, bench/RESULTS.md):
     * first the newest SEARCH_WALK tickets are read in keyset order (a common word fills the page there); when they
     * hold less than a page, the trigram index answers (a rare word is a few hundred rows of it), read as a bitmap
     * (planner settings for that one transaction rule out walking the whole table in time order).
     */
    async listTickets(filter: TicketListFilter): Promise<TicketListRow[]> {
      const where = [sql`true`];
      if (filter.state) where.push(sql`p.status = ${filter.state}`);
      if (filter.provider) where.push(sql`p.provider = ${filter.provider}`);
      if (filter.priority) where.push(sql`p.latest_priority = ${filter.priority}`);
      if (filter.after) {
        where.push(
          sql`(p.processed_at, p.id) < (${filter.after.at.toISOString()}::timestamptz, ${filter.after.id}::uuid)`,
        );
      }
      const columns = sql`p.id, p.ticket_id as "ticketId", p.portal_id as "portalId", p.status, p.provider,
               p.attempts, p.duplicates, p.processed_at as "processedAt", p.latest_priority as priority,
               p.latest_subject as subject`;
      const order = sql`order by p.processed_at desc, p.id desc`;
      const toRows = (rows: TicketListRow[]) => rows.map((row) => ({ ...row, processedAt: new Date(row.processedAt) }));
      if (!filter.q) {
        const { rows } = await db.execute<TicketListRow>(sql`
          select ${columns} from processed_tickets p where ${sql.join(where, sql` and `)} ${order} limit ${filter.limit}`);
        return toRows(rows);
      }
      const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const matches = sql`(p.ticket_id = ${filter.q} or p.latest_subject ilike ${like})`;
      const { rows: newest } = await db.execute<TicketListRow>(sql`
        select ${columns}
          from (select * from processed_tickets p where ${sql.join(where, sql` and `)} ${order} limit ${searchWalk}) p
         where ${matches} ${order} limit ${filter.limit}`);
      // A page found among the newest, or words too short for trigrams: that is the answer.
      if (newest.length >= filter.limit || filter.q.length < 3) return toRows(newest);
      const rows = await db.transaction(async (tx) => {
        await tx.execute(sql`set local enable_indexscan = off`);
        await tx.execute(sql`set local enable_seqscan = off`);
        const { rows: found } = await tx.execute<TicketListRow>(sql`
          select ${columns} from processed_tickets p
           where ${sql.join([...where, matches], sql` and `)} ${order} limit ${filter.limit}`);
        return found;
      });
      return toRows(rows);
    },

    /** One ticket's row, for its dashboard page. */
    async findTicket(key: TicketKey) {
      const [row] = await db
        .select({
          ticketId: processedTickets.ticketId,
          portalId: processedTickets.portalId,
          status: processedTickets.status,
          provider: processedTickets.provider,
          attempts: processedTickets.attempts,
          duplicates: processedTickets.duplicates,
          discordMessageId: processedTickets.discordMessageId,
          lastError: processedTickets.lastError,
          queued: sql<boolean>`${processedTickets.pendingJob} is not null`,
          claimedUntil: processedTickets.claimedUntil,
          createdAt: processedTickets.createdAt,
          updatedAt: processedTickets.updatedAt,
        })
        .from(processedTickets)
        .where(matchesTicket(processedTickets, key))
        .limit(1);
      return row ?? null;
    },

    async checkIdempotencyHealth(): Promise<HealthCheck> {
      const started = performance.now();
      try {
        await db.execute(sql`select 1 from processed_tickets limit 1`);
        return { healthy: true, latencyMs: performance.now() - started };
      } catch (error) {
        return { healthy: false, latencyMs: performance.now() - started, error: (error as Error).message };
      }
    },
  };
}
