// Webhook-to-Discord benchmark of the whole pipeline: the real service runs as a subprocess (`triage serve`, exactly
// what production starts) against fake Ollama and fake Discord servers in this process. Latency = when the fake
// Discord had the message minus when the webhook POST was sent (one clock: this process's performance.now()).
//  1. own overhead: instant fakes, tickets one at a time (unloaded latency), then a burst (throughput, loaded latency);
//  2. worker parallelism: the fake LLM answers after 2 s, WORKER_CONCURRENCY 1, 4 and 16, one burst each.
// Run: npm run bench -- pipeline   (BENCH_N, BENCH_BURST, BENCH_SLOW_N to change counts; BENCH_DATABASE_URL for an
// external PostgreSQL, else an embedded one)
import { randomBytes } from 'node:crypto';
import type { RunTimings } from '../src/db/schema.ts';
import { type FakeDiscord, startFakeDiscord } from '../test/fakes/discord.ts';
import { type FakeOllama, ollamaChat, type ScriptedReply, startFakeOllama } from '../test/fakes/ollama.ts';
import { validOutput } from '../test/fixtures/triage.ts';
import { postDelivery, type RunningService, specDelivery, startService, ticketIdOf } from '../test/helpers/pipeline.ts';
import { ms, openBenchDatabase, type Summary, summarize } from './lib.ts';

const SEQUENTIAL = Number(process.env.BENCH_N ?? 200);
const BURST = Number(process.env.BENCH_BURST ?? 500);
const SLOW = Number(process.env.BENCH_SLOW_N ?? 32);
const SLOW_LLM_MS = 2000;
const IN_FLIGHT = 32;
const run = randomBytes(3).toString('hex');

const database = await openBenchDatabase(2);
const [ollama, discord] = await Promise.all([startFakeOllama(), startFakeDiscord()]);
let service: RunningService | null = null;

/** ticket id → performance.now() when its POST was sent */
const sentAt = new Map<string, number>();

async function send(id: string): Promise<void> {
  sentAt.set(id, performance.now());
  const answer = await postDelivery(service!.url, specDelivery(id));
  if (answer.status !== 200 || answer.body.status !== 'accepted') {
    throw new Error(`delivery of ${id} answered ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

/** Waits for the Discord message of each of `ids` and returns each one's webhook-to-Discord latency and the last
 * arrival. Messages for other tickets (none are expected) are ignored here and counted by `settle`. */
async function latencies(fake: FakeDiscord, ids: string[], from: number): Promise<{ samples: number[]; last: number }> {
  const wanted = new Set(ids);
  const mine = () => fake.requests.slice(from).filter((r) => wanted.has(ticketIdOf(r) ?? ''));
  while (new Set(mine().map(ticketIdOf)).size < ids.length) await fake.waitForRequests(fake.requests.length + 1);
  const first = new Map<string, (typeof fake.requests)[number]>();
  for (const r of mine()) if (!first.has(ticketIdOf(r)!)) first.set(ticketIdOf(r)!, r);
  const arrivals = [...first.values()];
  if (arrivals.some((r) => r.status !== 200)) throw new Error('Discord refused a message');
  return {
    samples: arrivals.map((r) => r.receivedAt - sentAt.get(ticketIdOf(r)!)!),
    last: Math.max(...arrivals.map((r) => r.receivedAt)),
  };
}

/** Waits until the queue is empty, then checks that every ticket sent so far got exactly one message. */
async function settle(): Promise<void> {
  for (;;) {
    const { rows } = await database.pool.query<{ n: number }>(
      "select count(*)::int as n from graphile_worker.jobs where task_identifier = 'triage-ticket'",
    );
    if (rows[0]?.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const counts = new Map<string, number>();
  for (const r of discord.requests) counts.set(ticketIdOf(r) ?? '?', (counts.get(ticketIdOf(r) ?? '?') ?? 0) + 1);
  const wrong = [...sentAt.keys()].filter((id) => counts.get(id) !== 1);
  if (wrong.length > 0 || counts.size !== sentAt.size) throw new Error(`not one message per ticket: ${wrong}`);
}

/** Stops the running service gracefully (after its queue is empty) and starts one with the given settings. */
async function restart(concurrency: number, reply: ScriptedReply): Promise<void> {
  if (service) {
    await settle();
    service.proc.child.kill('SIGTERM');
    await service.proc.waitForExit(60_000);
    service.kill();
  }
  ollama.setDefault(reply);
  service = await startService(database.url, {
    LOCAL_LLM_URL: (ollama as FakeOllama).url,
    DISCORD_WEBHOOK_URL: discord.webhook.url,
    WORKER_CONCURRENCY: String(concurrency),
    // Every bench ticket comes from one portal: the per-portal pacing (a policy, not a cost) would set the pace.
    PORTAL_TICKETS_PER_MINUTE: '0',
  });
}

/** Sends `ids` keeping at most `inFlight` POSTs open, and measures until the last message reached Discord. */
async function burst(ids: string[], inFlight: number) {
  const from = discord.requests.length;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, ids.length) }, async () => {
      while (next < ids.length) await send(ids[next++]!);
    }),
  );
  const { samples, last } = await latencies(discord, ids, from);
  return { summary: summarize(samples), perSecond: ids.length / ((last - started) / 1000) };
}

const row = (name: string, s: Summary, extra = '') =>
  `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.mean)} |${extra}`;

try {
  const instant = ollamaChat(validOutput());
  await restart(4, instant);
  // Warm-up: connections, JIT, plans.
  for (let i = 0; i < 30; i++) {
    const from = discord.requests.length;
    await send(`W-${run}-${i}`);
    await latencies(discord, [`W-${run}-${i}`], from);
  }
  const sequential: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const id = `S-${run}-${i}`;
    const from = discord.requests.length;
    await send(id);
    sequential.push(...(await latencies(discord, [id], from)).samples);
  }
  const seq = summarize(sequential);
  // Where the unloaded time goes, from the run records the worker wrote (CONTRACTS: timings per run).
  const { rows: timingRows } = await database.pool.query<{ timings: RunTimings }>(
    'select timings from triage_runs where ticket_id like $1',
    [`S-${run}-%`],
  );
  const parts = {
    'queue wait (webhook received → worker started)': timingRows.map((r) => r.timings.queueWaitMs ?? 0),
    'LLM call (fake, instant)': timingRows.map((r) => r.timings.providers[0]?.latencyMs ?? 0),
    'Discord POST (fake)': timingRows.map((r) => r.timings.notifyMs ?? 0),
    'worker total (claim → marked notified)': timingRows.map((r) => r.timings.totalMs),
  };
  const loaded = await burst(
    Array.from({ length: BURST }, (_, i) => `B-${run}-${i}`),
    IN_FLIGHT,
  );

  const slow: { concurrency: number; perSecond: number; summary: Summary }[] = [];
  for (const concurrency of [1, 4, 16]) {
    await restart(concurrency, { ...(ollamaChat(validOutput()) as object), delayMs: SLOW_LLM_MS });
    const ids = Array.from({ length: SLOW }, (_, i) => `L${concurrency}-${run}-${i}`);
    const result = await burst(ids, SLOW);
    slow.push({ concurrency, ...result });
  }
  await settle();

  console.log(
    `Pipeline webhook → Discord, service as a subprocess (\`triage serve\`, LOG_LEVEL=info), fakes in the bench ` +
      `process, ${database.label}, Node ${process.version}\n`,
  );
  console.log('Own overhead (fake Ollama answers at once, WORKER_CONCURRENCY 4):\n');
  console.log('| run | tickets | p50 | p99 | mean | tickets/s |');
  console.log('|---|---|---|---|---|---|');
  console.log(row('one at a time (unloaded latency)', seq, ' - |'));
  console.log(
    row(`burst, ${IN_FLIGHT} POSTs in flight`, loaded.summary, ` ${loaded.perSecond.toFixed(1)} (sustained) |`),
  );
  console.log('\nUnloaded run, inside the service (from triage_runs.timings):\n');
  console.log('| part | p50 | p99 | mean |');
  console.log('|---|---|---|---|');
  for (const [name, samples] of Object.entries(parts)) {
    const s = summarize(samples);
    console.log(`| ${name} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.mean)} |`);
  }
  console.log(`\nGoal: own overhead p99 < 50 ms → ${seq.p99 < 50 ? 'met' : 'NOT met'} (${ms(seq.p99)} unloaded)\n`);
  console.log(`Worker parallelism (fake LLM answers after ${SLOW_LLM_MS} ms, ${SLOW} tickets sent at once):\n`);
  console.log('| WORKER_CONCURRENCY | tickets/s | vs concurrency 1 | ideal | p50 | p99 |');
  console.log('|---|---|---|---|---|---|');
  const base = slow[0]!.perSecond;
  for (const s of slow) {
    console.log(
      `| ${s.concurrency} | ${s.perSecond.toFixed(2)} | ${(s.perSecond / base).toFixed(2)}x | ${s.concurrency}x | ` +
        `${ms(s.summary.p50)} | ${ms(s.summary.p99)} |`,
    );
  }
} finally {
  (service as RunningService | null)?.kill();
  await Promise.all([ollama.close(), discord.close()]);
  await database.release();
}
