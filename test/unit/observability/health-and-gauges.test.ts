import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHealthReporter } from '../../../src/observability/health.ts';
import { createMetrics, registerServiceGauges } from '../../../src/observability/metrics.ts';

const sources = {
  version: 't',
  startedAt: 0,
  now: () => 1_000,
  database: async () => ({ healthy: true, latencyMs: 1 }),
  queueCounts: async () => ({ staged: 0, pending: 0, failed: 0 }),
  queueRunner: () => ({ state: 'running', lastError: null }),
};

test('/health is degraded, with a warning, while a configured LLM circuit is open', async () => {
  const up = createHealthReporter({
    ...sources,
    providers: () => ({ local: { status: 'up' }, cloud: { status: 'disabled' } }),
  });
  assert.equal((await up()).status, 'healthy');
  const open = createHealthReporter({
    ...sources,
    providers: () => ({ local: { status: 'down', circuit: 'open' }, cloud: { status: 'up' } }),
  });
  const report = await open();
  assert.equal(report.status, 'degraded');
  assert.deepEqual(report.warnings, [
    'local_llm circuit open: tickets fall back to the next provider until it answers again',
  ]);
});

test('/health is degraded while the queue runner is not running', async () => {
  const report = await createHealthReporter({
    ...sources,
    queueRunner: () => ({ state: 'restarting', lastError: 'connection refused' }),
  })();
  assert.equal(report.status, 'degraded');
  assert.equal(report.dependencies.queue.status, 'restarting');
});

test('/metrics gauges: queue depth by state and circuit state per enabled provider, read at scrape time', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  let depth: Record<string, number> = { staged: 2, pending: 5, failed: 1 };
  let failing = false;
  registerServiceGauges(metrics, {
    queueDepth: async () => {
      if (failing) throw new Error('database away');
      return depth;
    },
    circuits: () => [
      { name: 'local', state: 'open', enabled: true },
      { name: 'groq', state: 'closed', enabled: false },
      { name: 'rules', state: 'half_open', enabled: true },
    ],
  });
  const text = await metrics.registry.metrics();
  assert.match(text, /triage_queue_depth\{state="staged"\} 2/);
  assert.match(text, /triage_queue_depth\{state="pending"\} 5/);
  assert.match(text, /triage_queue_depth\{state="failed"\} 1/);
  assert.match(text, /triage_provider_circuit_state\{provider="local"\} 2/);
  assert.match(text, /triage_provider_circuit_state\{provider="rules"\} 1/);
  assert.doesNotMatch(text, /provider="groq"/);
  depth = { staged: 0, pending: 3, failed: 1 };
  assert.match(await metrics.registry.metrics(), /triage_queue_depth\{state="pending"\} 3/);
  failing = true;
  assert.match(await metrics.registry.metrics(), /triage_queue_depth\{state="pending"\} 3/, 'keeps the last reading');
});
