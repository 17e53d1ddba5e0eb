// Retention: finished tickets, run records and feedback older than RETENTION_DAYS go, each through the store that owns its table.
import type { FeedbackStore } from './feedback-store.ts';
import type { RunStore } from './run-store.ts';
import type { TicketStore } from './ticket-store.ts';

export async function deleteOldRecords(
  stores: {
    tickets: Pick<TicketStore, 'deleteFinishedBefore'>;
    runs: Pick<RunStore, 'deleteBefore'>;
    feedback: Pick<FeedbackStore, 'deleteBefore'>;
  },
  retentionDays: number,
): Promise<{ tickets: number; runs: number; feedback: number }> {
  const tickets = await stores.tickets.deleteFinishedBefore(retentionDays);
  const runs = await stores.runs.deleteBefore(retentionDays);
  const feedback = await stores.feedback.deleteBefore(retentionDays);
  return { tickets, runs, feedback };
}
