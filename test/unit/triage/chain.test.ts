// The chain with in-process providers: behaviour that needs no HTTP (unexpected errors, SOP versioning, per-provider
// redaction override, circuit listing for /health).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCircuitBreaker } from '../../../src/triage/breaker.ts';
import { type ChainProvider, createTriageChain } from '../../../src/triage/chain.ts';
import { PROMPT_VERSION } from '../../../src/triage/prompt.ts';
import type { TriageProvider } from '../../../src/triage/providers/provider.ts';
import { createRulesProvider } from '../../../src/triage/providers/rules.ts';
import { makeTicket } from '../../fixtures/tickets.ts';
import { scriptedProvider, validOutput } from '../../fixtures/triage.ts';
import { fakeClock } from '../../helpers/clock.ts';
import { captureLogger } from '../../helpers/logger.ts';

function chainOf(entries: Omit<ChainProvider, 'breaker'>[], extra: { sopText?: string } = {}) {
  const clock = fakeClock();
  const providers = entries.map((e) => ({
    ...e,
    breaker: createCircuitBreaker({ now: clock.now, failureThreshold: 1 }),
  }));
  const chain = createTriageChain({
    providers,
    logger: captureLogger().logger,
    now: () => performance.now(),
    redactForCloud: true,
    ...extra,
  });
  return { chain, providers };
}

test('an unexpected exception (a bug) falls back, is classified internal, logged with its stack, and spares the breaker', async () => {
  const broken: TriageProvider = {
    name: 'local',
    model: 'm',
    complete: async () => {
      throw new TypeError('cannot read properties of undefined');
    },
  };
  const logs = captureLogger();
  const clock = fakeClock();
  const chain = createTriageChain({
    providers: [
      { name: 'local', provider: broken, breaker: createCircuitBreaker({ now: clock.now, failureThreshold: 1 }) },
      { name: 'rules', provider: createRulesProvider(), breaker: createCircuitBreaker({ now: clock.now }) },
    ],
    logger: logs.logger,
    now: () => performance.now(),
    redactForCloud: true,
  });
  for (let i = 0; i < 3; i++) {
    const r = await chain.run(makeTicket());
    assert.equal(r.ok && r.provider, 'rules');
    assert.equal(r.attempts[0]?.failureClass, 'internal');
    assert.equal(r.attempts[0]?.message, 'internal error: TypeError');
  }
  assert.equal(chain.circuits()[0]?.state, 'closed', 'a bug of ours is not the provider failing');
  const internal = logs.lines().filter((line) => line.includes('triage provider internal error'));
  assert.equal(internal.length, 3);
  assert.match(internal[0]!, /"stack":"\s*at /);
  assert.doesNotMatch(internal[0]!, /cannot read properties/, 'the message may quote model output: left out');
});

test('the SOP text reaches the system prompt and changes the recorded prompt version', async () => {
  const local = scriptedProvider('local', () => JSON.stringify(validOutput()));
  const { chain } = chainOf([{ name: 'local', provider: local.provider }], { sopText: 'Billing SOP: check Stripe.' });
  const r = await chain.run(makeTicket());
  assert.ok(r.ok);
  assert.notEqual(r.promptVersion, PROMPT_VERSION);
  assert.equal(r.promptVersion, chain.promptVersion);
  assert.match(local.seen[0]!.system, /Billing SOP: check Stripe\./);
});

test('redaction follows the per-provider flag; the rules provider gets the original ticket', async () => {
  const secret = 'gsk_8Jd02mfPq93KdlA0sMzXw1VbNcQr7TyU5iOp4LkJhGf2';
  const local = scriptedProvider('local', () => 'not json');
  const { chain } = chainOf([
    { name: 'local', provider: local.provider, redact: true },
    { name: 'rules', provider: createRulesProvider() },
  ]);
  const r = await chain.run(makeTicket({ body: `key ${secret}` }));
  assert.ok(r.ok && r.provider === 'rules');
  assert.equal(local.seen.length, 2, 'first answer and repair');
  for (const req of local.seen) {
    assert.ok(!req.user.includes(secret));
    assert.ok(!req.ticket?.body.includes(secret));
  }
});

test('circuits() lists every provider with its state and whether it is enabled', () => {
  const neverCalled = { lastSuccessAt: null, lastFailureAt: null, lastFailureReason: null };
  const { chain } = chainOf([
    { name: 'groq', kind: 'cloud_llm', provider: null },
    { name: 'rules', kind: 'rules', provider: createRulesProvider() },
  ]);
  assert.deepEqual(chain.circuits(), [
    { name: 'groq', kind: 'cloud_llm', enabled: false, state: 'closed', ...neverCalled },
    { name: 'rules', kind: 'rules', enabled: true, state: 'closed', ...neverCalled },
  ]);
});

test('a cloud LLM gets the redacted ticket by default, whatever its name; a local one the whole ticket', async () => {
  const cloud = scriptedProvider('local', () => JSON.stringify(validOutput()));
  const onPrem = scriptedProvider('local', () => JSON.stringify(validOutput()));
  const ticket = makeTicket({ body: 'Our key is sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c, please check.' });
  await chainOf([{ name: 'local', kind: 'cloud_llm', provider: cloud.provider }]).chain.run(ticket);
  await chainOf([{ name: 'local', kind: 'local_llm', provider: onPrem.provider }]).chain.run(ticket);
  assert.doesNotMatch(cloud.seen[0]!.user, /sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c/);
  assert.match(onPrem.seen[0]!.user, /sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c/);
});

test('every open circuit (nothing disabled) ends in a circuit_open failure without calling anyone', async () => {
  const local = scriptedProvider('local', () => JSON.stringify(validOutput()));
  const { chain, providers } = chainOf([{ name: 'local', provider: local.provider }]);
  providers[0]!.breaker.recordFailure();
  const r = await chain.run(makeTicket());
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.errorClass, 'circuit_open');
  assert.equal(local.seen.length, 0);
});
