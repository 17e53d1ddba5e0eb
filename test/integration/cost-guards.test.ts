// Cost guards end to end inside one process, against real PostgreSQL and real fake servers: obvious noise reaches
// Discord through the rules with no LLM request; a security-looking auto-reply still goes to the LLM; the cloud's
// daily token budget (counted in PostgreSQL) skips the cloud once spent — /health, /metrics and the footer say so —
// and the next UTC day (an injected clock) starts again.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createRunStore } from '../../src/db/run-store.ts';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { createTokenUsageStore } from '../../src/db/token-usage-store.ts';
import { createHubSpotClient } from '../../src/hubspot/client.ts';
import { createDiscordClient } from '../../src/notify/discord-client.ts';
import { createHealthReporter } from '../../src/observability/health.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics, registerServiceGauges } from '../../src/observability/metrics.ts';
import { createTriageTask } from '../../src/pipeline/triage-task.ts';
import { createCloudBudget } from '../../src/triage/budget.ts';
import { buildTriageProviders, createTriageChain } from '../../src/triage/index.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeOllama, ollamaChat, startFakeOllama } from '../fakes/ollama.ts';
import { baseUrlOf, chatCompletion, type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.ts';
import { ticketPayload } from '../fixtures/payloads.ts';
import { makeTicket } from '../fixtures/tickets.ts';
import { validOutput } from '../fixtures/triage.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
let discord: FakeDiscord;
let ollama: FakeOllama;
let groq: FakeOpenAI;
before(async () => {
  [tdb, discord, ollama, groq] = await Promise.all([
    createTestDatabase(),
    startFakeDiscord(),
    startFakeOllama(),
    startFakeOpenAI(),
  ]);
});
after(async () => {
  await Promise.all([discord?.close(), ollama?.close(), groq?.close()]);
  await tdb?.drop();
});
beforeEach(() => {
  ollama.requests.length = 0;
  groq.requests.length = 0;
});

const logger = createLogger({ level: 'silent' });

function clockAt(iso: string) {
  let at = new Date(iso);
  return { now: () => at, set: (next: string) => (at = new Date(next)) };
}

function pipeline(options: { providers: ('local' | 'groq' | 'rules')[]; budgetTokens?: number; now?: () => Date }) {
  const metrics = createMetrics({ defaultMetrics: false });
  const budget =
    options.budgetTokens === undefined
      ? undefined
      : createCloudBudget({
          dailyTokens: options.budgetTokens,
          pricePerMillionTokens: 0.5,
          counter: createTokenUsageStore(tdb.pool),
          logger,
          ...(options.now ? { now: options.now } : {}),
        });
  const chain = createTriageChain({
    providers: buildTriageProviders(
      {
        providers: options.providers,
        local: { url: ollama.url, model: 'llama3.1:8b', timeoutMs: 10_000 },
        groq: { apiKey: 'gsk_test', baseUrl: baseUrlOf(groq), timeoutMs: 10_000 },
      },
      { now: Date.now },
    ),
    logger,
    now: () => performance.now(),
    redactForCloud: true,
    shortCircuit: true,
    ...(budget ? { cloudBudget: budget } : {}),
  });
  const task = createTriageTask({
    store: createTicketStore(tdb.db),
    runs: createRunStore(tdb.db),
    chain,
    notifier: createDiscordClient({ webhookUrl: discord.webhook.url, serverRetryDelaysMs: [] }),
    hubspot: createHubSpotClient({ accessToken: null }),
    logger,
    metrics,
    securityRoleId: null,
    leaseMs: 60_000,
    ...(options.now ? { now: options.now } : {}),
  });
  return { task, metrics, budget };
}

const helpers = () =>
  ({
    job: { id: String(Math.floor(Math.random() * 1e9)), attempts: 1, max_attempts: 8 },
    abortSignal: new AbortController().signal,
  }) as never;

/** The single Discord message posted for a ticket. */
function messageFor(ticketId: string) {
  const found = discord.requests.filter((r) =>
    ((r.json as { embeds?: { title?: string }[] }).embeds?.[0]?.title ?? '').includes(`Ticket #${ticketId}:`),
  );
  assert.equal(found.length, 1, `one message for ${ticketId}`);
  return found[0]!.json as { embeds: { footer: { text: string }; fields: { name: string; value: string }[] }[] };
}

async function runOf(ticketId: string) {
  const { rows } = await tdb.pool.query(
    'select provider, model, fallback_reasons from triage_runs where ticket_id = $1',
    [ticketId],
  );
  assert.equal(rows.length, 1);
  return rows[0] as { provider: string; model: string; fallback_reasons: { provider: string; reason: string }[] };
}

test('an out-of-office reply, a bounce and spam reach Discord via rules; no LLM receives a request', async () => {
  const { task, metrics } = pipeline({ providers: ['local', 'groq', 'rules'] });
  const noise = [
    makeTicket({
      ticket_id: 'sc-ooo',
      subject: 'Automatic reply: Your ticket',
      body: 'I am out of the office until 3 March.',
    }),
    makeTicket({
      ticket_id: 'sc-bounce',
      subject: 'Undeliverable: Welcome',
      body: 'Delivery has failed to these recipients.',
    }),
    makeTicket({
      ticket_id: 'sc-spam',
      subject: 'Partnership',
      body: 'We sell guest posts and backlinks. Our SEO services put you on top. Limited time offer.',
    }),
  ];
  for (const ticket of noise) await task(ticketPayload(ticket), helpers());

  assert.equal(ollama.requests.length, 0, 'the local LLM got no request');
  assert.equal(groq.requests.length, 0, 'the cloud LLM got no request');
  const labels = { 'sc-ooo': 'auto-reply', 'sc-bounce': 'bounce', 'sc-spam': 'spam' } as const;
  for (const [id, label] of Object.entries(labels)) {
    const footer = messageFor(id).embeds[0]!.footer.text;
    assert.match(footer, new RegExp(`^Decided by rules without an LLM \\(${label}\\)`), footer);
    const run = await runOf(id);
    assert.equal(run.provider, 'rules');
    assert.equal(run.model, 'rules-short-circuit-v1');
  }
  const scrape = await metrics.registry.metrics();
  assert.match(scrape, /triage_short_circuit_total\{kind="auto_reply"\} 1/);
  assert.match(scrape, /triage_short_circuit_total\{kind="spam"\} 1/);
});

test('a security-looking auto-reply is not short-circuited: the LLM triages it', async () => {
  const { task } = pipeline({ providers: ['local', 'rules'] });
  ollama.enqueue(ollamaChat(validOutput({ priority: 'high' })));
  const ticket = makeTicket({
    ticket_id: 'sc-security',
    subject: 'Automatic reply: Re: vulnerability in your login page',
    body: 'I am out of the office until Monday. The XSS I reported is still exploitable.',
  });
  await task(ticketPayload(ticket), helpers());
  assert.equal(ollama.requests.length, 1);
  const footer = messageFor('sc-security').embeds[0]!.footer.text;
  assert.match(footer, /^Triaged via local/);
  assert.equal((await runOf('sc-security')).provider, 'local');
});

test('the cloud budget: spent after the usage the fake reports, then skipped (health, metrics, footer), reset next UTC day', async () => {
  const clock = clockAt('2026-11-25T22:00:00.000Z');
  const { task, metrics, budget } = pipeline({ providers: ['groq', 'rules'], budgetTokens: 1000, now: clock.now });
  registerServiceGauges(metrics, { cloudBudget: () => budget!.status() });
  const health = createHealthReporter({
    version: 'test',
    startedAt: Date.now(),
    database: async () => ({ healthy: true, latencyMs: 1 }),
    queueCounts: async () => ({ staged: 0, pending: 0, failed: 0 }),
    cloudBudget: () => budget!.status(),
  });
  const before = await health();
  assert.deepEqual(before.warnings, []);

  // 900 + 180 tokens: the first ticket spends the 1000-token budget.
  groq.enqueue(chatCompletion(validOutput(), { promptTokens: 900, completionTokens: 180 }));
  await task(ticketPayload(makeTicket({ ticket_id: 'bud-1' })), helpers());
  assert.equal(groq.requests.length, 1);
  assert.match(messageFor('bud-1').embeds[0]!.footer.text, /^Triaged via groq/);
  const counted = await tdb.pool.query("select tokens::int from cloud_token_usage where day = '2026-11-25'");
  assert.deepEqual(counted.rows, [{ tokens: 1080 }]);

  await task(ticketPayload(makeTicket({ ticket_id: 'bud-2' })), helpers());
  assert.equal(groq.requests.length, 1, 'the cloud got no request once the budget was spent');
  const footer = messageFor('bud-2').embeds[0]!.footer.text;
  assert.match(footer, /^Cloud budget spent; triaged by rules \| model rules-v20/, footer);
  assert.deepEqual((await runOf('bud-2')).fallback_reasons, [{ provider: 'groq', reason: 'budget_spent' }]);

  const spent = await health();
  assert.equal(spent.status, 'degraded');
  assert.ok(
    spent.warnings.some((w) => w.startsWith('cloud token budget spent until 00:00 UTC')),
    spent.warnings.join(),
  );
  assert.deepEqual(spent.dependencies.cloud_llm.budget, {
    day: '2026-11-25',
    used_tokens: 1080,
    limit_tokens: 1000,
    spent: true,
    resets_at: '2026-11-26T00:00:00.000Z',
    estimated_cost: 0.00054,
  });
  const scrape = await metrics.registry.metrics();
  assert.match(scrape, /^triage_cloud_tokens_today 1080$/m);
  assert.match(scrape, /^triage_cloud_token_budget 1000$/m);
  assert.match(scrape, /^triage_cloud_budget_skips_total 1$/m);
  assert.match(scrape, /^triage_cloud_cost_today_estimate 0.00054$/m);

  // The next UTC day starts from zero: the cloud is called again.
  clock.set('2026-11-26T00:00:01.000Z');
  groq.enqueue(chatCompletion(validOutput(), { promptTokens: 100, completionTokens: 20 }));
  await task(ticketPayload(makeTicket({ ticket_id: 'bud-3' })), helpers());
  assert.equal(groq.requests.length, 2);
  assert.match(messageFor('bud-3').embeds[0]!.footer.text, /^Triaged via groq/);
  assert.deepEqual((await health()).warnings, []);
  assert.match(await metrics.registry.metrics(), /^triage_cloud_tokens_today 120$/m);
});
