// Triage chain benchmark (run: npx tsx bench/triage.ts [tickets]). Measures the chain's own overhead per ticket with
// instant providers (in-process objects, then real local HTTP fakes), and the time to a result when the local LLM is
// down (a fake that hangs; timeout 1000 ms instead of the real 10 s default to keep the run short) with the breaker
// able to open vs. never opening. Prints a markdown table.
import { Writable } from 'node:stream';
import type { NormalizedTicket } from '../src/domain/ticket.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createCircuitBreaker } from '../src/triage/breaker.ts';
import { type ChainProvider, createTriageChain } from '../src/triage/chain.ts';
import { createOllamaProvider } from '../src/triage/providers/ollama.ts';
import { createOpenAICompatibleProvider } from '../src/triage/providers/openai-compatible.ts';
import type { TriageProvider } from '../src/triage/providers/provider.ts';
import { createRulesProvider } from '../src/triage/providers/rules.ts';
import { ollamaChat, startFakeOllama } from '../test/fakes/ollama.ts';
import { baseUrlOf, chatCompletion, startFakeOpenAI } from '../test/fakes/openai.ts';
import { makeTicket } from '../test/fixtures/tickets.ts';
import { validOutput } from '../test/fixtures/triage.ts';

const TICKETS = Number(process.argv[2] ?? 2000);
const DOWN_TIMEOUT_MS = 1000;
const DOWN_TICKETS = 12;

const output = validOutput();
const outputText = JSON.stringify(output);

// A long body carrying a secret, so the cloud provider's redaction does real work.
const ticket = (i: number): NormalizedTicket =>
  makeTicket({
    ticket_id: String(100_000 + i),
    body: `Hello,\n\nsince yesterday the CSV export of our contacts list downloads a file with only the header row. We tried Chrome and Firefox, same result. Our API token is sk-proj-4fGh7KLmN0pQrStUvWxYz123456789AbCdEf if you need it.\n\n${'Thanks for your help. '.repeat(20)}\n\nDana`,
    customer_tier: 'enterprise',
    portal_id: '123',
    received_at: new Date().toISOString(),
    request_id: `bench-${i}`,
  });

const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

function chainOf(providers: { provider: TriageProvider; breaker?: ReturnType<typeof createCircuitBreaker> }[]) {
  return createTriageChain({
    providers: providers.map(
      (p): ChainProvider => ({
        name: p.provider.name,
        provider: p.provider,
        breaker: p.breaker ?? createCircuitBreaker({ now: Date.now }),
      }),
    ),
    logger,
    now: () => performance.now(),
    redactForCloud: true,
  });
}

const instant = (name: 'local' | 'groq'): TriageProvider => ({
  name,
  model: 'instant',
  complete: async () => ({
    text: outputText,
    usage: { promptTokens: 0, completionTokens: 0 },
    latencyMs: 0,
    model: 'instant',
  }),
});

interface Row {
  scenario: string;
  tickets: number;
  p50: number;
  p99: number;
  perSecond: number;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function measure(scenario: string, chain: ReturnType<typeof chainOf>, n: number, expect: string): Promise<Row> {
  for (let i = 0; i < Math.min(50, n); i++) await chain.run(ticket(i)); // warm-up (JIT, sockets)
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await chain.run(ticket(i));
    times.push(performance.now() - t0);
    if (!r.ok || r.provider !== expect)
      throw new Error(`${scenario}: unexpected result ${JSON.stringify(r).slice(0, 200)}`);
  }
  const total = performance.now() - started;
  times.sort((a, b) => a - b);
  return { scenario, tickets: n, p50: pct(times, 50), p99: pct(times, 99), perSecond: (n / total) * 1000 };
}

async function main() {
  const rows: Row[] = [];
  rows.push(
    await measure('in-process instant provider (local)', chainOf([{ provider: instant('local') }]), TICKETS, 'local'),
  );
  rows.push(
    await measure(
      'in-process instant provider (groq, with redaction)',
      chainOf([{ provider: instant('groq') }]),
      TICKETS,
      'groq',
    ),
  );
  rows.push(
    await measure(
      'rules provider only (offline default)',
      chainOf([{ provider: createRulesProvider() }]),
      TICKETS,
      'rules',
    ),
  );

  const ollama = await startFakeOllama();
  const groq = await startFakeOpenAI();
  try {
    ollama.setDefault(ollamaChat(output));
    groq.setDefault(chatCompletion(output));
    const local = createOllamaProvider({ url: ollama.url, model: 'llama3.1:8b' });
    rows.push(await measure('HTTP fake Ollama (127.0.0.1)', chainOf([{ provider: local }]), TICKETS, 'local'));
    const cloud = createOpenAICompatibleProvider({ apiKey: 'gsk_bench', baseUrl: baseUrlOf(groq) });
    rows.push(await measure('HTTP fake Groq (127.0.0.1)', chainOf([{ provider: cloud }]), TICKETS, 'groq'));

    // Local down: Ollama hangs, Groq (HTTP fake) answers instantly.
    ollama.setDefault('hang');
    const hungLocal = createOllamaProvider({ url: ollama.url, model: 'llama3.1:8b', timeoutMs: DOWN_TIMEOUT_MS });
    const never = createCircuitBreaker({ now: Date.now, failureThreshold: Number.POSITIVE_INFINITY });
    const closed = await downRun(chainOf([{ provider: hungLocal, breaker: never }, { provider: cloud }]));
    const opens = await downRun(chainOf([{ provider: hungLocal }, { provider: cloud }]));
    printTables(rows, closed, opens);
  } finally {
    await Promise.all([ollama.close(), groq.close()]);
  }
}

async function downRun(chain: ReturnType<typeof chainOf>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < DOWN_TICKETS; i++) {
    const t0 = performance.now();
    const r = await chain.run(ticket(i));
    times.push(performance.now() - t0);
    if (!r.ok || r.provider !== 'groq') throw new Error('local-down run did not fall back to groq');
  }
  return times;
}

const ms = (v: number) => (v < 10 ? v.toFixed(3) : v.toFixed(1));
const median = (values: number[]) =>
  pct(
    [...values].sort((a, b) => a - b),
    50,
  );

function printTables(rows: Row[], closed: number[], opens: number[]) {
  console.log(`\nNode ${process.version}, ${TICKETS} tickets per row, sequential, after 50 warm-up tickets.\n`);
  console.log('| scenario | tickets | p50 ms | p99 ms | tickets/s |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.scenario} | ${r.tickets} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.perSecond.toFixed(0)} |`);
  }
  const afterOpen = opens.slice(3);
  console.log(
    `\nLocal LLM down (fake that hangs; timeout ${DOWN_TIMEOUT_MS} ms, the real default is 10 s), fallback to the Groq HTTP fake, ${DOWN_TICKETS} tickets:\n`,
  );
  console.log('| breaker | median ms to result | tickets 4..N median ms | total s |');
  console.log('|---|---:|---:|---:|');
  const total = (v: number[]) => (v.reduce((a, b) => a + b, 0) / 1000).toFixed(2);
  console.log(`| never opens | ${ms(median(closed))} | ${ms(median(closed.slice(3)))} | ${total(closed)} |`);
  console.log(`| opens after 3 failures | ${ms(median(opens))} | ${ms(median(afterOpen))} | ${total(opens)} |`);
  console.log(
    `\nWith the breaker open a ticket gets its result ${(median(closed.slice(3)) / median(afterOpen)).toFixed(0)}x faster (tickets 4..${DOWN_TICKETS}).`,
  );
}

await main();
