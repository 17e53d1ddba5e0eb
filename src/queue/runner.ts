// Starts graphile-worker inside this process (ARCHITECTURE D8): the task list, the daily cron, our logger, and no
// signal handlers of its own, because main.ts owns shutdown order. `stop()` lets running jobs finish.
import { type Runner, run, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import { createGraphileLogger } from '../observability/graphile-logger.ts';
import type { Logger } from '../observability/logger.ts';
import { CRONTAB } from './tasks.ts';

export interface QueueRunner {
  runner: Runner;
  stop(): Promise<void>;
}

export interface QueueRunnerOptions {
  pool: pg.Pool;
  logger: Logger;
  concurrency: number;
  taskList: TaskList;
  /** How often to look for jobs scheduled in the future (retries); new jobs arrive by LISTEN/NOTIFY at once. */
  pollIntervalMs?: number;
  cron?: boolean;
}

export async function startQueueRunner(options: QueueRunnerOptions): Promise<QueueRunner> {
  const runner = await run({
    pgPool: options.pool,
    concurrency: options.concurrency,
    taskList: options.taskList,
    crontab: options.cron === false ? '' : CRONTAB,
    noHandleSignals: true,
    pollInterval: options.pollIntervalMs ?? 1_000,
    logger: createGraphileLogger(options.logger),
    // Write each job's completion or failure before the runner reports it stopped: main.ts closes the pool right
    // after, and a job finished during shutdown must not stay locked by a process that is gone.
    preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  });
  let stopping: Promise<void> | null = null;
  return {
    runner,
    stop() {
      stopping ??= runner.stop();
      return stopping;
    },
  };
}
