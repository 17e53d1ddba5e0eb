// Retention: finished tickets and run records older than RETENTION_DAYS go, each through the store that owns its table.
import type { RunStore } from './run-store.ts';
import type { TicketStore } from './ticket-store.ts';

export async function deleteOldRecords(
  stores: { tickets: Pick<TicketStore, 'deleteFinishedBefore'>; runs: Pick<RunStore, 'deleteBefore'> },
  retentionDays: number,
): Promise<{ tickets: number; runs: number }> {
  const tickets = await stores.tickets.deleteFinishedBefore(retentionDays);
  const runs = await stores.runs.deleteBefore(retentionDays);
  return { tickets, runs };
}
