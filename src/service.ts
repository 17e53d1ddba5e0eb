// Service assembly: config → database (embedded when DATABASE_URL is unset) → migrations → workers → app → listen.
// The one place that wires modules together. Everything opened is registered as a releaser and closed in reverse
// order, also after a half-failed start-up; a release that fails makes stop() reject.
import { mkdir } from 'node:fs/promises';
import { buildApp } from './app.ts';
import { type Config, describeConfig, developmentTokenFile } from './config.ts';
import { createDatabase, type Database } from './db/client.ts';
import { startEmbeddedPostgres } from './db/embedded.ts';
import { databaseUnreachable } from './db/errors.ts';
import { createFeedbackStore, type FeedbackStore } from './db/feedback-store.ts';
import { migrateDatabase } from './db/migrate.ts';
import { deleteOldRecords } from './db/retention.ts';
import { createRunStore, type RunStore } from './db/run-store.ts';
import { readOrCreateSecret } from './db/secret-file.ts';
import { installationFloor } from './db/service-state.ts';
import { createTicketStore, stageUnseenTickets, type TicketStore } from './db/ticket-store.ts';
import { OperatorError } from './domain/operator-error.ts';
import { createLifecycle, type Lifecycle } from './http/lifecycle.ts';
import { createIntakeDatabase, createIntakeQueue } from './intake/enqueue.ts';
import type { Notifier } from './notify/types.ts';
import { createGraphileLogger } from './observability/graphile-logger.ts';
import { createHealthReporter } from './observability/health.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import { createMetrics, registerServiceGauges } from './observability/metrics.ts';
import { createCatchUpSweep } from './pipeline/catch-up.ts';
import { createTaskList } from './pipeline/task-list.ts';
import {
  createChainFromConfig,
  createCloudBudgetFromConfig,
  createHubSpotFromConfig,
  createNotifierFromConfig,
  notifierHealth,
  providerHealth,
} from './pipeline/wiring.ts';
import { startLeaseSweeper } from './queue/lease-sweeper.ts';
import { startQueueMover, wakeMovers } from './queue/mover.ts';
import { type QueueRunner, startQueueRunner } from './queue/runner.ts';
import { getQueueCounts } from './queue/stats.ts';
import type { CloudBudget, TriageChain } from './triage/index.ts';
import { VERSION } from './version.ts';

type Releaser = { name: string; release: () => Promise<void> };

export class Releasers {
  private readonly stack: Releaser[] = [];
  constructor(private readonly logger: Logger) {}
  add(name: string, release: () => Promise<void>): void {
    this.stack.push({ name, release });
  }
  /**
   * Releases in reverse order of opening; one failing release does not stop the others, and the first failure is
   * rethrown once all have run, so a shutdown that left something open ends non-zero.
   */
  async releaseAll(): Promise<void> {
    let first: { error: unknown } | null = null;
    while (this.stack.length > 0) {
      const { name, release } = this.stack.pop()!;
      try {
        await release();
      } catch (error) {
        this.logger.error({ err: error, resource: name }, 'release failed');
        first ??= { error };
      }
    }
    if (first) throw first.error;
  }
}

/**
 * Opens the database (starting the embedded server when needed, or with `attach` using the one a running instance
 * on the same DATA_DIR started) and applies migrations.
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  releasers: Releasers,
  options: { attach?: boolean } = {},
): Promise<Database & { url: string }> {
  let url = config.databaseUrl;
  if (!url) {
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger, attach: options.attach });
    releasers.add('embedded-postgres', () => embedded.stop());
    url = embedded.url;
  }
  const database = createDatabase(url, { max: config.workerConcurrency + 10 });
  releasers.add('database-pool', () => database.close());
  await database.pool.query('select 1').catch((error: unknown) => {
    throw databaseUnreachable(url, error, config.databaseUrl !== null);
  });
  await migrateDatabase(database.pool, createGraphileLogger(logger));
  await installationFloor(database.pool); // the catch-up sweep never looks back before the first start
  return { ...database, url };
}

export interface Service {
  /** The listening address (serve role), e.g. http://127.0.0.1:3000. */
  url: string | null;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  role: 'serve' | 'worker';
  /** How long in-flight jobs may run on shutdown before the process gives up on them (their lease then expires). */
  drainTimeoutMs?: number;
  /** Replaces the configured notifier (the `eval`/benchmark tools use an in-memory one). */
  notifier?: Notifier;
}

export async function startService(config: Config, logger: Logger, options: ServiceOptions): Promise<Service> {
  const releasers = new Releasers(logger);
  const lifecycle = createLifecycle();
  logger.info({ role: options.role, config: describeConfig(config) }, 'configuration');
  try {
    const database = await openDatabase(config, logger, releasers);
    const cloudBudget = createCloudBudgetFromConfig(config, database.pool, logger);
    const parts: Parts = {
      config,
      logger,
      releasers,
      database,
      tickets: createTicketStore(database.db),
      runs: createRunStore(database.db),
      feedback: createFeedbackStore(database.db),
      metrics: createMetrics(),
      chain: await createChainFromConfig(config, logger, { pool: database.pool, cloudBudget }),
      cloudBudget,
    };
    registerServiceGauges(parts.metrics, {
      queueDepth: async () => ({ ...(await getQueueCounts(database.pool, parts.tickets)) }),
      circuits: () => parts.chain.circuits(),
      ...(cloudBudget ? { cloudBudget: () => cloudBudget.status() } : {}),
    });
    const runsWorkers = config.workerConcurrency > 0 || options.role === 'worker';
    let workers: Workers | undefined;
    // The port is taken first: a port in use stops the start before any ticket is worked on.
    const server =
      options.role === 'serve' ? await startServer(parts, lifecycle, runsWorkers ? () => workers : null) : null;
    try {
      if (runsWorkers) workers = await startWorkers(parts, options);
    } catch (error) {
      await server?.close();
      throw error;
    }
    // Registered last so that they are released first: no new deliveries, then the queue drains.
    if (server) releasers.add('http', server.close);
    if (server) logger.info({ url: server.url, role: options.role, version: VERSION }, 'service started');
    else logger.info({ role: options.role, version: VERSION }, 'worker started');
    const url = server?.url ?? null;

    let stopping: Promise<void> | null = null;
    return {
      url,
      stop() {
        stopping ??= (async () => {
          lifecycle.startDraining();
          logger.info('shutting down');
          await releasers.releaseAll();
          logger.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    // The start-up error is the one to report; a release that fails as well was logged above.
    await releasers.releaseAll().catch(() => {});
    throw error;
  }
}

/** What every part of a service process shares. */
interface Parts {
  config: Config;
  logger: Logger;
  releasers: Releasers;
  database: Database & { url: string };
  tickets: TicketStore;
  runs: RunStore;
  feedback: FeedbackStore;
  metrics: Metrics;
  chain: TriageChain;
  cloudBudget: CloudBudget | null;
}

interface Workers {
  queue: QueueRunner;
  notifier: Notifier;
}

/** The queue runner with its tasks, the mover that feeds it and the lease sweeper. */
async function startWorkers(parts: Parts, options: ServiceOptions): Promise<Workers> {
  const { config, logger, database, tickets, runs, feedback, releasers } = parts;
  const notifier =
    options.notifier ?? createNotifierFromConfig(config, logger, (text) => process.stderr.write(`${text}\n`));
  const hubspot = createHubSpotFromConfig(config, logger);
  const catchUpOn = config.catchUp.intervalMinutes > 0 && config.hubspot.accessToken !== null;
  const sweep = createCatchUpSweep({
    hubspot,
    lookbackHours: config.catchUp.lookbackHours,
    portalId: async () => config.hubspot.portalId ?? (await tickets.latestPortalId()),
    queueUnseen: async (payloads) => {
      const queued = await stageUnseenTickets(database.pool, payloads);
      if (queued.length > 0) await wakeMovers(database.pool, queued.length);
      return { queued };
    },
    floor: () => installationFloor(database.pool),
    logger,
  });
  const queue = await startQueueRunner({
    pool: database.pool,
    logger,
    concurrency: Math.max(1, config.workerConcurrency),
    catchUpMinutes: catchUpOn ? config.catchUp.intervalMinutes : 0,
    taskList: createTaskList({
      logger,
      retentionDays: config.retentionDays,
      cleanup: (days) => deleteOldRecords({ tickets, runs, feedback }, days),
      catchUp: catchUpOn ? (signal) => sweep.run(new Date(), { signal }) : undefined,
      pipeline: {
        store: tickets,
        runs,
        chain: parts.chain,
        notifier,
        hubspot,
        logger,
        metrics: parts.metrics,
        securityRoleId: config.notify.securityRoleId,
        leaseMs: config.leaseMs,
      },
    }),
  });
  const drainTimeoutMs = options.drainTimeoutMs ?? 25_000;
  releasers.add('queue', () => withTimeout(queue.stop(), drainTimeoutMs, 'queue drain'));
  const mover = startQueueMover({ pool: database.pool, logger, perPortalPerMinute: config.portalTicketsPerMinute });
  releasers.add('queue-mover', () => mover.stop());
  const sweeper = startLeaseSweeper({ pool: database.pool, tickets, leaseMs: config.leaseMs, logger });
  releasers.add('lease-sweeper', async () => sweeper.stop());
  return { queue, notifier };
}

/**
 * The HTTP server: operator endpoints, the webhook on its own pool, the dashboard, listening. `close` stops taking
 * requests, waits for those in flight, then sends the last wake-up NOTIFY and closes intake's pool. `workers` is
 * null in a process without workers, and returns undefined while they are starting.
 */
async function startServer(
  parts: Parts,
  lifecycle: Lifecycle,
  workers: (() => Workers | undefined) | null,
): Promise<{ url: string; close: () => Promise<void> }> {
  const { config, logger, database, tickets, runs, feedback } = parts;
  const webhookToken = await developmentWebhookToken(config, logger);
  const intakeDatabase = createIntakeDatabase(database.url);
  const intakeQueue = createIntakeQueue(intakeDatabase.pool);
  const closeIntake = async () => {
    await intakeQueue.flush();
    await intakeDatabase.close();
  };
  const app = await buildApp({
    config,
    logger,
    metrics: parts.metrics,
    lifecycle,
    health: createHealthReporter({
      version: VERSION,
      startedAt: Date.now(),
      database: () => tickets.checkIdempotencyHealth(),
      queueCounts: () => getQueueCounts(database.pool, tickets),
      providers: () => providerHealth(parts.chain),
      queueRunner: workers
        ? () => {
            const queue = workers()?.queue;
            return queue
              ? { state: queue.state(), lastError: queue.lastError() }
              : { state: 'starting', lastError: null };
          }
        : undefined,
      discord: workers
        ? () => {
            const notifier = workers()?.notifier;
            return notifier ? notifierHealth(notifier) : { status: 'unknown' };
          }
        : undefined,
      warnings: () => tickets.failureWarnings(),
      ...(parts.cloudBudget ? { cloudBudget: parts.cloudBudget.status } : {}),
    }),
    databaseReachable: async () => (await tickets.checkIdempotencyHealth()).healthy,
    queueRunning: workers ? () => workers()?.queue.state() === 'running' : undefined,
    intake: { auth: { ...config.webhook, token: webhookToken }, queue: intakeQueue },
    dashboard: { tickets, runs, feedback },
  });
  const close = async () => {
    try {
      await app.close();
    } finally {
      await closeIntake();
    }
  };
  try {
    return { url: await app.listen({ host: config.host, port: config.port }), close };
  } catch (error) {
    await close().catch(() => {});
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new OperatorError(
        `Port ${config.port} on ${config.host} is in use (PORT). Stop the process that holds it, or set PORT to a free one.`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * In development without any webhook authentication configured, a token is generated once, kept in
 * `$DATA_DIR/webhook-token` (mode 0600) and reused; only the file's path is printed, never the token itself.
 */
async function developmentWebhookToken(config: Config, logger: Logger): Promise<string | null> {
  const file = developmentTokenFile(config);
  if (!file) return config.webhook.token;
  await mkdir(config.dataDir, { recursive: true });
  const token = await readOrCreateSecret(file, 24);
  if (token.created) {
    logger.warn({ file }, 'HUBSPOT_WEBHOOK_TOKEN is unset: generated a development token (send it as X-Webhook-Token)');
  }
  return token.value;
}

async function withTimeout(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
