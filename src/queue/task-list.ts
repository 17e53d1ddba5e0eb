// The task handlers this process runs, built from explicit dependencies. The triage pipeline adds its task here.
import type { TaskList } from 'graphile-worker';
import type { TicketStore } from '../db/ticket-store.ts';
import type { Logger } from '../observability/logger.ts';
import { RETENTION_CLEANUP } from './tasks.ts';

export interface TaskDeps {
  store: TicketStore;
  logger: Logger;
  retentionDays: number;
}

export function createTaskList(deps: TaskDeps): TaskList {
  return {
    [RETENTION_CLEANUP]: async () => {
      const deleted = await deps.store.cleanupOldRecords(deps.retentionDays);
      deps.logger.info({ deleted, retention_days: deps.retentionDays }, 'retention.cleanup');
    },
  };
}
