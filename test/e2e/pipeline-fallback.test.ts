// The provider chain through the real service (TRIAGE_PROVIDERS=local,groq, rules off): the local model unreachable
// → Groq answers and the footer says so; Groq failing too → the failure embed, still exactly one message.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FakeDiscord } from '../fakes/discord.ts';
import { baseUrlOf, chatCompletion, type FakeOpenAI, serverError, startFakeOpenAI } from '../fakes/openai.ts';
import { validOutput } from '../fixtures/triage.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { validateDiscordPayload } from '../helpers/discord-validator.ts';
import {
  closedPortUrl,
  payloadOf,
  postDelivery,
  type RunningService,
  requestsFor,
  runsFor,
  specDelivery,
  usePipeline,
  waitForEmptyQueue,
  waitForMessages,
  waitForTicket,
} from '../helpers/pipeline.ts';

let tdb: TestDatabase;
let groq: FakeOpenAI;
let discord: FakeDiscord;
let service: RunningService;

// The pipeline's fake Ollama stays unused: the local model's URL is a closed port.
usePipeline(async (pipeline) => {
  ({ tdb, discord } = pipeline);
  groq = pipeline.closeAfter(await startFakeOpenAI());
  service = await pipeline.start({
    TRIAGE_PROVIDERS: 'local,groq',
    LOCAL_LLM_URL: await closedPortUrl(),
    GROQ_API_KEY: 'gsk_e2e_fake_key_0123456789',
    GROQ_BASE_URL: baseUrlOf(groq),
  });
});

describe('provider fallback', () => {
  test('local down → groq answers; the footer names the fallback', async () => {
    const id = 'FB-1';
    groq.enqueue(chatCompletion(validOutput({ priority: 'medium' }), { promptTokens: 900, completionTokens: 180 }));
    assert.equal((await postDelivery(service.url, specDelivery(id))).status, 200);
    const [request] = await waitForMessages(discord, id);
    const row = await waitForTicket(tdb.pool, id, 'posted');
    await waitForEmptyQueue(tdb.pool);

    assert.equal(groq.requests.length, 1);
    assert.equal(groq.requests[0]?.headers.authorization, 'Bearer gsk_e2e_fake_key_0123456789');
    const payload = payloadOf(request!);
    assert.deepEqual(validateDiscordPayload(payload), []);
    const embed = payload.embeds![0]!;
    assert.equal(embed.title, `[MEDIUM] Ticket #${id}: Subject of ${id}`);
    assert.equal(embed.color, 0xffdd00);
    assert.match(
      embed.footer?.text ?? '',
      /^Triaged via groq \(after local connection error\) \| model openai\/gpt-oss-120b \|/,
    );
    assert.equal(row.provider, 'groq');
    const [run] = await runsFor(tdb.pool, id);
    assert.equal(run?.status, 'posted');
    assert.equal(run?.provider, 'groq');
    assert.deepEqual(run?.fallback_reasons, [{ provider: 'local', reason: 'connection' }]);
    assert.deepEqual(
      run?.timings.providers.map((p) => [p.provider, p.outcome]),
      [
        ['local', 'failed'],
        ['groq', 'ok'],
      ],
    );
    assert.equal(run?.prompt_tokens, 900);
  });

  test('every LLM down and rules disabled → the failure embed, one message, ticket not retried', async () => {
    const id = 'FB-2';
    groq.enqueue(serverError(500));
    assert.equal((await postDelivery(service.url, specDelivery(id))).status, 200);
    const [request] = await waitForMessages(discord, id);
    const row = await waitForTicket(tdb.pool, id, 'posted_as_failure');
    await waitForEmptyQueue(tdb.pool);

    const payload = payloadOf(request!);
    assert.deepEqual(validateDiscordPayload(payload), []);
    assert.equal(payload.content, '**TRIAGE FAILED** - Manual review required');
    assert.deepEqual(payload.allowed_mentions, { parse: [] });
    const embed = payload.embeds![0]!;
    assert.equal(embed.color, 0x808080);
    assert.equal(embed.title, `[TRIAGE FAILED] Ticket #${id}: Subject of ${id}`);
    assert.deepEqual(
      embed.fields?.map((f) => f.name),
      ['Error Type', 'Provider', 'Error Details', 'Raw Output'],
    );
    const field = (name: string) => embed.fields?.find((f) => f.name === name)?.value;
    assert.equal(field('Error Type'), 'http_5xx');
    assert.equal(field('Provider'), 'groq (after local connection error)');
    assert.match(embed.footer?.text ?? '', /^Request ID: \S+$/);

    // A person has seen the failure: the ticket is finished (not re-posted) as posted_as_failure, unsuccessful.
    assert.equal(row.success, false);
    assert.match(row.last_error ?? '', /^http_5xx: /);
    const [run] = await runsFor(tdb.pool, id);
    assert.equal(run?.status, 'posted_as_failure');
    assert.equal(run?.error_class, 'http_5xx');
    assert.equal(requestsFor(discord, id).length, 1);
  });
});
