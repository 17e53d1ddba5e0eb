import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/observability/logger.ts';
import { Releasers } from '../../src/service.ts';

test('releases run in reverse order, all of them, and the first failure is rethrown afterwards', async () => {
  const releasers = new Releasers(createLogger({ level: 'silent' }));
  const order: string[] = [];
  releasers.add('database', async () => {
    order.push('database');
  });
  releasers.add('queue', async () => {
    order.push('queue');
    throw new Error('queue drain did not finish');
  });
  releasers.add('http', async () => {
    order.push('http');
    throw new Error('http close failed');
  });
  releasers.add('sweeper', async () => {
    order.push('sweeper');
  });
  await assert.rejects(releasers.releaseAll(), /http close failed/);
  assert.deepEqual(order, ['sweeper', 'http', 'queue', 'database']);
  await releasers.releaseAll(); // nothing left: resolves
});
