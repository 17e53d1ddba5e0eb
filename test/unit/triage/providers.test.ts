// The two HTTP clients against real local fake servers: request shape, headers, and the classification of every
// failure named in CONTRACTS §3.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { triageJsonSchema } from '../../../src/domain/triage-output.ts';
import { createOllamaProvider } from '../../../src/triage/providers/ollama.ts';
import { createOpenAICompatibleProvider, toStrictSchema } from '../../../src/triage/providers/openai-compatible.ts';
import { ProviderError, parseRetryAfter } from '../../../src/triage/providers/provider.ts';
import { type FakeOllama, ollamaChat, ollamaError, ollamaModelNotFound, startFakeOllama } from '../../fakes/ollama.ts';
import {
  baseUrlOf,
  chatCompletion,
  type FakeOpenAI,
  groqInvalidApiKey,
  groqJsonSchemaUnsupported,
  groqJsonValidateFailed,
  groqModelDecommissioned,
  groqModelNotFound,
  groqRateLimited,
  serverError,
  startFakeOpenAI,
} from '../../fakes/openai.ts';

const request = { system: 'SYSTEM', user: 'USER' };

async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ProviderError, `expected ProviderError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

async function closedPortUrl(): Promise<string> {
  const fake = await startFakeOllama();
  await fake.close();
  return fake.url;
}

describe('Ollama provider', () => {
  let fake: FakeOllama;
  before(async () => {
    fake = await startFakeOllama();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  const provider = (overrides: Partial<Parameters<typeof createOllamaProvider>[0]> = {}) =>
    // Answering fakes get a generous timeout (a loaded CI machine is slow, not broken); timeout cases set their own.
    createOllamaProvider({ url: `${fake.url}/`, model: 'llama3.1:8b', timeoutMs: 5000, ...overrides });

  test('sends the /api/chat request of CONTRACTS §3 with both auth header kinds', async () => {
    fake.enqueue(ollamaChat('{"a":1}', { promptEvalCount: 321, evalCount: 45, model: 'llama3.1:8b' }));
    const res = await provider({
      token: 'tunnel-token',
      cfAccessClientId: 'cf-id.access',
      cfAccessClientSecret: 'cf-secret',
      numCtx: 8192,
      keepAlive: '10m',
    }).complete(request, triageJsonSchema);
    assert.deepEqual(res.usage, { promptTokens: 321, completionTokens: 45 });
    assert.equal(res.text, '{"a":1}');
    assert.equal(res.model, 'llama3.1:8b');
    assert.ok(res.latencyMs >= 0);
    const [req] = fake.requests;
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, '/api/chat');
    assert.equal(req?.headers.authorization, 'Bearer tunnel-token');
    assert.equal(req?.headers['cf-access-client-id'], 'cf-id.access');
    assert.equal(req?.headers['cf-access-client-secret'], 'cf-secret');
    assert.deepEqual(req?.body, {
      model: 'llama3.1:8b',
      messages: [
        { role: 'system', content: 'SYSTEM' },
        { role: 'user', content: 'USER' },
      ],
      stream: false,
      format: JSON.parse(JSON.stringify(triageJsonSchema)),
      options: { temperature: 0.2, num_predict: 1024, num_ctx: 8192 },
      keep_alive: '10m',
    });
  });

  test('sends no auth headers when none are configured', async () => {
    fake.enqueue(ollamaChat('{}'));
    await provider().complete(request, triageJsonSchema);
    assert.equal(fake.requests[0]?.headers.authorization, undefined);
    assert.equal(fake.requests[0]?.headers['cf-access-client-id'], undefined);
  });

  const statusCases: [string, () => ReturnType<typeof ollamaChat>, string][] = [
    ['404 model not found', () => ollamaModelNotFound('llama3.1:8b'), 'model_missing'],
    ['500', () => ollamaError(500, 'llama runner process has terminated'), 'http_5xx'],
    ['502 from the tunnel', () => ({ status: 502, body: '<html>Bad gateway</html>' }), 'http_5xx'],
    ['401', () => ollamaError(401, 'unauthorized'), 'auth'],
    ['403 from Cloudflare Access', () => ({ status: 403, body: 'Forbidden' }), 'auth'],
    [
      '302 to a Cloudflare Access login',
      () => ({ status: 302, headers: { location: 'https://x.cloudflareaccess.com' } }),
      'auth',
    ],
    ['200 with an error body', () => ollamaError(200, 'unexpected server error'), 'http_5xx'],
    [
      '200 with a model-not-found error body',
      () => ({ status: 200, body: `{"error":"model 'x' not found"}` }),
      'model_missing',
    ],
    [
      '200 that is not an Ollama envelope',
      () => ({ status: 200, body: '<html>tunnel landing page</html>' }),
      'http_5xx',
    ],
    ['400 bad request', () => ollamaError(400, 'invalid format'), 'http_4xx'],
  ];
  for (const [name, reply, expected] of statusCases) {
    test(`classifies ${name} as ${expected}`, async () => {
      fake.enqueue(reply());
      const error = await failureOf(provider().complete(request, triageJsonSchema));
      assert.equal(error.errorClass, expected);
    });
  }

  test('times out a hung request within its timeout', async () => {
    fake.enqueue('hang');
    const started = performance.now();
    const error = await failureOf(provider({ timeoutMs: 150 }).complete(request, triageJsonSchema));
    const elapsed = performance.now() - started;
    assert.equal(error.errorClass, 'timeout');
    assert.equal(error.callerAborted, false);
    assert.ok(elapsed >= 140 && elapsed < 1000, `elapsed ${elapsed}`);
  });

  test('a destroyed socket is a connection failure', async () => {
    fake.enqueue('destroy');
    assert.equal((await failureOf(provider().complete(request, triageJsonSchema))).errorClass, 'connection');
  });

  test('a refused connection is a connection failure', async () => {
    const url = await closedPortUrl();
    const error = await failureOf(createOllamaProvider({ url, model: 'm' }).complete(request, triageJsonSchema));
    assert.equal(error.errorClass, 'connection');
    assert.match(error.message, /ECONNREFUSED/);
  });

  test("the caller's abort is reported as caller-aborted, not as the provider's timeout", async () => {
    fake.enqueue('hang');
    const controller = new AbortController();
    const pending = provider({ timeoutMs: 5000 }).complete(request, triageJsonSchema, controller.signal);
    await fake.waitForRequests(1);
    controller.abort();
    const error = await failureOf(pending);
    assert.equal(error.callerAborted, true);
  });
});

describe('OpenAI-compatible (Groq) provider', () => {
  let fake: FakeOpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  const provider = () =>
    createOpenAICompatibleProvider({ apiKey: 'gsk_test', baseUrl: baseUrlOf(fake), timeoutMs: 5000, now: () => 0 });

  test('sends /chat/completions with a strict json_schema response format', async () => {
    fake.enqueue(chatCompletion('{"b":2}', { promptTokens: 1000, completionTokens: 200 }));
    const res = await provider().complete(request, triageJsonSchema);
    assert.deepEqual(res, {
      text: '{"b":2}',
      usage: { promptTokens: 1000, completionTokens: 200 },
      latencyMs: res.latencyMs,
      model: 'openai/gpt-oss-120b',
    });
    const req = fake.requests[0]!;
    assert.equal(req.path, '/openai/v1/chat/completions');
    assert.equal(req.headers.authorization, 'Bearer gsk_test');
    assert.deepEqual(req.body, {
      model: 'openai/gpt-oss-120b',
      messages: [
        { role: 'system', content: 'SYSTEM' },
        { role: 'user', content: 'USER' },
      ],
      temperature: 0.2,
      max_tokens: 1024,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'ticket_triage', strict: true, schema: toStrictSchema(triageJsonSchema) },
      },
    });
  });

  test('the strict schema keeps every property required and drops only the bound keywords', () => {
    const strict = toStrictSchema(triageJsonSchema) as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
      additionalProperties: boolean;
    };
    assert.equal(strict.additionalProperties, false);
    assert.deepEqual(strict.required.sort(), Object.keys(strict.properties).sort());
    assert.deepEqual(strict.properties.priority, { type: 'string', enum: ['low', 'medium', 'high', 'critical'] });
    assert.deepEqual(strict.properties.customer_summary, { type: 'string' });
    assert.deepEqual(strict.properties.confidence, { type: 'number' });
    assert.equal('$schema' in strict, false);
  });

  test('downgrades to json_object once when json_schema is unsupported, and remembers it', async () => {
    const p = provider();
    fake.enqueue(
      groqJsonSchemaUnsupported('llama-3.1-8b-instant'),
      chatCompletion('{"c":3}'),
      chatCompletion('{"d":4}'),
    );
    assert.equal((await p.complete(request, triageJsonSchema)).text, '{"c":3}');
    assert.equal(p.responseFormatMode(), 'json_object');
    assert.equal(await p.complete(request, triageJsonSchema).then((r) => r.text), '{"d":4}');
    const formats = fake.requests.map((r) => (r.body as { response_format: { type: string } }).response_format.type);
    assert.deepEqual(formats, ['json_schema', 'json_object', 'json_object']);
  });

  test('a second rejection after the downgrade is an error, not a loop', async () => {
    fake.enqueue(groqJsonSchemaUnsupported('m'), groqJsonSchemaUnsupported('m'));
    const error = await failureOf(provider().complete(request, triageJsonSchema));
    assert.equal(error.errorClass, 'http_4xx');
    assert.equal(fake.requests.length, 2);
  });

  test('429 is rate_limited with retry-after from the header (seconds)', async () => {
    fake.enqueue(groqRateLimited(7));
    const error = await failureOf(provider().complete(request, triageJsonSchema));
    assert.equal(error.errorClass, 'rate_limited');
    assert.equal(error.retryAfterMs, 7000);
  });

  test('429 without the header takes the wait from the message', async () => {
    fake.enqueue(groqRateLimited(null));
    assert.equal((await failureOf(provider().complete(request, triageJsonSchema))).retryAfterMs, 4500);
  });

  test('json_validate_failed is invalid_output carrying failed_generation', async () => {
    fake.enqueue(groqJsonValidateFailed('{"priority": "urgent"'));
    const error = await failureOf(provider().complete(request, triageJsonSchema));
    assert.equal(error.errorClass, 'invalid_output');
    assert.equal(error.failedGeneration, '{"priority": "urgent"');
  });

  const cases: [string, () => ReturnType<typeof serverError>, string][] = [
    ['401 invalid key', groqInvalidApiKey, 'auth'],
    ['404 model_not_found', () => groqModelNotFound('openai/gpt-oss-120b'), 'model_missing'],
    ['400 model_decommissioned', () => groqModelDecommissioned('llama-3.1-70b-versatile'), 'model_missing'],
    ['500', () => serverError(500), 'http_5xx'],
    ['503', () => serverError(503), 'http_5xx'],
  ];
  for (const [name, reply, expected] of cases) {
    test(`classifies ${name} as ${expected}`, async () => {
      fake.enqueue(reply());
      assert.equal((await failureOf(provider().complete(request, triageJsonSchema))).errorClass, expected);
    });
  }

  test('times out and refuses like the local client', async () => {
    fake.enqueue('hang');
    const hanging = createOpenAICompatibleProvider({ apiKey: 'gsk_test', baseUrl: baseUrlOf(fake), timeoutMs: 200 });
    assert.equal((await failureOf(hanging.complete(request, triageJsonSchema))).errorClass, 'timeout');
    const url = await closedPortUrl();
    const refused = createOpenAICompatibleProvider({ apiKey: 'k', baseUrl: url });
    assert.equal((await failureOf(refused.complete(request, triageJsonSchema))).errorClass, 'connection');
  });
});

test('parseRetryAfter reads seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter('0.5'), 500);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
});
