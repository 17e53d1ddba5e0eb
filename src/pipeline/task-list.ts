// The task handlers this process runs, built from explicit dependencies.
import type { TaskList } from 'graphile-worker';
import type { Logger } from '../observability/logger.ts';
import { CATCH_UP_SWEEP, RETENTION_CLEANUP, TRIAGE_TICKET } from '../queue/tasks.ts';
import { createTriageTask, type PipelineDeps } from './triage-task.ts';

export interface TaskDeps {
  logger: Logger;
  /** Deletes finished tickets and run records older than `days`. */
  cleanup: (days: number) => Promise<{ tickets: number; runs: number }>;
  retentionDays: number;
  pipeline: PipelineDeps;
  /** Lists tickets created lately and queues the ones never seen; absent when the sweep is off. */
  catchUp?: (signal: AbortSignal) => Promise<unknown>;
}

export function createTaskList(deps: TaskDeps): TaskList {
  return {
    [TRIAGE_TICKET]: createTriageTask(deps.pipeline) as TaskList[string],
    [CATCH_UP_SWEEP]: async (_payload, helpers) => {
      if (!deps.catchUp) return; // scheduled by an older configuration: nothing to do
      await deps.catchUp(helpers.abortSignal);
    },
    [RETENTION_CLEANUP]: async () => {
      const deleted = await deps.cleanup(deps.retentionDays);
      deps.logger.info({ deleted, retention_days: deps.retentionDays }, 'retention.cleanup');
    },
  };
}
