// Run records (`triage_runs`), the only module that writes them: one row per worker attempt, written together with
// the ticket's final state (through the ticket store, in one transaction) so a ticket is never posted without the
// run that says how. Also the queries behind `triage replay` and the dashboard.
import { and, desc, lt, sql } from 'drizzle-orm';
import { storableValue } from '../domain/text.ts';
import type { NormalizedTicket, TicketKey } from '../domain/ticket.ts';
import type { Db } from './client.ts';
import { type NewTriageRun, triageRuns } from './schema.ts';
import { createTicketStore, type MarkProcessed, matchesTicket } from './ticket-store.ts';

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

    /** Deletes run records older than the retention window; returns how many. */
    async deleteBefore(retentionDays: number): Promise<number> {
      const rows = await db
        .delete(triageRuns)
        .where(lt(triageRuns.createdAt, sql`now() - make_interval(days => ${retentionDays})`))
        .returning({ id: triageRuns.id });
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
