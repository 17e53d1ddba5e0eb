// Throughput and latency of the durable webhook route (buildApp + webhookRoutes + createIntakeQueue: every 200 is a
// committed job) next to a bare Fastify route answering the same JSON without a database, in the same run: 50
// connections, a unique ticket per request, warm-up first. A third server runs the same route with a queue that only
// answers (no database, not durable): the ceiling any durable design could reach on this machine. Each server runs
// in a child process so that autocannon does not share its event loop; all run the same way, and they take turns in
// rounds so that the machine's changing speed falls on all three alike; the goal's ratio comes with a 95 % interval
// from resampling the rounds. Latency percentiles are over every request of the rounds (autocannon's histograms
// merged), with the worst single round's p99 beside them. Afterwards the number of jobs must equal the 2xx count.
// Run: npm run bench -- intake   (BENCH_ROUNDS, BENCH_SECONDS per round, BENCH_CONNECTIONS; BENCH_DATABASE_URL for
// an external server; BENCH_IN_FLIGHT overrides the intake queue's maxInFlight; BENCH_CPU_PROF=<dir> writes a CPU
// profile of each server). CPU per request is read from /proc: the loaded server's process, PostgreSQL's (the
// embedded server's processes are this script's descendants; an external server's are not counted) and this
// process, which runs autocannon.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createDatabase } from '../src/db/client.ts';
import { createTicketStore } from '../src/db/ticket-store.ts';
import { createLifecycle } from '../src/http/lifecycle.ts';
import { createIntakeDatabase, createIntakeQueue, type IntakeQueue } from '../src/intake/enqueue.ts';
import { createHealthReporter } from '../src/observability/health.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { getQueueCounts } from '../src/queue/stats.ts';
import { openBenchDatabase, type ProcessCpu, readProcessCpu, subtree } from './lib.ts';

const TOKEN = 'bench-webhook-token-0123456789';
/** Seconds of load per server per round. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const WARMUP_SECONDS = Math.min(3, SECONDS);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** The pools a `WORKER_CONCURRENCY=0` serve process gets from main.ts: workerConcurrency + 10, and intake's own. */
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
    const intakeDatabase = createIntakeDatabase(process.env.BENCH_INTAKE_DATABASE_URL!);
    const logger = createLogger({ level: 'warn' });
    const metrics = createMetrics();
    const lifecycle = createLifecycle();
    const store = createTicketStore(database.db);
    const app = await buildApp({
      config: loadConfig({}),
      logger,
      metrics,
      lifecycle,
      health: createHealthReporter({
        version: 'bench',
        startedAt: Date.now(),
        database: () => store.checkIdempotencyHealth(),
        queueCounts: () => getQueueCounts(database.pool, store),
      }),
      databaseReachable: async () => (await store.checkIdempotencyHealth()).healthy,
      intake: {
        auth: { token: TOKEN, clientSecret: null, publicUrl: null },
        queue:
          kind === 'memory'
            ? answeringQueue
            : createIntakeQueue(intakeDatabase.pool, {
                ...(process.env.BENCH_IN_FLIGHT ? { maxInFlight: Number(process.env.BENCH_IN_FLIGHT) } : {}),
              }),
      },
    });
    app.addHook('onResponse', async (_request, reply) => count(reply.statusCode));
    app.addHook('onRequest', (_request, _reply, done) => {
      started++;
      done();
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    close = async () => {
      await app.close();
      await intakeDatabase.close();
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
/** A run's result before aggregation (`skipAggregateResult`): its latencies as an encoded histogram. */
type RawResult = Record<string, unknown>;
interface Autocannon {
  (options: Record<string, unknown>): Promise<RawResult>;
  /** Merges runs' histograms: percentiles over every request of all of them. */
  aggregateResult(results: RawResult[], options: Record<string, unknown>): AutocannonResult;
}
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

/** Copies, because aggregateResult adds the later runs' status counts into the first run's. */
const aggregate = (raws: RawResult[], url: string) =>
  autocannon.aggregateResult(
    raws.map((raw) => structuredClone(raw)),
    { url, connections: CONNECTIONS },
  );

let nextTicket = 1;
async function load(url: string, seconds: number): Promise<{ raw: RawResult; result: AutocannonResult }> {
  const raw = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    skipAggregateResult: true,
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
  return { raw, result: aggregate([raw], url) };
}

/** CPU used by the server under load, by PostgreSQL and by autocannon (this process), in seconds. */
interface CpuSeconds {
  server: number;
  postgres: number;
  autocannon: number;
}

interface CpuSnapshot {
  /** Seconds so far per process: the loaded server's tree and PostgreSQL's processes. */
  server: Map<number, number>;
  postgres: Map<number, number>;
  autocannon: number;
}

/**
 * CPU used so far by `serverPid` (and its children), by PostgreSQL (the embedded server's processes, children of
 * this script) and by this process. The other servers, idle meanwhile, are not counted.
 */
function cpuSnapshot(serverPid: number): CpuSnapshot | null {
  const processes = readProcessCpu();
  if (!processes) return null;
  const own = process.cpuUsage();
  const seconds = (tree: Map<number, ProcessCpu>) => new Map([...tree].map(([pid, info]) => [pid, info.seconds]));
  const postgres = [...subtree(processes, process.pid)].filter(([, info]) => info.comm.startsWith('postgres'));
  return {
    server: seconds(subtree(processes, serverPid)),
    postgres: seconds(new Map(postgres)),
    autocannon: (own.user + own.system) / 1e6,
  };
}

/** CPU spent between two snapshots by the processes alive at the second (a process started meanwhile counts whole). */
function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSeconds {
  const spent = (a: Map<number, number>, b: Map<number, number>) =>
    [...b].reduce((sum, [pid, seconds]) => sum + seconds - (a.get(pid) ?? 0), 0);
  return {
    server: spent(before.server, after.server),
    postgres: spent(before.postgres, after.postgres),
    autocannon: after.autocannon - before.autocannon,
  };
}

interface Round {
  raw: RawResult;
  result: AutocannonResult;
  cpu: CpuSeconds | null;
}

/** One server's rounds and their sums. */
class Measured {
  readonly rounds: Round[] = [];
  warm: AutocannonResult | null = null;
  counts = { answered2xx: 0, started: 0 };
  constructor(
    readonly kind: Kind,
    readonly server: Server,
  ) {}
  get accepted(): number {
    return this.rounds.reduce((sum, r) => sum + r.result['2xx'], 0);
  }
  get rps(): number {
    return this.accepted / this.rounds.reduce((sum, r) => sum + r.result.duration, 0);
  }
  get failed(): number {
    return this.rounds.reduce((sum, r) => sum + r.result.non2xx + r.result.errors + r.result.timeouts, 0);
  }
  /** p50 and p99 over every request of all rounds (their histograms merged), and the worst round's p99. */
  get latency(): { p50: number; p99: number; worstRoundP99: number } {
    const { latency } = aggregate(
      this.rounds.map((r) => r.raw),
      this.server.url,
    );
    return {
      p50: latency.p50,
      p99: latency.p99,
      worstRoundP99: Math.max(...this.rounds.map((r) => r.result.latency.p99)),
    };
  }
  /** Microseconds of CPU per accepted request over all rounds, per process; null without /proc. */
  get cpuPerRequest(): (CpuSeconds & { total: number }) | null {
    if (this.rounds.some((r) => r.cpu === null) || this.accepted === 0) return null;
    const per = (key: keyof CpuSeconds) => (this.rounds.reduce((sum, r) => sum + r.cpu![key], 0) * 1e6) / this.accepted;
    const cpu = { server: per('server'), postgres: per('postgres'), autocannon: per('autocannon') };
    return { ...cpu, total: cpu.server + cpu.postgres + cpu.autocannon };
  }
}

/**
 * How far the ratio of the sums could move with other rounds: a bootstrap over the rounds (each resample draws rounds
 * with replacement, a round's two servers together), with a fixed seed so that the same rounds print the same interval.
 */
function roundsInterval(measured: Measured, baseline: Measured): string {
  const n = measured.rounds.length;
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const ratios: number[] = [];
  for (let sample = 0; sample < 2000; sample++) {
    let accepted = 0;
    let base = 0;
    for (let k = 0; k < n; k++) {
      const i = Math.floor(next() * n);
      accepted += measured.rounds[i]!.result['2xx'];
      base += baseline.rounds[i]!.result['2xx'];
    }
    ratios.push(accepted / base);
  }
  ratios.sort((a, b) => a - b);
  const at = (q: number) => `${(ratios[Math.floor(q * (ratios.length - 1))]! * 100).toFixed(1)} %`;
  return `${at(0.025)}–${at(0.975)}`;
}

async function loadRound(measured: Measured, seconds: number): Promise<void> {
  const pid = measured.server.child.pid!;
  const before = cpuSnapshot(pid);
  const { raw, result } = await load(measured.server.url, seconds);
  const after = cpuSnapshot(pid);
  measured.rounds.push({ raw, result, cpu: before && after ? cpuBetween(before, after) : null });
}

async function main(): Promise<void> {
  const database = await openBenchDatabase(2);
  const kinds: Kind[] = ['bare', 'memory', 'durable'];
  const servers: Server[] = [];
  try {
    for (const kind of kinds) servers.push(await startServer(kind, database.url));
    const [bare, memory, durable] = kinds.map((kind, i) => new Measured(kind, servers[i]!)) as [
      Measured,
      Measured,
      Measured,
    ];
    for (const m of [bare, memory, durable]) m.warm = (await load(m.server.url, WARMUP_SECONDS)).result;
    // Round-robin, so that a change in the machine's speed during the run (large on this kind of machine) falls on
    // all three alike; each round's ratio is printed as well as the ratio of the sums.
    for (let round = 0; round < ROUNDS; round++) {
      for (const m of [bare, memory, durable]) await loadRound(m, SECONDS);
    }
    for (const m of [bare, memory, durable]) {
      m.counts = await m.server.stop();
    }
    servers.length = 0;

    const { rows } = await database.pool.query<{ n: string }>(
      // Intake-only (as a WORKER_CONCURRENCY=0 server): each ticket waits staged for a worker process's mover.
      "select count(*) as n from processed_tickets where status = 'queued' and pending_job is not null",
    );
    const jobs = Number(rows[0]!.n);
    // autocannon stops counting at its deadline with requests still in flight; the server's own count is exact.
    const received = (durable.warm?.['2xx'] ?? 0) + durable.accepted;

    const ratio = durable.rps / bare.rps;
    const row = (name: string, m: Measured) => {
      const latency = m.latency;
      return (
        `| ${name} | ${m.rps.toFixed(0)} | ${latency.p50} ms | ${latency.p99} ms | ${latency.worstRoundP99} ms | ` +
        `${m.accepted} | ${m.failed} |`
      );
    };
    console.log(
      `Webhook intake, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s per server after ${WARMUP_SECONDS} s ` +
        `warm-up, the servers taking turns; unique ticket per request; each server in a child process (pool max ` +
        `${POOL_MAX} + intake's 4, log level warn), autocannon in the parent; ${database.label}, Node ${process.version}, ` +
        `${(await import('node:os')).availableParallelism()} CPUs\n`,
    );
    console.log('| route | accepted req/s | p50 | p99 | p99 of the worst round | 2xx | non-2xx + errors |');
    console.log('|---|---|---|---|---|---|---|');
    console.log(row('bare Fastify (no database)', bare));
    console.log(row('same route, queue in memory (not durable)', memory));
    console.log(row('durable /webhook/hubspot', durable));
    console.log('');
    const perRound = (m: Measured) => m.rounds.map((r, i) => r.result['2xx'] / bare.rounds[i]!.result['2xx']);
    const percent = (values: number[]) => values.map((v) => `${(v * 100).toFixed(1)} %`).join(', ');
    console.log(`Durable, % of bare, round by round: ${percent(perRound(durable))}`);
    console.log(`Route in memory, % of bare, round by round: ${percent(perRound(memory))}`);
    const p99s = (m: Measured) => m.rounds.map((r) => `${r.result.latency.p99} ms`).join(', ');
    console.log(`p99 round by round: bare ${p99s(bare)}; in memory ${p99s(memory)}; durable ${p99s(durable)}\n`);
    // Where the CPU went: all three processes share the machine's cores.
    const us = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(1)} µs`);
    console.log('| CPU per accepted request | server | PostgreSQL | autocannon | total |');
    console.log('|---|---|---|---|---|');
    for (const [name, m] of [
      ['bare Fastify', bare],
      ['route, queue in memory', memory],
      ['durable', durable],
    ] as const) {
      const cpu = m.cpuPerRequest;
      console.log(
        `| ${name} | ${us(cpu?.server)} | ${us(cpu?.postgres)} | ${us(cpu?.autocannon)} | ${us(cpu?.total)} |`,
      );
    }
    console.log('');
    const throughputOk = ratio >= 0.35;
    const durableLatency = durable.latency;
    const p99Ok = durableLatency.p99 < 50;
    // Every 2xx has its job; a job without a 2xx can only belong to a request still in flight when autocannon
    // stopped (at most one per connection per load), and no job appears without a request.
    const loads = ROUNDS + 1;
    const jobsOk =
      received <= jobs &&
      durable.counts.answered2xx <= jobs &&
      jobs <= durable.counts.started &&
      jobs - durable.counts.answered2xx <= loads * CONNECTIONS;
    console.log('| goal | measured | holds |');
    console.log('|---|---|---|');
    console.log(
      `| durable ≥ 35 % of bare throughput | ${(ratio * 100).toFixed(1)} % (95 % interval over the rounds: ` +
        `${roundsInterval(durable, bare)}) | ${throughputOk ? 'yes' : 'NO'} |`,
    );
    console.log(
      `| durable p99 < 50 ms | ${durableLatency.p99} ms (the worst round's: ${durableLatency.worstRoundP99} ms) | ` +
        `${p99Ok ? 'yes' : 'NO'} |`,
    );
    console.log(
      `| (context) route in memory, % of bare | ${((memory.rps / bare.rps) * 100).toFixed(1)} % | ceiling, no goal |`,
    );
    console.log(
      `| (context) durable, % of the route in memory | ${((durable.rps / memory.rps) * 100).toFixed(1)} % | ` +
        `the cost of the commit, no goal |`,
    );
    console.log(
      `| every 2xx has its job (warm-up + rounds) | ${jobs} jobs; ${durable.counts.answered2xx} 2xx sent by the ` +
        `server, ${received} received by autocannon before its deadlines, ${durable.counts.started} requests ` +
        `reached the server | ${jobsOk ? 'yes' : 'NO'} |`,
    );
    if (!jobsOk) process.exitCode = 1;
  } finally {
    for (const server of servers) server.child.kill('SIGKILL');
    await database.release();
  }
}

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex !== -1)
  await serve((['bare', 'memory'] as const).find((k) => k === process.argv[serveIndex + 1]) ?? 'durable');
else await main();
