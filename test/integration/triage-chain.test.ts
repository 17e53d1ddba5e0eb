// The provider chain against real local fake servers: fallback on every failure class, the breaker sparing later
// tickets the timeout, the half-open probe, repair, redaction for the cloud, typed failures, and what gets logged.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { ProviderName, TriageFailure, TriageResult, TriageSuccess } from '../../src/domain/triage-result.ts';
import { createTriageChain } from '../../src/triage/chain.ts';
import { PROMPT_VERSION } from '../../src/triage/prompt.ts';
import { buildTriageProviders, type ProvidersOptions } from '../../src/triage/providers/build.ts';
import { type FakeOllama, ollamaChat, ollamaError, ollamaModelNotFound, startFakeOllama } from '../fakes/ollama.ts';
import {
  baseUrlOf,
  chatCompletion,
  type FakeOpenAI,
  groqJsonValidateFailed,
  groqRateLimited,
  serverError,
  startFakeOpenAI,
} from '../fakes/openai.ts';
import { makeTicket } from '../fixtures/tickets.ts';
import { validOutput } from '../fixtures/triage.ts';
import { fakeClock } from '../helpers/clock.ts';
import { captureLogger } from '../helpers/logger.ts';

// Local's timeout, which the hanging-fake cases wait out: long enough that a loaded CI machine never mistakes a slow
// answer for a timeout, and that "far below the timeout" (half of it) is a safe margin. Groq never hangs here.
const TIMEOUT_MS = 1000;
const ANSWERING_TIMEOUT_MS = 10_000;
let ollama: FakeOllama;
let groq: FakeOpenAI;
let refusedUrl: string;

before(async () => {
  [ollama, groq] = await Promise.all([startFakeOllama(), startFakeOpenAI()]);
  const closed = await startFakeOllama();
  await closed.close();
  refusedUrl = closed.url;
});
after(() => Promise.all([ollama.close(), groq.close()]));
afterEach(() => {
  for (const fake of [ollama, groq]) {
    fake.requests.length = 0;
    fake.setDefault({ status: 500, json: { error: 'unscripted' } });
  }
});

function setup(overrides: Partial<ProvidersOptions> & { redactForCloud?: boolean; localUrl?: string } = {}) {
  const clock = fakeClock();
  const log = captureLogger();
  const providers = buildTriageProviders(
    {
      providers: overrides.providers ?? ['local', 'groq', 'rules'],
      local: { url: overrides.localUrl ?? ollama.url, model: 'llama3.1:8b', timeoutMs: TIMEOUT_MS },
      groq: overrides.groq ?? { apiKey: 'gsk_test', baseUrl: baseUrlOf(groq), timeoutMs: ANSWERING_TIMEOUT_MS },
      ...(overrides.breaker ? { breaker: overrides.breaker } : {}),
    },
    { now: clock.now },
  );
  const chain = createTriageChain({
    providers,
    logger: log.logger,
    now: () => performance.now(),
    redactForCloud: overrides.redactForCloud ?? true,
  });
  return { chain, clock, log };
}

function success(result: TriageResult): TriageSuccess {
  if (!result.ok) assert.fail(`expected success, got ${result.errorClass}: ${result.errorMessage}`);
  return result;
}
function failure(result: TriageResult): TriageFailure {
  if (result.ok) assert.fail(`expected failure, got success from ${result.provider}`);
  return result;
}
const used = (r: TriageResult) =>
  r.attempts.map((a) => `${a.provider}:${a.outcome}${a.failureClass ? `:${a.failureClass}` : ''}`);

describe('happy path per provider', () => {
  test('local answers', async () => {
    ollama.enqueue(ollamaChat(validOutput(), { promptEvalCount: 800, evalCount: 150 }));
    const r = success(await setup().chain.run(makeTicket()));
    assert.equal(r.provider, 'local');
    assert.equal(r.model, 'llama3.1:8b');
    assert.deepEqual(r.usage, { promptTokens: 800, completionTokens: 150 });
    assert.equal(r.repaired, false);
    assert.equal(r.promptVersion, PROMPT_VERSION);
    assert.deepEqual(r.fallbackReasons, []);
    assert.deepEqual(used(r), ['local:ok']);
    assert.deepEqual(r.output, validOutput());
    assert.equal(groq.requests.length, 0);
  });

  test('groq answers', async () => {
    groq.enqueue(chatCompletion(validOutput({ priority: 'high' })));
    const r = success(await setup({ providers: ['groq'] }).chain.run(makeTicket()));
    assert.equal(r.provider, 'groq');
    assert.equal(r.model, 'openai/gpt-oss-120b');
    assert.equal(r.output.priority, 'high');
    assert.deepEqual(r.usage, { promptTokens: 900, completionTokens: 180 });
  });

  test('rules answers', async () => {
    const r = success(await setup({ providers: ['rules'] }).chain.run(makeTicket()));
    assert.equal(r.provider, 'rules');
    assert.equal(r.model, 'rules-v20');
    assert.ok(r.output.confidence <= 0.6);
  });
});

describe('fallback local → groq', () => {
  const cases: [string, () => void, string, string?][] = [
    ['timeout', () => ollama.enqueue('hang'), 'timeout'],
    ['connection refused', () => {}, 'connection', 'refused'],
    ['HTTP 500', () => ollama.enqueue(ollamaError(500, 'llama runner process has terminated')), 'http_5xx'],
    ['404 model not found', () => ollama.enqueue(ollamaModelNotFound('llama3.1:8b')), 'model_missing'],
    ['401', () => ollama.enqueue(ollamaError(401, 'unauthorized')), 'auth'],
  ];
  for (const [name, script, failureClass, special] of cases) {
    test(`on ${name}`, async () => {
      script();
      groq.enqueue(chatCompletion(validOutput()));
      const { chain } = setup(special === 'refused' ? { localUrl: refusedUrl } : {});
      const r = success(await chain.run(makeTicket()));
      assert.equal(r.provider, 'groq');
      assert.deepEqual(r.fallbackReasons, [{ provider: 'local', reason: failureClass }]);
      assert.deepEqual(used(r), [`local:failed:${failureClass}`, 'groq:ok']);
      if (failureClass === 'timeout') assert.ok(r.attempts[0]!.callLatenciesMs![0]! >= TIMEOUT_MS - 10);
    });
  }

  test('both LLMs down → rules, with both reasons recorded', async () => {
    ollama.enqueue(ollamaError(500, 'boom'));
    groq.enqueue(serverError(503));
    const r = success(await setup().chain.run(makeTicket()));
    assert.equal(r.provider, 'rules');
    assert.deepEqual(r.fallbackReasons, [
      { provider: 'local', reason: 'http_5xx' },
      { provider: 'groq', reason: 'http_5xx' },
    ]);
  });

  test('groq without an API key is skipped as disabled', async () => {
    ollama.enqueue(ollamaError(500, 'boom'));
    const r = success(await setup({ groq: {} }).chain.run(makeTicket()));
    assert.deepEqual(used(r), ['local:failed:http_5xx', 'groq:skipped:disabled', 'rules:ok']);
  });
});

describe('typed failures (no throw)', () => {
  test('no providers configured', async () => {
    const r = failure(await setup({ providers: [] }).chain.run(makeTicket()));
    assert.equal(r.errorClass, 'no_provider');
    assert.deepEqual(r.attempts, []);
  });

  test('every provider disabled', async () => {
    const r = failure(await setup({ providers: ['groq'], groq: {} }).chain.run(makeTicket()));
    assert.equal(r.errorClass, 'no_provider');
    assert.deepEqual(used(r), ['groq:skipped:disabled']);
  });

  test('every LLM failed and no rules: the last failure class, with attempts', async () => {
    ollama.enqueue('hang');
    groq.enqueue(serverError(502));
    const r = failure(await setup({ providers: ['local', 'groq'] }).chain.run(makeTicket()));
    assert.equal(r.errorClass, 'http_5xx');
    assert.equal(r.lastProvider, null);
    assert.deepEqual(used(r), ['local:failed:timeout', 'groq:failed:http_5xx']);
  });

  test('invalid output everywhere: lastProvider and the first 500 characters of the raw output', async () => {
    const garbage = `Sorry, I can't. ${'x'.repeat(900)}`;
    ollama.enqueue(ollamaChat(garbage), ollamaChat(garbage));
    const r = failure(await setup({ providers: ['local'] }).chain.run(makeTicket()));
    assert.equal(r.errorClass, 'invalid_output');
    assert.equal(r.lastProvider, 'local');
    assert.equal(r.rawOutput, garbage.slice(0, 500));
  });

  test("the caller's abort ends the run with a typed failure", async () => {
    ollama.enqueue('hang');
    const controller = new AbortController();
    const pending = setup().chain.run(makeTicket(), controller.signal);
    await ollama.waitForRequests(1);
    controller.abort();
    const r = failure(await pending);
    assert.equal(r.errorClass, 'timeout');
    assert.equal(groq.requests.length, 0, 'no further provider is tried after an abort');
  });
});

describe('circuit breaker in the chain', () => {
  test('with local down, tickets after the threshold skip it without waiting; after the cool-down one probe', async () => {
    ollama.setDefault('hang');
    groq.setDefault(chatCompletion(validOutput()));
    const { chain, clock } = setup();
    const elapsed: number[] = [];
    const results: TriageResult[] = [];
    for (let i = 0; i < 8; i++) {
      const started = performance.now();
      results.push(await chain.run(makeTicket({ ticket_id: String(i) })));
      elapsed.push(performance.now() - started);
    }
    assert.equal(ollama.requests.length, 3, 'only the first three tickets reached local');
    for (const ms of elapsed.slice(0, 3)) assert.ok(ms >= TIMEOUT_MS - 10, `first tickets wait the timeout (${ms})`);
    for (const ms of elapsed.slice(3)) assert.ok(ms < TIMEOUT_MS / 2, `later tickets do not wait (${ms} ms)`);
    assert.deepEqual(used(results[5]!), ['local:skipped:circuit_open', 'groq:ok']);
    assert.deepEqual(results[5]!.fallbackReasons, [{ provider: 'local', reason: 'circuit_open' }]);
    const opened = chain.circuits().find((c) => c.name === 'local');
    assert.equal(opened?.state, 'open');
    // What the dashboard and /health show: the last failure and its class; no answer yet.
    assert.equal(opened?.lastFailureReason, 'timeout');
    assert.equal(opened?.lastFailureAt, clock.now());
    assert.equal(opened?.lastSuccessAt, null);

    clock.advance(60_000);
    assert.equal(chain.circuits().find((c) => c.name === 'local')?.state, 'half_open');
    ollama.setDefault(ollamaChat(validOutput()));
    const probe = success(await chain.run(makeTicket()));
    assert.equal(ollama.requests.length, 4, 'exactly one probe request');
    assert.equal(probe.provider, 'local');
    const closed = chain.circuits().find((c) => c.name === 'local');
    assert.equal(closed?.state, 'closed');
    assert.equal(closed?.lastSuccessAt, clock.now());
    await chain.run(makeTicket());
    assert.equal(ollama.requests.length, 5, 'closed again: local is used normally');
  });

  test('concurrent tickets in half-open send exactly one probe; a failed probe reopens', async () => {
    ollama.setDefault(ollamaError(500, 'down'));
    groq.setDefault(chatCompletion(validOutput()));
    const { chain, clock } = setup({ breaker: { failureThreshold: 1, cooldownMs: 30_000 } });
    await chain.run(makeTicket());
    assert.equal(ollama.requests.length, 1);
    clock.advance(30_000);
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => chain.run(makeTicket({ ticket_id: String(i) }))));
    assert.equal(ollama.requests.length, 2, 'one probe among five concurrent tickets');
    assert.equal(results.filter((r) => r.attempts[0]?.failureClass === 'circuit_open').length, 4);
    assert.equal(chain.circuits()[0]?.state, 'open');
    await chain.run(makeTicket());
    assert.equal(ollama.requests.length, 2);
  });

  test('a 429 with retry-after opens the breaker for that long', async () => {
    groq.enqueue(groqRateLimited(30));
    groq.setDefault(chatCompletion(validOutput()));
    const { chain, clock } = setup({ providers: ['groq', 'rules'] });
    const first = success(await chain.run(makeTicket()));
    assert.equal(first.provider, 'rules');
    assert.deepEqual(first.fallbackReasons, [{ provider: 'groq', reason: 'rate_limited' }]);
    clock.advance(29_999);
    assert.deepEqual(used(await chain.run(makeTicket())), ['groq:skipped:circuit_open', 'rules:ok']);
    assert.equal(groq.requests.length, 1);
    clock.advance(1);
    assert.equal(success(await chain.run(makeTicket())).provider, 'groq');
    assert.equal(groq.requests.length, 2);
  });
});

describe('repair', () => {
  test('an invalid enum ("urgent") is fixed by one repair call to the same provider', async () => {
    ollama.enqueue(ollamaChat({ ...validOutput(), priority: 'urgent' }), ollamaChat(validOutput({ priority: 'high' })));
    const r = success(await setup().chain.run(makeTicket()));
    assert.equal(r.provider, 'local');
    assert.equal(r.repaired, true);
    assert.equal(r.output.priority, 'high');
    assert.equal(r.attempts[0]?.repairAttempted, true);
    assert.equal(r.attempts[0]?.callLatenciesMs?.length, 2, 'one latency per call: first answer and repair');
    assert.equal(ollama.requests.length, 2);
    const repairUser = (ollama.requests[1]!.body as { messages: { content: string }[] }).messages[1]!.content;
    assert.match(repairUser, /- priority: /);
    assert.match(repairUser, /"urgent"/);
    assert.ok(repairUser.includes(makeTicket().subject), 'the repair call carries the ticket');
  });

  test('still invalid after the repair → next provider; the breaker is not blamed', async () => {
    ollama.enqueue(ollamaChat({ priority: 'urgent' }), ollamaChat({ priority: 'urgent' }));
    groq.enqueue(chatCompletion(validOutput()));
    const { chain } = setup();
    const r = success(await chain.run(makeTicket()));
    assert.equal(r.provider, 'groq');
    assert.equal(r.repaired, false);
    assert.deepEqual(r.fallbackReasons, [{ provider: 'local', reason: 'invalid_output' }]);
    assert.equal(r.attempts[0]?.repairAttempted, true);
    assert.equal(chain.circuits()[0]?.state, 'closed');
  });

  test("groq's json_validate_failed: failed_generation is repaired", async () => {
    groq.enqueue(groqJsonValidateFailed(JSON.stringify({ ...validOutput(), handling_mode: 'phone call' })));
    groq.enqueue(chatCompletion(validOutput()));
    const r = success(await setup({ providers: ['groq'] }).chain.run(makeTicket()));
    assert.equal(r.repaired, true);
    const repairUser = (groq.requests[1]!.body as { messages: { content: string }[] }).messages[1]!.content;
    assert.match(repairUser, /phone call/);
    assert.match(repairUser, /handling_mode: /);
  });
});

describe('what leaves the process', () => {
  const secret = 'sk-proj-4fGh7KLmN0pQrStUvWxYz123456789AbCdEf';
  const ticket = makeTicket({ body: `Our key ${secret} fails. Login password=Hunter2Secret!` });
  const userOf = (fake: FakeOllama | FakeOpenAI) =>
    (fake.requests[0]!.body as { messages: { content: string }[] }).messages[1]!.content;

  test('groq gets redacted text, local gets it as is', async () => {
    ollama.enqueue(ollamaError(500, 'down'));
    groq.enqueue(chatCompletion(validOutput()));
    await setup().chain.run(ticket);
    assert.ok(userOf(ollama).includes(secret));
    assert.ok(!userOf(groq).includes(secret) && !userOf(groq).includes('Hunter2Secret'));
    assert.match(userOf(groq), /\[REDACTED_API_KEY\][\s\S]*password=\[REDACTED_PASSWORD\]/);
  });

  test('redactForCloud false sends the text as is', async () => {
    groq.enqueue(chatCompletion(validOutput()));
    await setup({ providers: ['groq'], redactForCloud: false }).chain.run(ticket);
    assert.ok(userOf(groq).includes(secret));
  });

  test('logs carry provider, class and latency, never ticket text or secrets', async () => {
    ollama.enqueue('hang');
    groq.enqueue(chatCompletion(validOutput()));
    const { chain, log } = setup();
    await chain.run(makeTicket({ subject: 'UNIQUE-SUBJECT-123', body: `UNIQUE-BODY-456 ${secret}` }));
    const lines = log.lines();
    const all = lines.join('\n');
    for (const forbidden of ['UNIQUE-SUBJECT-123', 'UNIQUE-BODY-456', secret, 'gsk_test', makeTicket().from_email!]) {
      assert.ok(!all.includes(forbidden), `log contains ${forbidden}`);
    }
    const failed = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'triage provider failed');
    assert.equal(failed.provider, 'local' satisfies ProviderName);
    assert.equal(failed.failure_class, 'timeout');
    assert.equal(typeof failed.latency_ms, 'number');
  });
});
