// Cost guards through the real service (a `serve` subprocess on a real database, fake Groq and Discord): an
// auto-reply reaches Discord via rules with no LLM request; the cloud token budget, once the fake's reported usage
// spends it, sends the next ticket to rules — the footer, /health and /metrics say so.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FakeDiscord } from '../fakes/discord.ts';
import { baseUrlOf, chatCompletion, type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.ts';
import { validOutput } from '../fixtures/triage.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { validateDiscordPayload } from '../helpers/discord-validator.ts';
import {
  payloadOf,
  postDelivery,
  type RunningService,
  specDelivery,
  usePipeline,
  waitForMessages,
  waitForTicket,
} from '../helpers/pipeline.ts';

let tdb: TestDatabase;
let groq: FakeOpenAI;
let discord: FakeDiscord;
let service: RunningService;

// The pipeline's fake Ollama stays unused: the chain is Groq, then rules.
usePipeline(async (pipeline) => {
  ({ tdb, discord } = pipeline);
  groq = pipeline.closeAfter(await startFakeOpenAI());
  service = await pipeline.start({
    TRIAGE_PROVIDERS: 'groq,rules',
    GROQ_API_KEY: 'gsk_e2e_fake_key_0123456789',
    GROQ_BASE_URL: baseUrlOf(groq),
    CLOUD_DAILY_TOKEN_BUDGET: '1000',
    CLOUD_PRICE_PER_MILLION_TOKENS: '0.5',
  });
});

const footerOf = async (id: string) => {
  const [request] = await waitForMessages(discord, id);
  const payload = payloadOf(request!);
  assert.deepEqual(validateDiscordPayload(payload), []);
  return payload.embeds![0]!.footer?.text ?? '';
};

test('an out-of-office reply is decided by rules; the cloud gets no request', async () => {
  const id = 'CG-OOO';
  const delivery = specDelivery(id, { subject: 'Automatic reply: Your ticket', content: 'I am away until Monday.' });
  assert.equal((await postDelivery(service.url, delivery)).status, 200);
  assert.match(await footerOf(id), /^Decided by rules without an LLM \(auto-reply\) \| model rules-short-circuit-v1/);
  assert.equal((await waitForTicket(tdb.pool, id, 'posted')).provider, 'rules');
  assert.equal(groq.requests.length, 0);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /^triage_short_circuit_total\{kind="auto_reply"\} 1$/m);
});

test('the budget spent by the reported usage: the next ticket skips the cloud; footer, /health and /metrics say so', async () => {
  groq.enqueue(chatCompletion(validOutput(), { promptTokens: 900, completionTokens: 180 }));
  assert.equal((await postDelivery(service.url, specDelivery('CG-1'))).status, 200);
  assert.match(await footerOf('CG-1'), /^Triaged via groq/);
  await waitForTicket(tdb.pool, 'CG-1', 'posted');
  assert.equal(groq.requests.length, 1);

  assert.equal((await postDelivery(service.url, specDelivery('CG-2'))).status, 200);
  assert.match(await footerOf('CG-2'), /^Cloud budget spent; triaged by rules \| model rules-v20/);
  await waitForTicket(tdb.pool, 'CG-2', 'posted');
  assert.equal(groq.requests.length, 1, 'no cloud request after the budget was spent');

  const health = (await (await fetch(`${service.url}/health`)).json()) as {
    status: string;
    warnings: string[];
    dependencies: { cloud_llm: { budget?: { used_tokens: number; spent: boolean; estimated_cost: number } } };
  };
  assert.equal(health.status, 'degraded');
  assert.ok(
    health.warnings.some((w) => w.startsWith('cloud token budget spent until 00:00 UTC')),
    health.warnings.join(),
  );
  assert.equal(health.dependencies.cloud_llm.budget?.used_tokens, 1080);
  assert.equal(health.dependencies.cloud_llm.budget?.spent, true);
  assert.equal(health.dependencies.cloud_llm.budget?.estimated_cost, 0.00054);

  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /^triage_cloud_tokens_today 1080$/m);
  assert.match(metrics, /^triage_cloud_token_budget 1000$/m);
  assert.match(metrics, /^triage_cloud_budget_skips_total 1$/m);
});
