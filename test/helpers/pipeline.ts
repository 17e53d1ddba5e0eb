// End-to-end harness for the worker pipeline: the fake servers (Ollama, OpenAI-compatible, Discord, HubSpot), the real
// service started as a subprocess (`serve`) with its environment pointing at them, and helpers to post deliveries and
// wait (with deadlines, never sleeps) for Discord messages and database states.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type pg from 'pg';
import { findFreePort } from '../../src/db/embedded.ts';
import { type RecordedRequest as DiscordRequest, type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeOllama, startFakeOllama } from '../fakes/ollama.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { cleanEnv, jsonLine, type ServiceProcess, spawnService } from './process.ts';

export const WEBHOOK_TOKEN = 'pipeline-e2e-token-0123456789';
export const PORTAL_ID = 62515;

export interface RunningService {
  url: string;
  proc: ServiceProcess;
  /** SIGKILLs the process group and removes its data directory. */
  kill(): void;
}

export interface Pipeline {
  tdb: TestDatabase;
  ollama: FakeOllama;
  discord: FakeDiscord;
  /** Services the file started; each is killed after the file's tests. */
  services: RunningService[];
  /**
   * Starts `triage serve` on `database` (default `tdb`) with the fake Ollama and Discord as its LLM and webhook and
   * `env` on top, and kills it after the file.
   */
  start(env?: Record<string, string>, database?: TestDatabase): Promise<RunningService>;
  /** Another database for this file (e.g. a second service that must not take the first one's jobs); dropped after. */
  database(): Promise<TestDatabase>;
  /** Closes `resource` (a further fake, a proxy) after the file, before the databases are dropped; returns it. */
  closeAfter<T extends { close(): Promise<void> }>(resource: T): T;
}

/**
 * The set-up of every pipeline e2e file: a fresh database, a fake Ollama and a fake Discord made before its tests
 * (read the fields inside tests, not at load time), then `ready` (start services, script the fakes), and after its
 * tests every service killed, every fake closed and every database dropped.
 */
export function usePipeline(ready?: (pipeline: Pipeline) => void | Promise<void>): Pipeline {
  const closers: (() => Promise<void>)[] = [];
  const databases: TestDatabase[] = [];
  // tdb, ollama and discord are set in `before`.
  const pipeline = {
    services: [] as RunningService[],
    async start(env = {}, database = pipeline.tdb) {
      const service = await startService(database.url, {
        LOCAL_LLM_URL: pipeline.ollama.url,
        DISCORD_WEBHOOK_URL: pipeline.discord.webhook.url,
        ...env,
      });
      pipeline.services.push(service);
      return service;
    },
    async database() {
      const database = await createTestDatabase();
      databases.push(database);
      return database;
    },
    closeAfter(resource) {
      closers.push(() => resource.close());
      return resource;
    },
  } satisfies Omit<Pipeline, 'tdb' | 'ollama' | 'discord'> as Pipeline;
  before(async () => {
    const [tdb, ollama, discord] = await Promise.all([createTestDatabase(), startFakeOllama(), startFakeDiscord()]);
    databases.push(tdb);
    closers.push(
      () => ollama.close(),
      () => discord.close(),
    );
    Object.assign(pipeline, { tdb, ollama, discord });
    await ready?.(pipeline);
  });
  after(async () => {
    for (const service of pipeline.services) service.kill();
    await Promise.all(closers.map((close) => close()));
    await Promise.all(databases.map((database) => database.drop()));
  });
  return pipeline;
}

/**
 * Starts `triage serve` on port 0 against `databaseUrl`, with `env` on top of a quiet, deterministic base, and waits
 * for its "service started" line. Pass LOCAL_LLM_URL, DISCORD_WEBHOOK_URL etc. in `env`.
 */
export async function startService(databaseUrl: string, env: Record<string, string>): Promise<RunningService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'triage-pipeline-'));
  const proc = spawnService(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'serve'],
    cleanEnv({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      HUBSPOT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      TRIAGE_PROVIDERS: 'local,rules',
      LOCAL_LLM_TIMEOUT_MS: '10000',
      ...env,
    }),
  );
  const kill = () => {
    proc.killGroup();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const line = await proc.waitForLine((l) => jsonLine(l)?.msg === 'service started', 60_000);
    return { url: String(jsonLine(line)?.url), proc, kill };
  } catch (error) {
    kill();
    throw error;
  }
}

/** pino lines of a service with the given msg. */
export function logRecords(service: RunningService, msg: string): Record<string, unknown>[] {
  return service.proc.lines.map(jsonLine).filter((r): r is Record<string, unknown> => r?.msg === msg);
}

/** A delivery in the spec format (CONTRACTS §1.2 shape 1). */
export function specDelivery(
  id: string,
  options: { subject?: string; content?: string; tier?: string; contact?: Record<string, string> } = {},
) {
  return {
    objectId: Number(id.replace(/\D/g, '')) || 1,
    subscriptionType: 'ticket.creation',
    portalId: PORTAL_ID,
    occurredAt: Date.now(),
    properties: {
      hs_ticket_id: id,
      subject: options.subject ?? `Subject of ${id}`,
      content: options.content ?? `Body of ticket ${id}: the export button does nothing.`,
    },
    associatedContacts: [
      options.contact ?? {
        id: '901',
        email: 'dana@example.com',
        firstname: 'Dana',
        lastname: 'Smith',
        company: 'Acme',
      },
    ],
    customProperties: { customer_tier: options.tier ?? 'Enterprise', product_area: 'exports' },
  };
}

/** A Webhooks API batch (CONTRACTS §1.2 shape 4) announcing the creation of each ticket id; no content. */
export function creationEvents(ids: string[]) {
  return ids.map((id, i) => ({
    eventId: 1000 + i,
    subscriptionId: 77,
    portalId: PORTAL_ID,
    appId: 4242,
    occurredAt: Date.now(),
    subscriptionType: 'ticket.creation',
    attemptNumber: 0,
    objectId: Number(id),
    changeSource: 'CRM_UI',
  }));
}

export interface Delivered {
  status: number;
  body: Record<string, unknown>;
}

export async function postDelivery(baseUrl: string, body: unknown): Promise<Delivered> {
  const response = await fetch(`${baseUrl}/webhook/hubspot`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-token': WEBHOOK_TOKEN },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed };
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined/false, or fails naming `what`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not reached within ${options.timeoutMs ?? 30_000} ms${last ? ` (${last})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** Resolves or fails naming `what` after `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface TicketRow {
  status: string;
  provider: string | null;
  success: boolean | null;
  attempts: number;
  discord_message_id: string | null;
  last_error: string | null;
  claimed_by: string | null;
}

export async function ticketRow(pool: pg.Pool, ticketId: string): Promise<TicketRow | undefined> {
  const { rows } = await pool.query<TicketRow>(
    `select status, provider, success, attempts, discord_message_id, last_error, claimed_by
       from processed_tickets where ticket_id = $1`,
    [ticketId],
  );
  return rows[0];
}

/** Waits until the ticket's processed_tickets row has `status`, and returns it. */
export function waitForTicket(pool: pg.Pool, ticketId: string, status: string, timeoutMs = 30_000) {
  return waitUntil(
    `ticket ${ticketId} ${status}`,
    async () => {
      const row = await ticketRow(pool, ticketId);
      return row?.status === status ? row : undefined;
    },
    { timeoutMs },
  );
}

export interface RunRow {
  status: string;
  provider: string | null;
  model: string | null;
  prompt_version: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  timings: {
    queueWaitMs: number | null;
    enrichmentMs: number | null;
    providers: { provider: string; outcome: string; latencyMs: number }[];
    notifyMs: number | null;
    totalMs: number;
  };
  error_class: string | null;
  error_message: string | null;
  fallback_reasons: { provider: string; reason: string }[];
  discord_message_id: string | null;
  attempt: number;
}

export async function runsFor(pool: pg.Pool, ticketId: string): Promise<RunRow[]> {
  const { rows } = await pool.query<RunRow>('select * from triage_runs where ticket_id = $1 order by created_at', [
    ticketId,
  ]);
  return rows;
}

/** Triage jobs still in the queue (waiting, running or scheduled for a retry). */
export async function pendingJobs(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    "select count(*)::int as n from graphile_worker.jobs where task_identifier = 'triage-ticket'",
  );
  return rows[0]?.n ?? 0;
}

export function waitForEmptyQueue(pool: pg.Pool, timeoutMs = 30_000) {
  return waitUntil('empty triage queue', async () => (await pendingJobs(pool)) === 0, { timeoutMs });
}

interface DiscordPayload {
  content?: string;
  embeds?: {
    title?: string;
    description?: string;
    url?: string;
    color?: number;
    fields?: { name: string; value: string; inline?: boolean }[];
    footer?: { text: string };
    timestamp?: string;
  }[];
  allowed_mentions?: { parse?: string[]; roles?: string[]; users?: string[] };
}

/** The payload a recorded Discord request carried. */
export const payloadOf = (request: DiscordRequest) => request.json as DiscordPayload;

/** The ticket id in a message's embed title ("… Ticket #{id}: …"), or null. */
export function ticketIdOf(request: DiscordRequest): string | null {
  return /Ticket #([^:]+):/.exec(payloadOf(request).embeds?.[0]?.title ?? '')?.[1] ?? null;
}

/** Every request the fake Discord received for one ticket. */
export function requestsFor(discord: FakeDiscord, ticketId: string): DiscordRequest[] {
  return discord.requests.filter((r) => ticketIdOf(r) === ticketId);
}

/** Waits until the fake Discord has received at least n requests for the ticket. */
export function waitForMessages(discord: FakeDiscord, ticketId: string, n = 1, timeoutMs = 30_000) {
  return waitUntil(
    `${n} Discord request(s) for ticket ${ticketId}`,
    () => (requestsFor(discord, ticketId).length >= n ? requestsFor(discord, ticketId) : undefined),
    { timeoutMs, intervalMs: 20 },
  );
}

/** A URL on 127.0.0.1 where nothing listens (a port just released). */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await findFreePort()}`;
}
