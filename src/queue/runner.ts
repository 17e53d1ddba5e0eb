// Starts graphile-worker inside this process (ARCHITECTURE D8) and keeps it running: the task list, the daily cron,
// our logger, and no signal handlers of its own, because main.ts owns shutdown order. graphile-worker ends its worker
// pool when it cannot record a job's completion or failure (the database went away mid-job); this supervisor then
// starts a new runner with back-off until the database answers, and unlocks the jobs the dead pool still held, so
// work resumes within seconds of the database coming back, without a restart. `stop()` lets running jobs finish.
import { EventEmitter } from 'node:events';
import { type Runner, run, type Task, type TaskList, type WorkerEvents } from 'graphile-worker';
import type pg from 'pg';
import { createGraphileLogger } from '../observability/graphile-logger.ts';
import type { Logger } from '../observability/logger.ts';
import { crontab } from './tasks.ts';

export type QueueRunnerState = 'starting' | 'running' | 'restarting' | 'stopped';

export interface QueueRunner {
  /** `running` once a runner is up; `restarting` while the database is away; `stopped` after stop(). */
  state(): QueueRunnerState;
  /** The last error that ended a runner or kept one from starting, while not running. */
  lastError(): string | null;
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
  /** Schedule the catch-up sweep every this many minutes (0 or unset: not scheduled). */
  catchUpMinutes?: number;
  /** Waits between restarts while the database is away (the last one repeats). */
  restartDelaysMs?: number[];
}

const RESTART_DELAYS_MS = [250, 500, 1_000, 2_000];

/** Resolves once the first runner is up (rejects if it cannot start: start-up errors are the operator's to see). */
export async function startQueueRunner(options: QueueRunnerOptions): Promise<QueueRunner> {
  const log = options.logger.child({ component: 'queue' });
  const delays = options.restartDelaysMs ?? RESTART_DELAYS_MS;
  let state: QueueRunnerState = 'starting';
  let lastError: string | null = null;
  let current: Runner | null = null;
  let stopRequested = false;
  let wakeSleeper: (() => void) | null = null;
  let restarting: Promise<void> | null = null;
  /** Runners that ended but may still be finishing jobs they had started; awaited on stop. */
  const ending = new Set<Promise<void>>();
  // Every task call still running. A pool that graphile-worker shut down (even forcefully) does not stop the task
  // functions it started: one may still be retrying its commit after a Discord post. Their jobs are unlocked only once
  // those calls have returned, so no job is handed to a new worker while its first run is still going.
  const running = new Set<Promise<unknown>>();
  const taskList: TaskList = {};
  for (const [name, task] of Object.entries(options.taskList) as [string, Task][]) {
    taskList[name] = (payload, helpers) => {
      const call = Promise.resolve().then(() => task(payload, helpers));
      running.add(call);
      const forget = () => running.delete(call);
      call.then(forget, forget);
      return call;
    };
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeSleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      wakeSleeper = null;
    });

  const startOne = async (): Promise<void> => {
    const events: WorkerEvents = new EventEmitter();
    const workerIds = new Set<string>();
    events.on('worker:create', ({ worker }) => workerIds.add(worker.workerId));
    const runner = await run({
      pgPool: options.pool,
      concurrency: options.concurrency,
      taskList,
      crontab: options.cron === false ? '' : crontab(options.catchUpMinutes),
      noHandleSignals: true,
      pollInterval: options.pollIntervalMs ?? 1_000,
      logger: createGraphileLogger(options.logger),
      events,
      // Write each job's completion or failure before the runner reports it stopped: main.ts closes the pool right
      // after, and a job finished during shutdown must not stay locked by a process that is gone.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    current = runner;
    state = 'running';
    lastError = null;

    let dead = false;
    // graphile-worker shuts a pool down when it cannot record a job's outcome, then waits for its running jobs
    // (which may be waiting for the database themselves) before its promise settles: a new runner starts at once.
    const die = (message: string) => {
      if (dead) return;
      dead = true;
      if (stopRequested || current !== runner) return;
      current = null;
      state = 'restarting';
      lastError = message;
      log.error({ err: { message } }, 'queue runner ended; starting a new one');
      restarting = restartLoop().finally(() => {
        restarting = null;
      });
    };
    events.on('pool:fatalError', ({ error }) => die((error as Error | undefined)?.message ?? 'worker pool failed'));
    const settled: Promise<void> = runner.promise.then(
      () => die('the runner stopped by itself'),
      (error: unknown) => die((error as Error).message),
    );
    ending.add(
      settled.then(async () => {
        if (stopRequested) return;
        // Everything running now: the dead pool's calls, and perhaps a few of the new runner's (waiting for those
        // only delays the unlock).
        await Promise.allSettled([...running]);
        // Its pool is gone; jobs whose outcome it could not record stay locked by its workers. Unlock them (their
        // ticket claims still keep each ticket to one post) rather than leave them to the lease sweeper.
        for (let attempt = 0; !stopRequested; attempt++) {
          try {
            await unlockWorkers(options.pool, [...workerIds]);
            return;
          } catch {
            const wait = delays[Math.min(attempt, delays.length - 1)]!;
            await new Promise((resolve) => setTimeout(resolve, wait).unref());
          }
        }
      }),
    );
  };

  const restartLoop = async () => {
    for (let attempt = 0; !stopRequested; attempt++) {
      await sleep(delays[Math.min(attempt, delays.length - 1)]!);
      if (stopRequested) return;
      try {
        await startOne();
        log.info({ attempts: attempt + 1 }, 'queue runner restarted');
        return;
      } catch (error) {
        lastError = (error as Error).message;
        if (attempt === 0) log.warn({ err: { message: lastError } }, 'queue runner cannot start yet');
      }
    }
  };

  await startOne();

  let stopping: Promise<void> | null = null;
  return {
    state: () => state,
    lastError: () => (state === 'running' ? null : lastError),
    stop() {
      stopping ??= (async () => {
        stopRequested = true;
        wakeSleeper?.();
        await restarting;
        const runner = current;
        current = null;
        if (runner) {
          try {
            await runner.stop();
          } catch (error) {
            // A runner that died on its own is already stopped; anything else is a real failure to drain.
            if (!/already stopped/i.test((error as Error).message)) throw error;
          }
        }
        await Promise.all(ending);
        state = 'stopped';
      })();
      return stopping;
    },
  };
}

/** graphile-worker's public force_unlock_workers: the jobs these (dead) workers held become available again. */
export async function unlockWorkers(pool: pg.Pool, workerIds: string[]): Promise<void> {
  if (workerIds.length === 0) return;
  await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [workerIds]);
}
