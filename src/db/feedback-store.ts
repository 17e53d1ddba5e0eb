// Feedback on triage (`ticket_feedback`), the only module that writes it: the dashboard's form saves one answer per
// ticket, the overview reads the window's acceptance and agreement numbers, `triage export-feedback` reads the answers
// with the ticket their run saw.
import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { TicketKey } from '../domain/ticket.ts';
import type { Db } from './client.ts';
import { ticketFeedback, triageRuns } from './schema.ts';
import { matchesTicket } from './ticket-store.ts';

export const NOTE_MAX = 2000;

export interface FeedbackInput extends TicketKey {
  runId: string | null;
  triagedPriority: string | null;
  triagedProvider: string | null;
  useful: boolean;
  chosenPriority: string | null;
  draftUsed: boolean | null;
  note: string | null;
}

export interface FeedbackSummary {
  /** Tickets with feedback in the window. */
  answers: number;
  useful: number;
  /** Answers that named a priority, and how many named the one the triage gave. */
  withPriority: number;
  priorityAgreed: number;
  /** Answers on tickets triaged critical, and how many of those the person would not have made critical. */
  triagedCritical: number;
  falseCritical: number;
  /** Answers that said whether the draft was used, and how many used it. */
  draftAnswered: number;
  draftUsed: number;
}

export function createFeedbackStore(db: Db) {
  return {
    /** Saves a person's answer for a ticket, replacing an earlier one. */
    async saveFeedback(input: FeedbackInput): Promise<void> {
      const values = {
        ticketId: input.ticketId,
        portalId: input.portalId,
        runId: input.runId,
        triagedPriority: input.triagedPriority,
        triagedProvider: input.triagedProvider,
        useful: input.useful,
        chosenPriority: input.chosenPriority,
        draftUsed: input.draftUsed,
        note: input.note?.slice(0, NOTE_MAX) || null,
      };
      await db
        .insert(ticketFeedback)
        .values(values)
        .onConflictDoUpdate({
          target: [ticketFeedback.ticketId, ticketFeedback.portalId],
          set: { ...values, updatedAt: sql`now()` },
        });
    },

    async feedbackFor(key: TicketKey) {
      const [row] = await db.select().from(ticketFeedback).where(matchesTicket(ticketFeedback, key)).limit(1);
      return row ?? null;
    },

    async feedbackSummary(since: Date): Promise<FeedbackSummary> {
      const [row] = await db
        .select({
          answers: sql<number>`count(*)::int`,
          useful: sql<number>`count(*) filter (where ${ticketFeedback.useful})::int`,
          withPriority: sql<number>`count(${ticketFeedback.chosenPriority})::int`,
          priorityAgreed: sql<number>`count(*) filter (where ${ticketFeedback.chosenPriority} = ${ticketFeedback.triagedPriority})::int`,
          triagedCritical: sql<number>`count(*) filter (where ${ticketFeedback.triagedPriority} = 'critical')::int`,
          // Critical that the person would not have made critical: they named another priority, or (naming
          // none) called the triage not useful.
          falseCritical: sql<number>`count(*) filter (where ${ticketFeedback.triagedPriority} = 'critical' and (${ticketFeedback.chosenPriority} <> 'critical' or (${ticketFeedback.chosenPriority} is null and not ${ticketFeedback.useful})))::int`,
          draftAnswered: sql<number>`count(${ticketFeedback.draftUsed})::int`,
          draftUsed: sql<number>`count(*) filter (where ${ticketFeedback.draftUsed})::int`,
        })
        .from(ticketFeedback)
        .where(gte(ticketFeedback.updatedAt, since));
      return row as FeedbackSummary;
    },

    /** Answers since `since`, newest first, each with the ticket and output of the run that was judged. */
    async exportFeedback(since: Date) {
      return db
        .select({
          feedback: ticketFeedback,
          ticket: triageRuns.ticket,
          output: triageRuns.output,
        })
        .from(ticketFeedback)
        .leftJoin(triageRuns, eq(triageRuns.id, ticketFeedback.runId))
        .where(gte(ticketFeedback.updatedAt, since))
        .orderBy(desc(ticketFeedback.updatedAt));
    },

    async deleteBefore(retentionDays: number): Promise<number> {
      const rows = await db
        .delete(ticketFeedback)
        .where(and(lt(ticketFeedback.updatedAt, sql`now() - make_interval(days => ${retentionDays})`)))
        .returning({ id: ticketFeedback.id });
      return rows.length;
    },
  };
}

export type FeedbackStore = ReturnType<typeof createFeedbackStore>;
