// Run records (`triage_runs`): one row per worker attempt, written together with the ticket's final state in one
// transaction so a ticket is never `notified` without the run that says how. Also the queries behind the operator
// warnings (/health) and `triage replay`.
import { and, desc, eq, gte, like, sql } from 'drizzle-orm';
import { storableValue } from '../domain/text.ts';
import type { NormalizedTicket } from '../intake/ticket.ts';
import type { Db } from './client.ts';
import { type NewTriageRun, processedTickets, triageRuns } from './schema.ts';
import { createTicketStore, type MarkProcessed, matchesTicket, type TicketKey } from './ticket-store.ts';

export const DISCORD_CONFIG_ERROR = 'discord_config';

export function createRunStore(db: Db) {
  return {
    async recordRun(run: NewTriageRun): Promise<void> {
      await db.insert(triageRuns).values(storableValue(run));
    },

    /** Marks the ticket finished (only while `mark.owner` holds the claim) and records the run, atomically. */
    async finishTicket(mark: MarkProcessed, run: NewTriageRun): Promise<boolean> {
      return db.transaction(async (tx) => {
        // A transaction has the same query surface as the database handle.
        const marked = await createTicketStore(tx as unknown as Db).markTicketProcessed(storableValue(mark));
        await tx.insert(triageRuns).values(storableValue(run));
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

    /** Operator warnings from the last `hours`: failed tickets, and Discord refusing our webhook (configuration). */
    async failureWarnings(hours = 24): Promise<string[]> {
      const since = sql`now() - make_interval(hours => ${hours})`;
      const [counts] = await db
        .select({
          failed: sql<number>`count(*)::int`,
          config: sql<number>`(count(*) filter (where ${like(processedTickets.lastError, `${DISCORD_CONFIG_ERROR}%`)}))::int`,
        })
        .from(processedTickets)
        .where(and(eq(processedTickets.status, 'failed'), gte(processedTickets.updatedAt, since)));
      const warnings: string[] = [];
      const configCount = counts?.config ?? 0;
      const failedCount = counts?.failed ?? 0;
      if (configCount > 0) {
        warnings.push(
          `discord_config: Discord rejected the webhook for ${configCount} ticket(s); check DISCORD_WEBHOOK_URL, then run triage replay`,
        );
      }
      if (failedCount > configCount) {
        warnings.push(
          `${failedCount - configCount} ticket(s) failed in the last ${hours} h; see triage stats and replay`,
        );
      }
      return warnings;
    },
  };
}

export type RunStore = ReturnType<typeof createRunStore>;
