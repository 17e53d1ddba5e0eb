import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCircuitBreaker } from '../../../src/triage/breaker.ts';
import { fakeClock } from '../../helpers/clock.ts';

test('opens after 3 consecutive failures and skips for the cool-down', () => {
  const clock = fakeClock();
  const breaker = createCircuitBreaker({ now: clock.now });
  for (let i = 0; i < 2; i++) {
    assert.equal(breaker.tryAcquire(), true);
    breaker.recordFailure();
    assert.equal(breaker.state(), 'closed');
  }
  assert.equal(breaker.tryAcquire(), true);
  breaker.recordFailure();
  assert.equal(breaker.state(), 'open');
  assert.equal(breaker.tryAcquire(), false);
  clock.advance(59_999);
  assert.equal(breaker.tryAcquire(), false);
  assert.equal(breaker.snapshot().consecutiveFailures, 3);
});

test('a success in between resets the count', () => {
  const breaker = createCircuitBreaker({ now: fakeClock().now });
  breaker.recordFailure();
  breaker.recordFailure();
  breaker.recordSuccess();
  breaker.recordFailure();
  breaker.recordFailure();
  assert.equal(breaker.state(), 'closed');
});

test('after the cool-down exactly one probe goes through; its success closes the circuit', () => {
  const clock = fakeClock();
  const breaker = createCircuitBreaker({ now: clock.now, failureThreshold: 1, cooldownMs: 1000 });
  breaker.recordFailure();
  clock.advance(1000);
  assert.equal(breaker.state(), 'half_open', 'reported as half-open once the cool-down is over');
  assert.equal(breaker.tryAcquire(), true, 'the probe');
  assert.equal(breaker.tryAcquire(), false, 'a second caller while the probe is in flight');
  assert.equal(breaker.tryAcquire(), false);
  breaker.recordSuccess();
  assert.equal(breaker.state(), 'closed');
  assert.equal(breaker.tryAcquire(), true);
  assert.equal(breaker.tryAcquire(), true);
});

test('a failed probe reopens the circuit for a full cool-down', () => {
  const clock = fakeClock();
  const breaker = createCircuitBreaker({ now: clock.now, failureThreshold: 3, cooldownMs: 1000 });
  for (let i = 0; i < 3; i++) breaker.recordFailure();
  clock.advance(1000);
  assert.equal(breaker.tryAcquire(), true);
  breaker.recordFailure();
  assert.equal(breaker.state(), 'open');
  clock.advance(999);
  assert.equal(breaker.tryAcquire(), false);
  clock.advance(1);
  assert.equal(breaker.tryAcquire(), true);
});

test('a released probe can be taken again (caller aborted, provider not judged)', () => {
  const clock = fakeClock();
  const breaker = createCircuitBreaker({ now: clock.now, failureThreshold: 1, cooldownMs: 10 });
  breaker.recordFailure();
  clock.advance(10);
  assert.equal(breaker.tryAcquire(), true);
  breaker.release();
  assert.equal(breaker.tryAcquire(), true);
});

test('retry-after opens the circuit for exactly that long, even on the first failure', () => {
  const clock = fakeClock();
  const breaker = createCircuitBreaker({ now: clock.now, cooldownMs: 60_000 });
  breaker.recordFailure({ retryAfterMs: 5000 });
  assert.equal(breaker.state(), 'open');
  assert.equal(breaker.snapshot().openUntil, clock.now() + 5000);
  clock.advance(4999);
  assert.equal(breaker.tryAcquire(), false);
  clock.advance(1);
  assert.equal(breaker.tryAcquire(), true);
});

test('the snapshot keeps when the provider last answered and last failed, and why', () => {
  const clock = fakeClock(5_000);
  const breaker = createCircuitBreaker({ now: clock.now });
  assert.deepEqual(
    { ...breaker.snapshot(), state: undefined },
    {
      state: undefined,
      consecutiveFailures: 0,
      openUntil: null,
      lastSuccessAt: null,
      lastFailureAt: null,
      lastFailureReason: null,
    },
  );
  breaker.recordSuccess();
  clock.advance(1_000);
  breaker.recordFailure({ reason: 'timeout' });
  const snapshot = breaker.snapshot();
  assert.equal(snapshot.lastSuccessAt, 5_000);
  assert.equal(snapshot.lastFailureAt, 6_000);
  assert.equal(snapshot.lastFailureReason, 'timeout');
  clock.advance(1_000);
  breaker.recordSuccess();
  assert.equal(breaker.snapshot().lastSuccessAt, 7_000);
  assert.equal(breaker.snapshot().lastFailureReason, 'timeout', 'the last failure stays visible after a success');
});
