// The cloud token budget over an in-memory counter and an injected clock: spent at the limit, reset at 00:00 UTC,
// the status /health and /metrics read, and failing open when the counter is unreachable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createCloudBudget,
  createMemoryTokenCounter,
  nextUtcMidnight,
  type TokenCounter,
  utcDay,
} from '../../../src/triage/budget.ts';
import { captureLogger } from '../../helpers/logger.ts';

function clockAt(iso: string) {
  let at = new Date(iso);
  return { now: () => at, set: (next: string) => (at = new Date(next)) };
}

test('allows until the day reaches the budget, then refuses until the next UTC day', async () => {
  const clock = clockAt('2026-11-25T23:58:00.000Z');
  const log = captureLogger();
  const budget = createCloudBudget({
    dailyTokens: 1000,
    counter: createMemoryTokenCounter(),
    logger: log.logger,
    now: clock.now,
  });
  assert.equal(await budget.allows(), true);
  await budget.record(999);
  assert.equal(await budget.allows(), true);
  await budget.record(1);
  assert.equal(await budget.allows(), false);
  assert.equal(await budget.allows(), false);
  const status = await budget.status();
  assert.deepEqual(status, {
    day: '2026-11-25',
    usedTokens: 1000,
    limitTokens: 1000,
    spent: true,
    resetsAt: '2026-11-26T00:00:00.000Z',
    estimatedCost: null,
  });
  assert.equal(log.lines().filter((l) => l.includes('cloud token budget spent until 00:00 UTC')).length, 1);

  clock.set('2026-11-26T00:00:00.000Z');
  assert.equal(await budget.allows(), true);
  assert.equal((await budget.status()).usedTokens, 0);
});

test('the cost estimate uses the price per million tokens', async () => {
  const budget = createCloudBudget({
    dailyTokens: 10_000_000,
    pricePerMillionTokens: 0.59,
    counter: createMemoryTokenCounter(),
    logger: captureLogger().logger,
    now: () => new Date('2026-01-01T12:00:00Z'),
  });
  await budget.record(2_500_000);
  assert.equal((await budget.status()).estimatedCost, 1.475);
});

test('an unreadable counter lets the cloud be used (logged); a failed count does not throw', async () => {
  const broken: TokenCounter = {
    read: () => Promise.reject(new Error('connection refused')),
    add: () => Promise.reject(new Error('connection refused')),
  };
  const log = captureLogger();
  const budget = createCloudBudget({ dailyTokens: 1, counter: broken, logger: log.logger });
  assert.equal(await budget.allows(), true);
  await budget.record(50);
  await assert.rejects(budget.status(), /connection refused/);
  assert.ok(log.lines().some((l) => l.includes('cloud token budget unreadable')));
  assert.ok(log.lines().some((l) => l.includes('cloud tokens not counted')));
});

test('UTC day boundaries', () => {
  assert.equal(utcDay(new Date('2026-12-31T23:59:59.999Z')), '2026-12-31');
  assert.equal(nextUtcMidnight(new Date('2026-12-31T23:59:59.999Z')).toISOString(), '2027-01-01T00:00:00.000Z');
  assert.equal(nextUtcMidnight(new Date('2026-02-28T00:00:00.000Z')).toISOString(), '2026-03-01T00:00:00.000Z');
});
