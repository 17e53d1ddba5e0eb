// Throughput and latency of the durable webhook route (buildApp + webhookRoutes + createIntakeQueue: every 200 is a
// committed job) next to a bare Fastify route answering the same JSON without a database, in the same run: 50
// connections, a unique ticket per request, warm-up first. A third server runs the same route with a queue that only
// answers (no database, not durable): the ceiling any durable design could reach on this machine. Each server runs
// in a child process so that autocannon does not share its event loop; all run the same way. Afterwards the number
// of jobs must equal the 2xx count.
// Run: npm run bench -- intake   (BENCH_SECONDS, BENCH_CONNECTIONS; BENCH_DATABASE_URL for an external server;
// BENCH_IN_FLIGHT overrides the intake queue's maxInFlight; BENCH_CPU_PROF=<dir> writes a CPU profile of each server).
// CPU per request is read from /proc: the server's process, PostgreSQL's (the embedded server's processes are this
// script's descendants; an external server's are not counted) and this process, which runs autocannon.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { buildApp, createLifecycle } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createDatabase } from '../src/db/client.ts';
import { createTicketStore } from '../src/db/ticket-store.ts';
import { createIntakeQueue, type IntakeQueue } from '../src/intake/enqueue.ts';
import { webhookRoutes } from '../src/intake/webhook-route.ts';
import { createHealthReporter } from '../src/observability/health.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { openBenchDatabase, processTreeCpu } from './lib.ts';

const TOKEN = 'bench-webhook-token-0123456789';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Math.min(3, SECONDS);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** The pool a `WORKER_CONCURRENCY=0` intake process gets from main.ts (workerConcurrency + 10). */
const POOL_MAX = 10;

// --- child: one server, printing its URL, until SIGTERM ---------------------------------------------------------

type Kind = 'durable' | 'bare' | 'memory';

async function serve(kind: Kind): Promise<void> {
  let close: () => Promise<void>;
  let url: string;
  let answered2xx = 0;
  // Requests that reached the server: at autocannon's deadline some are still in flight and its client hangs up, so
  // their job may be committed without the 2xx ever being sent.
  let started = 0;
  const count = (status: number) => {
    if (status >= 200 && status < 300) answered2xx++;
  };
  if (kind === 'bare') {
    const app = Fastify({ logger: false });
    app.addHook('onResponse', async (_request, reply) => count(reply.statusCode));
    app.post('/webhook/hubspot', async (request) => {
      const body = request.body as { ticket_id?: unknown };
      return { status: 'accepted', ticket_id: String(body.ticket_id), request_id: request.id };
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
  } else {
    const database = createDatabase(process.env.BENCH_INTAKE_DATABASE_URL!, { max: POOL_MAX });
    const logger = createLogger({ level: 'warn' });
    const metrics = createMetrics();
    const lifecycle = createLifecycle();
    const store = createTicketStore(database.db);
    const app = await buildApp({
      config: loadConfig({}),
      logger,
      metrics,
      lifecycle,
      health: createHealthReporter({ version: 'bench', startedAt: Date.now(), store, pool: database.pool }),
      databaseReachable: async () => (await store.checkIdempotencyHealth()).healthy,
      plugins: [
        webhookRoutes({
          auth: { token: TOKEN, clientSecret: null, publicUrl: null },
          queue:
            kind === 'memory'
              ? answeringQueue
              : createIntakeQueue(database.pool, {
                  ...(process.env.BENCH_IN_FLIGHT ? { maxInFlight: Number(process.env.BENCH_IN_FLIGHT) } : {}),
                }),
          logger,
          metrics,
          lifecycle,
        }),
      ],
    });
    app.addHook('onResponse', async (_request, reply) => count(reply.statusCode));
    app.addHook('onRequest', (_request, _reply, done) => {
      started++;
      done();
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    close = async () => {
      await app.close();
      await database.close();
    };
  }
  console.log(JSON.stringify({ url }));
  process.once('SIGTERM', () => {
    // After close() every in-flight request has been answered, so this count is final.
    close().then(() => {
      console.log(JSON.stringify({ answered2xx, started }));
      process.exit(0);
    });
  });
}

/** The queue of the `memory` server: accepts every ticket at once and keeps nothing. */
const answeringQueue: IntakeQueue = {
  enqueue: async (payloads) =>
    payloads.map((payload) => ({ ticketId: payload.ticket_id, status: 'accepted', alreadyQueued: false })),
};

// --- parent: start each server, load it, compare ------------------------------------------------------------------

interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  latency: { p50: number; p99: number };
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships CommonJS without types.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Server {
  child: ChildProcess;
  url: string;
  /** Stops the server (SIGTERM) and returns how many 2xx answers it sent and how many requests reached it. */
  stop(): Promise<{ answered2xx: number; started: number }>;
}

async function startServer(kind: Kind, databaseUrl: string): Promise<Server> {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script, '--serve', kind], {
    env: { ...process.env, BENCH_INTAKE_DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines: Record<string, unknown>[] = [];
  let onLine: () => void = () => {};
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    onLine();
  });
  const url = await new Promise<string>((resolve, reject) => {
    onLine = () => {
      const found = lines.find((line) => typeof line.url === 'string');
      if (found) resolve(String(found.url));
    };
    exited.then(() => reject(new Error(`${kind} server exited before listening`)));
  });
  return {
    child,
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      const report = lines.find((line) => typeof line.answered2xx === 'number');
      if (!report) throw new Error(`${kind} server exited without reporting its answers`);
      return { answered2xx: report.answered2xx as number, started: Number(report.started ?? 0) };
    },
  };
}

let nextTicket = 1;
async function load(url: string, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/webhook/hubspot',
        headers: { 'content-type': 'application/json', 'x-webhook-token': TOKEN },
        // A new ticket for every request, so each 200 is a new job, not an already-queued answer.
        setupRequest: (request: AutocannonRequest) => {
          const id = nextTicket++;
          request.body = JSON.stringify({
            ticket_id: `b-${id}`,
            portal_id: '62515',
            subject: `Benchmark ticket ${id}`,
            content: 'The export to CSV times out for large accounts. <b>Urgent</b> for our finance team.',
            email: 'bench@example.com',
            customer_tier: 'Enterprise',
          });
          return request;
        },
      },
    ],
  });
}

async function measure(kind: Kind, databaseUrl: string) {
  const server = await startServer(kind, databaseUrl);
  let stopped = false;
  try {
    const warm = await load(server.url, WARMUP_SECONDS);
    const before = cpuSnapshot(server.child.pid!);
    const run = await load(server.url, SECONDS);
    const cpu = cpuSnapshot(server.child.pid!).since(before, run['2xx']);
    const counts = await server.stop();
    stopped = true;
    return { kind, warm, run, rps: run['2xx'] / run.duration, cpu, ...counts };
  } finally {
    if (!stopped) server.child.kill('SIGKILL');
  }
}

/** CPU used by the server process, by PostgreSQL (the bench's other child processes) and by autocannon (this process). */
interface CpuSeconds {
  server: number;
  postgres: number;
  autocannon: number;
}
/** Microseconds of CPU per accepted request, per process; null without /proc. */
type CpuPerRequest = (CpuSeconds & { total: number }) | null;

function cpuSnapshot(serverPid: number) {
  const tree = processTreeCpu(process.pid);
  const own = process.cpuUsage();
  const seconds = (pids: Iterable<number>) => [...pids].reduce((sum, pid) => sum + (tree?.get(pid)?.seconds ?? 0), 0);
  const serverTree = new Set<number>();
  if (tree) {
    for (const [pid, info] of tree) if (pid === serverPid || serverTree.has(info.ppid)) serverTree.add(pid);
    // A second pass catches grandchildren listed before their parent.
    for (const [pid, info] of tree) if (serverTree.has(info.ppid)) serverTree.add(pid);
  }
  const snapshot: CpuSeconds = {
    server: seconds(serverTree),
    postgres: tree ? seconds([...tree.keys()].filter((pid) => pid !== process.pid && !serverTree.has(pid))) : 0,
    autocannon: (own.user + own.system) / 1e6,
  };
  return {
    ...snapshot,
    since(earlier: CpuSeconds, requests: number): CpuPerRequest {
      if (!tree || requests === 0) return null;
      const per = (key: keyof CpuSeconds) => ((snapshot[key] - earlier[key]) * 1e6) / requests;
      const server = per('server');
      const postgres = per('postgres');
      const autocannon = per('autocannon');
      return { server, postgres, autocannon, total: server + postgres + autocannon };
    },
  };
}

async function main(): Promise<void> {
  const database = await openBenchDatabase(2);
  try {
    const bare = await measure('bare', database.url);
    const memory = await measure('memory', database.url);
    const durable = await measure('durable', database.url);
    const { rows } = await database.pool.query<{ n: string }>(
      "select count(*) as n from graphile_worker.jobs where task_identifier = 'triage-ticket'",
    );
    const jobs = Number(rows[0]!.n);
    // autocannon stops counting at its deadline with requests still in flight; the server's own count is exact.
    const received = durable.warm['2xx'] + durable.run['2xx'];

    const ratio = durable.rps / bare.rps;
    const row = (name: string, r: typeof bare) =>
      `| ${name} | ${r.rps.toFixed(0)} | ${r.run.latency.p50} ms | ${r.run.latency.p99} ms | ${r.run['2xx']} | ` +
      `${r.run.non2xx + r.run.errors + r.run.timeouts} |`;
    console.log(
      `Webhook intake, ${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP_SECONDS} s warm-up, unique ticket ` +
        `per request; server in a child process (pool max ${POOL_MAX}, log level warn), autocannon in the parent; ` +
        `${database.label}, Node ${process.version}, ${(await import('node:os')).availableParallelism()} CPUs\n`,
    );
    console.log('| route | accepted req/s | p50 | p99 | 2xx | non-2xx + errors |');
    console.log('|---|---|---|---|---|---|');
    console.log(row('bare Fastify (no database)', bare));
    console.log(row('same route, queue in memory (not durable)', memory));
    console.log(row('durable /webhook/hubspot', durable));
    console.log('');
    // Where the CPU went during the measured run: all three processes share the machine's cores.
    const us = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(1)} µs`);
    console.log('| CPU per accepted request (measured run) | server | PostgreSQL | autocannon | total |');
    console.log('|---|---|---|---|---|');
    for (const [name, r] of [
      ['bare Fastify', bare],
      ['route, queue in memory', memory],
      ['durable', durable],
    ] as const) {
      const cpu = r.cpu;
      console.log(
        `| ${name} | ${us(cpu?.server)} | ${us(cpu?.postgres)} | ${us(cpu?.autocannon)} | ${us(cpu?.total)} |`,
      );
    }
    console.log('');
    const throughputOk = ratio >= 0.35;
    const p99Ok = durable.run.latency.p99 < 50;
    // Every 2xx has its job; a job without a 2xx can only belong to a request still in flight when autocannon
    // stopped (at most one per connection per run), and no job appears without a request.
    const jobsOk =
      received <= jobs &&
      durable.answered2xx <= jobs &&
      jobs <= durable.started &&
      jobs - durable.answered2xx <= 2 * CONNECTIONS;
    console.log('| goal | measured | holds |');
    console.log('|---|---|---|');
    console.log(
      `| durable ≥ 35 % of bare throughput | ${(ratio * 100).toFixed(1)} % | ${throughputOk ? 'yes' : 'NO'} |`,
    );
    console.log(`| durable p99 < 50 ms | ${durable.run.latency.p99} ms | ${p99Ok ? 'yes' : 'NO'} |`);
    console.log(
      `| (context) route in memory, % of bare | ${((memory.rps / bare.rps) * 100).toFixed(1)} % | ceiling, no goal |`,
    );
    console.log(
      `| (context) durable, % of the route in memory | ${((durable.rps / memory.rps) * 100).toFixed(1)} % | ` +
        `the cost of the commit, no goal |`,
    );
    console.log(
      `| every 2xx has its job (warm-up + run) | ${jobs} jobs; ${durable.answered2xx} 2xx sent by the server, ` +
        `${received} received by autocannon before its deadline, ${durable.started} requests reached the server ` +
        `| ${jobsOk ? 'yes' : 'NO'} |`,
    );
    if (!jobsOk) process.exitCode = 1;
  } finally {
    await database.release();
  }
}

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex !== -1)
  await serve((['bare', 'memory'] as const).find((k) => k === process.argv[serveIndex + 1]) ?? 'durable');
else await main();
