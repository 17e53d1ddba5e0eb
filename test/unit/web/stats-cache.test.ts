import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProcessingStats } from '../../../src/db/ticket-store.ts';
import { createStatsCache } from '../../../src/web/stats-cache.ts';

const HOUR = 3_600_000;

/** A load that answers `total` = how many times it was called, and records each `since`, released by hand. */
function scriptedLoad() {
  const calls: Date[] = [];
  const pending: (() => void)[] = [];
  let fail = false;
  const load = (since: Date) =>
    new Promise<ProcessingStats>((resolve, reject) => {
      calls.push(since);
      const n = calls.length;
      pending.push(() => (fail ? reject(new Error('database down')) : resolve({ since, total: n } as ProcessingStats)));
    });
  return {
    load,
    calls,
    releaseAll: () => {
      for (const release of pending.splice(0)) release();
    },
    failNext: (value: boolean) => {
      fail = value;
    },
  };
}

test('counts once, serves the kept counts with their time, recounts in the background after maxAge', async () => {
  let clock = 1_000 * HOUR;
  const script = scriptedLoad();
  const cache = createStatsCache({ load: script.load, maxAgeMs: 60_000, hardMaxAgeMs: 600_000, now: () => clock });

  const first = cache.get(24 * 7);
  script.releaseAll();
  const counted = await first;
  assert.equal(counted.value.total, 1);
  assert.equal(counted.at.getTime(), clock);
  assert.equal(script.calls[0]?.getTime(), clock - 24 * 7 * HOUR, 'the window ends when the counts are taken');

  clock += 30_000;
  assert.equal((await cache.get(24 * 7)).value.total, 1, 'fresh: no recount');
  assert.equal(script.calls.length, 1);

  clock += 40_000; // 70 s old: served as it is while one recount runs
  const stale = await cache.get(24 * 7);
  assert.equal(stale.value.total, 1);
  await cache.get(24 * 7);
  assert.equal(script.calls.length, 2, 'one recount, however many requests');
  script.releaseAll();
  await new Promise((resolve) => setImmediate(resolve));
  const recounted = await cache.get(24 * 7);
  assert.equal(recounted.value.total, 2);
  assert.equal(recounted.at.getTime(), clock);
});

test('counts older than hardMaxAge are recounted before answering; a failed recount reaches the next request', async () => {
  let clock = 1_000 * HOUR;
  const script = scriptedLoad();
  const cache = createStatsCache({ load: script.load, maxAgeMs: 60_000, hardMaxAgeMs: 600_000, now: () => clock });
  const first = cache.get(720);
  script.releaseAll();
  await first;

  clock += 700_000;
  const waiting = cache.get(720);
  script.releaseAll();
  assert.equal((await waiting).value.total, 2, 'too old to show: counted again first');

  clock += 70_000;
  script.failNext(true);
  assert.equal((await cache.get(720)).value.total, 2, 'stale counts served while the recount runs');
  script.releaseAll();
  await new Promise((resolve) => setImmediate(resolve));
  const next = cache.get(720);
  script.releaseAll();
  await assert.rejects(next, /database down/);
  script.failNext(false);
  const again = cache.get(720);
  script.releaseAll();
  assert.equal((await again).value.total, 5);
});
