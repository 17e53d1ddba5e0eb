import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createRunStore } from '../../src/db/run-store.ts';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { HttpError } from '../../src/http/errors.ts';
import { createLifecycle } from '../../src/http/lifecycle.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { dashboardRoutes } from '../../src/web/dashboard.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
  const store = createTicketStore(tdb.db);
  await store.claimTicket({ ticketId: 'd-ok', portalId: '77' }, 'w', 60_000);
  await store.markTicketProcessed({ ticketId: 'd-ok', portalId: '77', provider: 'groq', state: 'posted', owner: 'w' });
  await store.claimTicket({ ticketId: 'd-fail', portalId: '77' }, 'w', 60_000);
  await store.markTicketProcessed({
    ticketId: 'd-fail',
    portalId: '77',
    provider: 'groq',
    state: 'posted_as_failure',
    owner: 'w',
  });
  await store.claimTicket({ ticketId: 'd-bad', portalId: null }, 'w', 60_000);
  await store.markTicketProcessed({
    ticketId: 'd-bad',
    portalId: null,
    provider: null,
    state: 'not_posted',
    owner: 'w',
    error: 'discord_config: <script>alert(1)</script>',
  });
  await tdb.pool.query(
    `insert into triage_runs (ticket_id, portal_id, request_id, attempt, status, provider, model, timings, output)
     values ('d-ok', '77', 'r1', 1, 'posted', 'groq', 'openai/gpt-oss-120b', '{"totalMs": 812.4}', '{"priority": "high"}'),
            ('d-fail', '77', 'r2', 1, 'posted_as_failure', 'groq', null, '{"totalMs": 40}', null)`,
  );
});
after(() => tdb.drop());

async function app(adminToken: string | null) {
  const server = Fastify();
  server.setErrorHandler((error, _request, reply) => {
    const http = error instanceof HttpError ? error : new HttpError(500, 'internal_error', 'x');
    reply.headers(http.headers).code(http.statusCode).send({ error: http.code });
  });
  await server.register(
    dashboardRoutes({ tickets: createTicketStore(tdb.db), runs: createRunStore(tdb.db), adminToken }),
  );
  return server;
}

test('without ADMIN_TOKEN the dashboard is served to loopback only, with states, tickets not posted and runs', async () => {
  const server = await app(null);
  const page = await server.inject({ url: '/dashboard' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(
    page.body,
    /<th>tickets<\/th><th>posted<\/th><th>posted_as_failure<\/th><th>not_posted<\/th><th>in progress<\/th>/,
  );
  // tickets, posted, posted_as_failure, not_posted, in progress, duplicates, success rate: the failure message is
  // not a success (1 of 3 ended tickets got a triage).
  assert.match(page.body, /<td>3<\/td><td>1<\/td><td>1<\/td><td>1<\/td><td>0<\/td><td>0<\/td><td>33\.3%<\/td>/);
  assert.match(page.body, /Not posted: needs a person \(1\)/);
  assert.match(page.body, /<td>posted_as_failure<\/td><td><\/td><td>groq<\/td>/, 'the run row says what was posted');
  assert.match(page.body, /<td>not_posted<\/td><td>nothing reached Discord/, 'the states table');
  assert.doesNotMatch(page.body, /notified|failed</, 'none of the old words');
  assert.match(page.body, /href="https:\/\/app\.hubspot\.com\/contacts\/77\/record\/0-5\/d-ok"/);
  assert.match(page.body, /openai\/gpt-oss-120b/);
  assert.match(page.body, /<td>812<\/td>/);
  assert.ok(page.body.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
  assert.ok(!page.body.includes('<script>'));

  const remote = await server.inject({ url: '/dashboard', remoteAddress: '10.1.2.3' });
  assert.equal(remote.statusCode, 403);
  await server.close();
});

test('with ADMIN_TOKEN the dashboard asks for it (Basic password or Bearer) from everyone', async () => {
  const token = 'dashboard-secret-0123456789';
  const server = await app(token);
  const none = await server.inject({ url: '/dashboard' });
  assert.equal(none.statusCode, 401);
  assert.match(String(none.headers['www-authenticate']), /^Basic realm=/);
  const wrong = await server.inject({
    url: '/dashboard',
    headers: { authorization: `Basic ${Buffer.from('lead:not-it').toString('base64')}` },
  });
  assert.equal(wrong.statusCode, 401);
  const basic = await server.inject({
    url: '/dashboard',
    remoteAddress: '10.1.2.3',
    headers: { authorization: `Basic ${Buffer.from(`lead:${token}`).toString('base64')}` },
  });
  assert.equal(basic.statusCode, 200);
  const bearer = await server.inject({ url: '/dashboard', headers: { authorization: `Bearer ${token}` } });
  assert.equal(bearer.statusCode, 200);
  await server.close();
});

test('X-Forwarded-For is believed only when TRUST_PROXY says so', async () => {
  const build = async (env: Record<string, string>) =>
    buildApp({
      config: loadConfig(env),
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics({ defaultMetrics: false }),
      lifecycle: createLifecycle(),
      health: async () => ({}) as never,
      databaseReachable: async () => true,
      intake: {
        auth: { token: 'dashboard-test-token', clientSecret: null, publicUrl: null },
        queue: { enqueue: async () => [] },
      },
      dashboard: { tickets: createTicketStore(tdb.db), runs: createRunStore(tdb.db) },
    });
  const forwarded = { 'x-forwarded-for': '203.0.113.9' };
  const direct = await build({});
  assert.equal(
    (await direct.inject({ url: '/dashboard', headers: forwarded })).statusCode,
    200,
    'spoofed header ignored',
  );
  await direct.close();
  const behindProxy = await build({ TRUST_PROXY: '127.0.0.1' });
  assert.equal((await behindProxy.inject({ url: '/dashboard', headers: forwarded })).statusCode, 403);
  await behindProxy.close();
});
