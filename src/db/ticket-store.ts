// The idempotency store: the seed's repository functions over `processed_tickets`, made race-free with an atomic
// claim. Failure policy (unlike the seed's fail-open): every function lets database errors propagate. The intake
// then answers 503 so HubSpot redelivers, and the worker's job fails and is retried by the queue; a ticket is never
// silently treated as new or as done when the store cannot say which it is.
import { and, count, eq, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { processedTickets, type TicketStatus, triageRuns } from './schema.ts';

export interface TicketKey {
  ticketId: string;
  /** HubSpot portal id; null when the delivery did not say (null is a value of its own in the key). */
  portalId: string | null;
}

export type ProcessedCheck =
  | { isProcessed: false; status: TicketStatus | null }
  | { isProcessed: true; status: 'notified'; provider: string | null; processedAt: Date };

export type ClaimResult =
  | { claimed: true; attempts: number }
  | { claimed: false; reason: 'notified'; processedAt: Date }
  | { claimed: false; reason: 'held'; claimedUntil: Date | null };

export interface ProcessingStats {
  since: Date;
  total: number;
  notified: number;
  failed: number;
  /** Queued or being worked on. */
  processing: number;
  /** Deliveries answered `duplicate` because the ticket was already notified. */
  duplicates: number;
  /** notified / (notified + failed), or null when nothing has finished yet. */
  successRate: number | null;
  byProvider: Record<string, number>;
}

export interface HealthCheck {
  healthy: boolean;
  latencyMs: number;
  error?: string;
}

export interface MarkProcessed extends TicketKey {
  provider: string | null;
  /** Whether triage succeeded. */
  success: boolean;
  /** Final state; defaults to `notified` on success and `failed` otherwise. A failure message that reached Discord
   * is `notified` with success false: a person has seen it, so it must not be posted again. */
  status?: 'notified' | 'failed';
  discordMessageId?: string | null;
  error?: string | null;
  /** When given, the row is only updated while this owner still holds the claim. */
  owner?: string;
}

/** Rows of `table` (processed_tickets or triage_runs) for one ticket; a null portal matches only null. */
export const matchesTicket = (table: typeof processedTickets | typeof triageRuns, key: TicketKey) =>
  and(
    eq(table.ticketId, key.ticketId),
    key.portalId === null ? isNull(table.portalId) : eq(table.portalId, key.portalId),
  );
const keyMatches = (key: TicketKey) => matchesTicket(processedTickets, key);

export function createTicketStore(db: Db) {
  return {
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
      if (row.status !== 'notified') return { isProcessed: false, status: row.status };
      return { isProcessed: true, status: 'notified', provider: row.provider, processedAt: row.processedAt };
    },

    /**
     * Takes the ticket for `owner` for `leaseMs`. Exactly one of any number of concurrent callers wins: the insert or
     * the conditional update runs under the row lock, and losers see the winner's live lease. A notified ticket is
     * never claimed again (nor one with a recorded Discord message); a queued or failed one, or one whose lease
     * expired (its worker died), can be.
     */
    async claimTicket(key: TicketKey, owner: string, leaseMs: number): Promise<ClaimResult> {
      const result = await db.execute<{ attempts: number }>(sql`
        insert into processed_tickets (ticket_id, portal_id, status, claimed_by, claimed_until, attempts)
        values (${key.ticketId}, ${key.portalId}, 'processing', ${owner},
                now() + make_interval(secs => ${leaseMs / 1000}), 1)
        on conflict (portal_id, ticket_id) do update
          set status = 'processing', claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until,
              attempts = processed_tickets.attempts + 1, updated_at = now()
          where processed_tickets.status <> 'notified'
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
      if (row?.status === 'notified' || row?.discordMessageId)
        return { claimed: false, reason: 'notified', processedAt: row.processedAt };
      return { claimed: false, reason: 'held', claimedUntil: row?.claimedUntil ?? null };
    },

    /** Extends a live claim (the worker's heartbeat); false when the claim was lost to someone else. */
    async renewClaim(key: TicketKey, owner: string, leaseMs: number): Promise<boolean> {
      const rows = await db
        .update(processedTickets)
        .set({ claimedUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
        .where(and(keyMatches(key), eq(processedTickets.claimedBy, owner), eq(processedTickets.status, 'processing')))
        .returning({ id: processedTickets.id });
      return rows.length > 0;
    },

    /** Gives the claim back (the attempt failed and will be retried); only the owner's own claim is released. */
    async releaseClaim(key: TicketKey, owner: string, error: string | null = null): Promise<boolean> {
      const rows = await db
        .update(processedTickets)
        .set({ claimedUntil: null, claimedBy: null, lastError: error, updatedAt: sql`now()` })
        .where(and(keyMatches(key), eq(processedTickets.claimedBy, owner), eq(processedTickets.status, 'processing')))
        .returning({ id: processedTickets.id });
      return rows.length > 0;
    },

    /** Records the end of a ticket: `notified` on success, `failed` otherwise. Returns false if the claim was lost. */
    async markTicketProcessed(input: MarkProcessed): Promise<boolean> {
      const status: TicketStatus = input.status ?? (input.success ? 'notified' : 'failed');
      const values = {
        status,
        provider: input.provider,
        success: input.success,
        discordMessageId: input.discordMessageId ?? null,
        lastError: input.error ?? null,
        claimedBy: null,
        claimedUntil: null,
        processedAt: sql`now()`,
        updatedAt: sql`now()`,
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

    /** Counts a redelivery of an already-notified ticket (shown as `duplicates` in the stats). */
    async recordDuplicate(key: TicketKey): Promise<void> {
      await db
        .update(processedTickets)
        .set({ duplicates: sql`${processedTickets.duplicates} + 1` })
        .where(keyMatches(key));
    },

    /**
     * Deletes idempotency rows and run records older than the retention window; returns how many of each. Only
     * finished tickets go: a queued or processing row still guards its job.
     */
    async cleanupOldRecords(retentionDays: number): Promise<{ tickets: number; runs: number }> {
      const cutoff = sql`now() - make_interval(days => ${retentionDays})`;
      return db.transaction(async (tx) => {
        const tickets = await tx
          .delete(processedTickets)
          .where(
            and(lt(processedTickets.processedAt, cutoff), inArray(processedTickets.status, ['notified', 'failed'])),
          )
          .returning({ id: processedTickets.id });
        const runs = await tx
          .delete(triageRuns)
          .where(lt(triageRuns.createdAt, cutoff))
          .returning({ id: triageRuns.id });
        return { tickets: tickets.length, runs: runs.length };
      });
    },

    async getProcessingStats(since: Date): Promise<ProcessingStats> {
      const recent = gte(processedTickets.processedAt, since);
      const byStatus = await db
        .select({
          status: processedTickets.status,
          n: count(),
          duplicates: sql<string>`coalesce(sum(${processedTickets.duplicates}), 0)`,
        })
        .from(processedTickets)
        .where(recent)
        .groupBy(processedTickets.status);
      const byProviderRows = await db
        .select({ provider: processedTickets.provider, n: count() })
        .from(processedTickets)
        .where(and(recent, eq(processedTickets.status, 'notified')))
        .groupBy(processedTickets.provider);

      const countOf = (status: TicketStatus) => byStatus.find((row) => row.status === status)?.n ?? 0;
      const notified = countOf('notified');
      const failed = countOf('failed');
      return {
        since,
        total: byStatus.reduce((sum, row) => sum + row.n, 0),
        notified,
        failed,
        processing: countOf('processing') + countOf('queued'),
        duplicates: byStatus.reduce((sum, row) => sum + Number(row.duplicates), 0),
        successRate: notified + failed === 0 ? null : notified / (notified + failed),
        byProvider: Object.fromEntries(byProviderRows.map((row) => [row.provider ?? 'unknown', row.n])),
      };
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

export type TicketStore = ReturnType<typeof createTicketStore>;
