// What a new user sees when something is off at start-up, through the real entry point: one line naming the setting
// and the fix (no stack), nothing processed; and, when all is well, a banner whose curl really queues a ticket.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { queueTickets } from '../../src/db/ticket-store.ts';
import { eventPayload } from '../fixtures/payloads.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { cleanEnv, jsonLine, spawnService } from '../helpers/process.ts';

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(() => tdb.drop());

async function listening(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

function run(env: Record<string, string>) {
  return spawnService(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], cleanEnv(env));
}

test('a port in use: one line naming PORT, exit 1, and no queued ticket is worked on', async () => {
  await queueTickets(tdb.pool, [eventPayload('port-1', '7')], 5_000);
  const holder = createServer();
  const port = await listening(holder);
  const service = run({ DATABASE_URL: tdb.url, PORT: String(port), HUBSPOT_WEBHOOK_TOKEN: 'first-run-token-0123' });
  try {
    const exit = await service.waitForExit(30_000);
    assert.deepEqual(exit, { code: 1, signal: null });
    const stderr = service.stderr();
    assert.match(stderr, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is in use \\(PORT\\)`));
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
    assert.doesNotMatch(stderr, /Discord message/, 'nothing was posted');
    const { rows } = await tdb.pool.query(
      "select status, pending_job is not null as staged from processed_tickets where ticket_id = 'port-1'",
    );
    assert.deepEqual(rows, [{ status: 'queued', staged: true }], 'the ticket still waits, untouched');
  } finally {
    service.killGroup();
    holder.close();
  }
});

test('a DATABASE_URL that cannot be used names the variable, where it points (no password) and the likely fix', async () => {
  const closed = createServer();
  const closedPort = await listening(closed);
  closed.close();
  const http = createHttpServer((_request, response) => response.end('hello'));
  const httpPort = await listening(http);
  const base = new URL(tdb.url);
  // The real server's credentials (the embedded one checks the password), another database.
  const missing = new URL(tdb.url);
  missing.pathname = '/no_such_database_here';
  const cases = [
    [`postgres://postgres:secret-password-1@127.0.0.1:${closedPort}/x`, /nothing accepts connections there/],
    [missing.toString(), /database "no_such_database_here" does not exist\. Create it/],
    [`postgres://postgres@127.0.0.1:${httpPort}/x`, /does not speak the PostgreSQL protocol \(an HTTP port\?\)/],
  ] as const;
  try {
    for (const [url, reason] of cases) {
      const service = run({ DATABASE_URL: url, PORT: '0', HUBSPOT_WEBHOOK_TOKEN: 'first-run-token-0123' });
      try {
        assert.deepEqual(await service.waitForExit(30_000), { code: 1, signal: null }, url);
        const stderr = service.stderr();
        assert.match(stderr, /^Cannot use DATABASE_URL \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+\): /m);
        assert.match(stderr, reason);
        assert.doesNotMatch(stderr, /secret-password-1/);
        if (base.password)
          assert.ok(!stderr.includes(decodeURIComponent(base.password)), 'the password is not printed');
        assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
      } finally {
        service.killGroup();
      }
    }
  } finally {
    http.close();
  }
  assert.ok(base.hostname, 'the test database URL parsed');
});

test('after start-up a plain banner on stderr gives the dashboard, the token file and a curl that works', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'triage-first-run-'));
  const service = run({ DATABASE_URL: tdb.url, PORT: '0', DATA_DIR: dataDir, TRIAGE_PROVIDERS: 'rules' });
  try {
    const url = String(jsonLine(await service.waitForLine((l) => jsonLine(l)?.msg === 'service started'))?.url);
    await waitFor(service, () => service.stderr().includes('Stop:'), 'the banner');
    const banner = service.stderr();
    const tokenFile = join(dataDir, 'webhook-token');
    assert.ok(banner.includes(`Dashboard: ${url}/`), banner);
    assert.ok(banner.includes(`Token:     ${tokenFile}`), banner);
    assert.ok(banner.includes(`curl -sS ${url}/webhook/hubspot`), banner);
    assert.ok(!banner.includes(readFileSync(tokenFile, 'utf8').trim()), 'the token itself is never printed');

    // The banner's own example delivery, sent the way its curl sends it.
    const body = /-d '(\{.*\})'/.exec(banner)?.[1];
    assert.ok(body, 'the banner carries an example body');
    const response = await fetch(`${url}/webhook/hubspot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-token': readFileSync(tokenFile, 'utf8').trim() },
      body,
    });
    assert.equal(response.status, 200);
    await waitFor(service, () => service.stderr().includes('=== Discord message'), 'the console message');
    assert.match(service.stderr(), /CSV export does nothing/);
    assert.ok(
      service.lines.every((line) => line === '' || jsonLine(line) !== null),
      'stdout carries only the JSON log',
    );
  } finally {
    service.killGroup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Resolves once `condition` holds on what the child printed so far, checked on each chunk of its stderr. */
function waitFor(service: ReturnType<typeof run>, condition: () => boolean, what: string): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      service.child.stderr?.off('data', check);
      reject(new Error(`${what} did not appear within 30 s; stderr:\n${service.stderr()}`));
    }, 30_000);
    function check() {
      // The helper's own listener was added first, so the chunk is already in service.stderr().
      if (!condition()) return;
      clearTimeout(timer);
      service.child.stderr?.off('data', check);
      resolve();
    }
    service.child.stderr?.on('data', check);
  });
}
