// One fault-suite test file's rig: its own stoppable PostgreSQL (before/after the file), and per scenario a fresh
// database, fresh fake servers (Ollama answering a valid triage, Discord behind a fault gate, HubSpot), the service
// processes it starts, and clean-up that kills every process group and closes every server even after a failure.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { findFreePort } from '../../../src/db/embedded.ts';
import { type FakeDiscord, startFakeDiscord } from '../../fakes/discord.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../../fakes/hubspot.ts';
import { type FakeOllama, ollamaChat, startFakeOllama } from '../../fakes/ollama.ts';
import { validOutput } from '../../fixtures/triage.ts';
import { type DiscordProxy, startDiscordProxy } from '../../helpers/discord-proxy.ts';
import { WEBHOOK_TOKEN } from '../../helpers/pipeline.ts';
import { type FaultPostgres, startFaultPostgres } from './postgres.ts';
import { type Role, type ServiceHandle, startRole } from './services.ts';

export const HUBSPOT_ACCESS_TOKEN = 'pat-faults-0123456789';
/** Short LLM timeouts and a fast lease keep every scenario quick. */
export const LEASE_MS = 3000;
export const SHORT = process.env.FAULTS === 'short';

export interface Scenario {
  name: string;
  databaseUrl: string;
  pool: pg.Pool;
  pg: FaultPostgres;
  ollama: FakeOllama;
  discord: FakeDiscord;
  /** The fault gate in front of the fake Discord (fail, hold answers). */
  gate: DiscordProxy;
  hubspot: FakeHubSpot;
  /** The port every `serve` of this scenario listens on by default (restarts reuse it). */
  port: number;
  /** Every process started, killed ones included. */
  services: ServiceHandle[];
  /** The service environment: fakes, database, short timeouts; `extra` on top. */
  env(extra?: Record<string, string>): Record<string, string>;
  start(role: Role, extra?: Record<string, string>): Promise<ServiceHandle>;
  /** Every serve URL of the scenario, dead or alive: HubSpot keeps calling the address it was given. */
  serveUrls(): string[];
  close(): Promise<void>;
}

export interface Rig {
  pg: FaultPostgres;
  open(name: string): Promise<Scenario>;
}

/** The file-level rig: one PostgreSQL for the file; each scenario's leftovers are closed after it, whatever happens. */
export function useFaultRig(): Rig {
  const rig = {} as Rig;
  const open: Scenario[] = [];
  before(async () => {
    rig.pg = await startFaultPostgres();
  });
  after(async () => {
    for (const scenario of open.splice(0)) await scenario.close().catch(() => {});
    await rig.pg?.close();
  });
  rig.open = async (name) => {
    const scenario = await openScenario(rig.pg, name);
    open.push(scenario);
    return scenario;
  };
  return rig;
}

let databases = 0;

async function openScenario(server: FaultPostgres, name: string): Promise<Scenario> {
  if (!server.running()) await server.start();
  databases += 1;
  const database = `faults_${name.replace(/\W/g, '_')}_${databases}`;
  const databaseUrl = await server.createDatabase(database);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  // The scenario stops the server under this pool on purpose: an idle client's error must not end the test run.
  pool.on('error', () => {});
  const [ollama, discord, hubspot, port] = await Promise.all([
    startFakeOllama(),
    startFakeDiscord(),
    startFakeHubSpot({ accessToken: HUBSPOT_ACCESS_TOKEN }),
    findFreePort(),
  ]);
  ollama.setDefault(ollamaChat(validOutput()));
  const gate = await startDiscordProxy(discord);
  const services: ServiceHandle[] = [];
  const started = { serve: 0, worker: 0 };
  let closed = false;

  const env = (extra: Record<string, string> = {}) => ({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    HUBSPOT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    HUBSPOT_ACCESS_TOKEN,
    HUBSPOT_API_BASE_URL: hubspot.baseUrl,
    TRIAGE_PROVIDERS: 'local,rules',
    LOCAL_LLM_URL: ollama.url,
    LOCAL_LLM_TIMEOUT_MS: '1500',
    GROQ_TIMEOUT_MS: '1500',
    DISCORD_WEBHOOK_URL: gate.webhookUrl,
    TRIAGE_LEASE_MS: String(LEASE_MS),
    WORKER_CONCURRENCY: '4',
    // The stream sends far more than the per-portal pace allows; pacing is tested on its own, faults here.
    PORTAL_TICKETS_PER_MINUTE: '0',
    ...extra,
  });

  return {
    name,
    databaseUrl,
    pool,
    pg: server,
    ollama,
    discord,
    gate,
    hubspot,
    port,
    services,
    env,
    async start(role, extra) {
      started[role] += 1; // before the await: processes started together get distinct names
      const handle = await startRole(role, `${role}-${started[role]}`, env(extra));
      services.push(handle);
      return handle;
    },
    serveUrls: () => [...new Set(services.filter((s) => s.role === 'serve').map((s) => s.url!))],
    async close() {
      if (closed) return;
      closed = true;
      for (const service of services) service.dispose();
      keepLogs(name, services);
      await Promise.allSettled([ollama.close(), gate.close(), discord.close(), hubspot.close(), pool.end()]);
    },
  };
}

/** Where each scenario's service logs are written when it closes (FAULTS_LOGS, default $TMPDIR/triage-faults-logs). */
export const LOG_DIR = process.env.FAULTS_LOGS ?? join(tmpdir(), 'triage-faults-logs');

function keepLogs(scenario: string, services: ServiceHandle[]): void {
  const dir = join(LOG_DIR, scenario);
  mkdirSync(dir, { recursive: true });
  for (const service of services) {
    const text = `${service.proc.lines.join('\n')}\n--- stderr ---\n${service.proc.stderr()}`;
    writeFileSync(join(dir, `${service.name}.log`), text);
  }
}

/** A scenario test: skipped outside the short set when FAULTS=short, and never longer than `timeoutMs`. */
export function scenarioTest(
  name: string,
  options: { short: boolean; timeoutMs?: number },
  fn: () => Promise<void>,
): void {
  const skip = SHORT && !options.short ? 'not in the short set (FAULTS=short)' : false;
  test(name, { skip, timeout: options.timeoutMs ?? 150_000 }, fn);
}
