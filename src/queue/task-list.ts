// The task handlers this process runs, built from explicit dependencies.
import type { TaskList } from 'graphile-worker';
import type { TicketStore } from '../db/ticket-store.ts';
import type { Logger } from '../observability/logger.ts';
import { createTriageTask, type PipelineDeps } from '../pipeline/triage-task.ts';
import { RETENTION_CLEANUP, TRIAGE_TICKET } from './tasks.ts';

export interface TaskDeps {
  store: TicketStore;
  logger: Logger;
  retentionDays: number;
  pipeline: PipelineDeps;
}

export function createTaskList(deps: TaskDeps): TaskList {
  return {
    [TRIAGE_TICKET]: createTriageTask(deps.pipeline) as TaskList[string],
    [RETENTION_CLEANUP]: async () => {
      const deleted = await deps.store.cleanupOldRecords(deps.retentionDays);
      deps.logger.info({ deleted, retention_days: deps.retentionDays }, 'retention.cleanup');
    },
  };
}
