import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { createLifecycle } from '../../src/http/lifecycle.ts';
import { createIntakeQueue } from '../../src/intake/enqueue.ts';
import { createHealthReporter } from '../../src/observability/health.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { getQueueCounts } from '../../src/queue/stats.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(() => tdb.drop());

async function makeApp(options: { reachable?: () => Promise<boolean>; warnings?: () => string[] } = {}) {
  const store = createTicketStore(tdb.db);
  const lifecycle = createLifecycle();
  let now = 1_000_000;
  const app = await buildApp({
    config: loadConfig({}),
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
    lifecycle,
    health: createHealthReporter({
      version: '9.9.9',
      startedAt: 1_000_000 - 42_000,
      now: () => now,
      database: () => store.checkIdempotencyHealth(),
      queueCounts: () => getQueueCounts(tdb.pool, store),
      ...(options.warnings ? { warnings: options.warnings } : {}),
    }),
    databaseReachable: options.reachable ?? (async () => (await store.checkIdempotencyHealth()).healthy),
    intake: {
      auth: { token: 'app-test-token', clientSecret: null, publicUrl: null },
      queue: createIntakeQueue(tdb.pool),
    },
  });
  return { app, lifecycle, advance: (ms: number) => (now += ms) };
}

test('/health reports the database, the queue and uptime; failed jobs and raised warnings make it degraded', async () => {
  const { app } = await makeApp();
  const health = (await app.inject({ url: '/health' })).json();
  assert.equal(health.status, 'healthy');
  assert.equal(health.version, '9.9.9');
  assert.equal(health.uptime_seconds, 42);
  assert.equal(health.dependencies.database.status, 'up');
  assert.ok(health.dependencies.database.latency_ms >= 0);
  assert.deepEqual(health.dependencies.queue, { status: 'disabled', staged: 0, pending: 0, failed: 0 });
  assert.deepEqual(health.warnings, []);

  await tdb.pool.query(
    "select graphile_worker.add_job('triage-ticket', '{}'::json, max_attempts => 1, job_key => 'h1')",
  );
  await tdb.pool.query(
    "select graphile_worker.reschedule_jobs(array[(select id from graphile_worker.jobs where key = 'h1')], attempts => 1)",
  );
  await tdb.pool.query("select graphile_worker.add_job('triage-ticket', '{}'::json, job_key => 'h2')");
  const degraded = (await app.inject({ url: '/health' })).json();
  assert.equal(degraded.status, 'degraded');
  assert.deepEqual(degraded.dependencies.queue, { status: 'disabled', staged: 0, pending: 1, failed: 1 });
  assert.deepEqual(degraded.warnings, ['1 job(s) exhausted their retries']);
  await app.close();

  const warned = await makeApp({ warnings: () => ['discord webhook misconfigured'] });
  await tdb.pool.query("select graphile_worker.remove_job(key) from graphile_worker.jobs where key in ('h1', 'h2')");
  const body = (await warned.app.inject({ url: '/health' })).json();
  assert.equal(body.status, 'degraded');
  assert.deepEqual(body.warnings, ['discord webhook misconfigured']);
  await warned.app.close();
});

test('readiness follows the database and draining; liveness does not', async () => {
  let reachable = true;
  const { app, lifecycle } = await makeApp({ reachable: async () => reachable });
  assert.equal((await app.inject({ url: '/health/ready' })).statusCode, 200);
  reachable = false;
  const down = await app.inject({ url: '/health/ready' });
  assert.equal(down.statusCode, 503);
  assert.deepEqual(down.json(), { status: 'database_unreachable' });
  reachable = true;
  lifecycle.startDraining();
  const draining = await app.inject({ url: '/health/ready' });
  assert.equal(draining.statusCode, 503);
  assert.deepEqual(draining.json(), { status: 'shutting_down' });
  const health = await app.inject({ url: '/health' });
  assert.equal(health.statusCode, 503);
  assert.deepEqual(health.json(), { status: 'shutting_down' });
  assert.equal((await app.inject({ url: '/health/live' })).statusCode, 200);
  await app.close();
});

test('unknown routes get a JSON 404 with the request id, and a sane X-Request-ID is echoed', async () => {
  const { app } = await makeApp();
  const response = await app.inject({ url: '/nope', headers: { 'x-request-id': 'req-123' } });
  assert.equal(response.statusCode, 404);
  assert.deepEqual(response.json(), { error: 'not_found', message: 'Route not found', request_id: 'req-123' });
  assert.equal(response.headers['x-request-id'], 'req-123');
  const insane = await app.inject({ url: '/nope', headers: { 'x-request-id': 'bad id with spaces\n' } });
  assert.match(String(insane.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  await app.close();
});

test('/metrics serves Prometheus text including the HTTP histogram', async () => {
  const { app } = await makeApp();
  await app.inject({ url: '/health/live' });
  const response = await app.inject({ url: '/metrics' });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /text\/plain/);
  assert.match(
    response.body,
    /triage_http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} 1/,
  );
  await app.close();
});
