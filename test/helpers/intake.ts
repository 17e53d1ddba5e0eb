// The webhook intake under test: buildApp + webhookRoutes + the durable queue against a test database, listening on
// 127.0.0.1 port 0 (useIntakeApp: the same for a whole test file), plus request signing (token, HubSpot v1/v2/v3)
// and readers for the queued job rows.
import { createHash, createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createFeedbackStore } from '../../src/db/feedback-store.ts';
import { createRunStore } from '../../src/db/run-store.ts';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { type TriageTicketPayload, triageJobKey } from '../../src/domain/job.ts';
import { createLifecycle, type Lifecycle } from '../../src/http/lifecycle.ts';
import type { WebhookAuthConfig } from '../../src/intake/auth.ts';
import { createIntakeQueue, type IntakeQueue } from '../../src/intake/enqueue.ts';
import type { WebhookRouteDeps } from '../../src/intake/webhook-route.ts';
import { createHealthReporter } from '../../src/observability/health.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { moveQueuedTickets } from '../../src/queue/mover.ts';
import { getQueueCounts } from '../../src/queue/stats.ts';
import { TRIAGE_MAX_ATTEMPTS, TRIAGE_TICKET } from '../../src/queue/tasks.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

export const TOKEN = 'intake-test-token-0123456789';
export const CLIENT_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
export const PUBLIC_URL = 'https://triage.example.com/hooks';
export const WEBHOOK_PATH = '/webhook/hubspot';

export interface IntakeAppOptions {
  auth?: Partial<WebhookAuthConfig>;
  /** Replaces the durable queue over the test database (e.g. one whose store is unreachable). */
  queue?: IntakeQueue;
  logger?: Logger;
  unauthenticatedLimit?: WebhookRouteDeps['unauthenticatedLimit'];
  now?: () => number;
  /** The configuration the app sees (default: the development defaults). */
  config?: Config;
  /** Serve the dashboard over the test database too. */
  dashboard?: boolean;
}

export interface IntakeApp {
  app: FastifyInstance;
  lifecycle: Lifecycle;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/** Builds the app with the webhook route over `tdb` and listens on an ephemeral loopback port. */
export async function startIntakeApp(tdb: TestDatabase, options: IntakeAppOptions = {}): Promise<IntakeApp> {
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const metrics = createMetrics({ defaultMetrics: false });
  const lifecycle = createLifecycle();
  const store = createTicketStore(tdb.db);
  const auth: WebhookAuthConfig = { token: TOKEN, clientSecret: null, publicUrl: null, ...options.auth };
  const app = await buildApp({
    config: options.config ?? loadConfig({}),
    logger,
    metrics,
    lifecycle,
    health: createHealthReporter({
      version: 'test',
      startedAt: Date.now(),
      database: () => store.checkIdempotencyHealth(),
      queueCounts: () => getQueueCounts(tdb.pool, store),
    }),
    databaseReachable: async () => (await store.checkIdempotencyHealth()).healthy,
    intake: {
      auth,
      queue: options.queue ?? createIntakeQueue(tdb.pool),
      ...(options.now ? { now: options.now } : {}),
      ...(options.unauthenticatedLimit ? { unauthenticatedLimit: options.unauthenticatedLimit } : {}),
    },
    ...(options.dashboard
      ? { dashboard: { tickets: store, runs: createRunStore(tdb.db), feedback: createFeedbackStore(tdb.db) } }
      : {}),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, lifecycle, url, close: () => app.close() };
}

export interface UsedIntake {
  tdb: TestDatabase;
  intake: IntakeApp;
  /** Closes `resource` after the file, after the app and before the database is dropped; returns it. */
  closeAfter<T extends { close(): Promise<void> }>(resource: T): T;
}

/**
 * The set-up of the webhook integration files: a fresh database and the intake app over it before the file's tests
 * (`options` may be built from the database), `ready` after that, and after the tests the app closed, then anything
 * given to `closeAfter`, then the database dropped. Read the fields inside tests, not at load time.
 */
export function useIntakeApp(
  options: IntakeAppOptions | ((used: Omit<UsedIntake, 'intake'>) => IntakeAppOptions) = {},
  ready?: (used: UsedIntake) => unknown,
  database: { max?: number } = {},
): UsedIntake {
  const closers: (() => Promise<void>)[] = [];
  // tdb and intake are set in `before`.
  const used = {
    closeAfter(resource) {
      closers.push(() => resource.close());
      return resource;
    },
  } satisfies Omit<UsedIntake, 'tdb' | 'intake'> as UsedIntake;
  before(async () => {
    used.tdb = await createTestDatabase(database);
    used.intake = await startIntakeApp(used.tdb, typeof options === 'function' ? options(used) : options);
    await ready?.(used);
  });
  after(async () => {
    await used.intake?.close();
    for (const close of closers) await close();
    await used.tdb?.drop();
  });
  return used;
}

export interface PostOptions {
  headers?: Record<string, string>;
  /** Send X-Webhook-Token (default true). */
  token?: boolean;
  /** Path and query, default /webhook/hubspot. */
  path?: string;
}

export interface PostResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** POSTs JSON (an object is serialized; a string or Buffer is sent as is) over a real socket. */
export async function postWebhook(base: string, body: unknown, options: PostOptions = {}): Promise<PostResult> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token !== false) headers['x-webhook-token'] = TOKEN;
  const response = await fetch(`${base}${options.path ?? WEBHOOK_PATH}`, { method: 'POST', headers, body: raw });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // left empty: the caller asserts on text
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** HubSpot v1: hex(SHA-256(secret + body)). */
export function signV1(body: string | Buffer, secret = CLIENT_SECRET): Record<string, string> {
  const signature = createHash('sha256').update(secret).update(body).digest('hex');
  return { 'x-hubspot-signature': signature, 'x-hubspot-signature-version': 'v1' };
}

/** HubSpot v2: hex(SHA-256(secret + METHOD + URI + body)). */
export function signV2(uri: string, body: string | Buffer, secret = CLIENT_SECRET): Record<string, string> {
  const signature = createHash('sha256').update(secret).update('POST').update(uri).update(body).digest('hex');
  return { 'x-hubspot-signature': signature, 'x-hubspot-signature-version': 'v2' };
}

/** HubSpot v3: base64(HMAC-SHA256(secret, METHOD + URI + body + timestamp)). */
export function signV3(
  uri: string,
  body: string | Buffer,
  timestamp: number,
  secret = CLIENT_SECRET,
): Record<string, string> {
  const signature = createHmac('sha256', secret)
    .update('POST')
    .update(uri)
    .update(body)
    .update(String(timestamp))
    .digest('base64');
  return { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) };
}

export interface JobRow {
  key: string | null;
  task_identifier: string;
  payload: TriageTicketPayload;
  max_attempts: number;
}

// What intake committed: each queued ticket's job as it waits in processed_tickets.pending_job for a worker process
// to add it (src/queue/mover.ts). Tests that need the graphile-worker job itself run the mover (moveStaged).
export async function listJobs(pool: pg.Pool): Promise<JobRow[]> {
  const { rows } = await pool.query<{ ticket_id: string; portal_id: string | null; payload: TriageTicketPayload }>(
    `select ticket_id, portal_id, pending_job as payload from processed_tickets
      where pending_job is not null order by created_at, ticket_id`,
  );
  return rows.map((row) => ({
    key: triageJobKey(row.portal_id, row.ticket_id),
    task_identifier: TRIAGE_TICKET,
    payload: row.payload,
    max_attempts: TRIAGE_MAX_ATTEMPTS,
  }));
}

export async function jobByKey(pool: pg.Pool, key: string): Promise<JobRow | undefined> {
  return (await listJobs(pool)).find((job) => job.key === key);
}

/** Adds the jobs of every queued ticket, as a worker process does; returns how many. */
export async function moveStaged(pool: pg.Pool): Promise<number> {
  let total = 0;
  for (;;) {
    const moved = await moveQueuedTickets(pool, { perPortalPerMinute: 0 });
    total += moved;
    if (moved === 0) return total;
  }
}

/** A pino destination that keeps every line, parsed. */
export function createLogCapture(): { stream: Writable; lines: string[]; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line !== ''));
      callback();
    },
  });
  return { stream, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** A valid delivery in the spec format (CONTRACTS §1.2 shape 1) for ticket `id`. */
export function specTicket(id: string, overrides: Record<string, unknown> = {}) {
  return {
    objectId: Number(id.replace(/\D/g, '')) || 1,
    subscriptionType: 'ticket.creation',
    portalId: 62515,
    occurredAt: Date.now(),
    properties: { hs_ticket_id: id, subject: `Subject of ${id}`, content: `Body of ${id}` },
    ...overrides,
  };
}

/** Resolves within `ms` or fails naming `what`; for waits on events that must not hang a test. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
