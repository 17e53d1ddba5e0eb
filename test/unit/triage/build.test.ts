import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProviderName } from '../../../src/domain/triage-result.ts';
import { buildTriageProviders } from '../../../src/triage/providers/build.ts';
import { fakeClock } from '../../helpers/clock.ts';

const now = fakeClock().now;

test('builds the providers in the given order, each with its own closed breaker', () => {
  const built = buildTriageProviders(
    {
      providers: ['rules', 'groq', 'local'],
      groq: { apiKey: 'gsk_x', model: 'openai/gpt-oss-20b' },
      local: { model: 'qwen3:8b' },
    },
    { now },
  );
  assert.deepEqual(
    built.map((p) => p.name),
    ['rules', 'groq', 'local'],
  );
  assert.deepEqual(
    built.map((p) => p.provider?.model),
    ['rules-v20', 'openai/gpt-oss-20b', 'qwen3:8b'],
  );
  assert.notEqual(built[0]!.breaker, built[1]!.breaker);
  assert.ok(built.every((p) => p.breaker.state() === 'closed'));
});

test('groq without an API key (or with an empty one) stays listed but disabled', () => {
  for (const groq of [undefined, {}, { apiKey: '' }]) {
    const [entry] = buildTriageProviders({ providers: ['groq'], ...(groq ? { groq } : {}) }, { now });
    assert.equal(entry?.provider, null);
  }
});

test('defaults: Groq gpt-oss-120b, local Ollama on 127.0.0.1:11434', () => {
  const built = buildTriageProviders(
    { providers: ['groq', 'local'], groq: { apiKey: 'k' }, local: { url: '' } },
    { now },
  );
  assert.equal(built[0]!.provider?.model, 'openai/gpt-oss-120b');
  assert.equal(built[0]!.provider?.endpoint, 'https://api.groq.com/openai/v1/chat/completions');
  assert.equal(built[1]!.provider?.name, 'local');
  assert.equal(built[1]!.provider?.endpoint, 'http://127.0.0.1:11434/api/chat');
  assert.equal(built[1]!.provider?.model, 'llama3.1:8b');
});

test('breaker options apply to every provider', () => {
  const clock = fakeClock();
  const [entry] = buildTriageProviders(
    { providers: ['rules'], breaker: { failureThreshold: 1, cooldownMs: 5 } },
    { now: clock.now },
  );
  entry!.breaker.recordFailure();
  assert.equal(entry!.breaker.state(), 'open');
  clock.advance(5);
  assert.equal(entry!.breaker.state(), 'half_open');
});

test('unknown or duplicated provider names are configuration errors', () => {
  assert.throws(
    () => buildTriageProviders({ providers: ['openai' as ProviderName] }, { now }),
    /unknown triage provider/,
  );
  assert.throws(() => buildTriageProviders({ providers: ['rules', 'rules'] }, { now }), /listed twice/);
});
