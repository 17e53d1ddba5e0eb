// Every error row of CONTRACTS §1.4 produced over a real socket, plus the duplicate / already-queued answers. Each
// refusal is checked to have queued nothing, and every error body to carry no stack or internals.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import pg from 'pg';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { createIntakeQueue, type IntakeQueue } from '../../src/intake/enqueue.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { TestDatabase } from '../helpers/db.ts';
import {
  CLIENT_SECRET,
  createLogCapture,
  type IntakeApp,
  jobByKey,
  listJobs,
  PUBLIC_URL,
  postWebhook,
  signV1,
  signV2,
  signV3,
  specTicket,
  startIntakeApp,
  TOKEN,
  useIntakeApp,
  WEBHOOK_PATH,
} from '../helpers/intake.ts';

let tdb: TestDatabase;
let intake: IntakeApp;
useIntakeApp({ auth: { clientSecret: CLIENT_SECRET, publicUrl: PUBLIC_URL } }, (used) => ({ tdb, intake } = used));

const UNAUTHORIZED = { error: 'unauthorized', message: 'Missing or invalid webhook credentials' };
const jobCount = async () => (await listJobs(tdb.pool)).length;

function assertNoInternals(text: string) {
  assert.doesNotMatch(text, /\bat .+\(.*:\d+:\d+\)|node_modules|\.ts:\d+|stack/i, `no stack in ${text}`);
}

test('401 for a missing or wrong token and for bad v1, v2 and v3 signatures; nothing is queued', async () => {
  const body = JSON.stringify(specTicket('401'));
  const uri = `${PUBLIC_URL}${WEBHOOK_PATH}`;
  const now = Date.now();
  const attempts: Array<[string, Record<string, string>, string?]> = [
    ['no credentials', {}],
    ['wrong token header', { 'x-webhook-token': `${TOKEN}x` }],
    ['token prefix', { 'x-webhook-token': TOKEN.slice(0, -1) }],
    ['wrong token in query', {}, `${WEBHOOK_PATH}?token=nope-nope-nope-nope`],
    ['v1 over another body', signV1(`${body} `)],
    ['v1 with another secret', signV1(body, 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz')],
    ['v2 over another URI', signV2('https://evil.example.com/webhook/hubspot', body)],
    ['v2 declared as v1', { ...signV2(uri, body), 'x-hubspot-signature-version': 'v1' }],
    ['unknown signature version', { ...signV1(body), 'x-hubspot-signature-version': 'v9' }],
    ['v3 over another body', signV3(uri, `${body}\n`, now)],
    ['v3 stale timestamp', signV3(uri, body, now - 6 * 60_000)],
    ['v3 future timestamp', signV3(uri, body, now + 6 * 60_000)],
    ['v3 without timestamp', { 'x-hubspot-signature-v3': signV3(uri, body, now)['x-hubspot-signature-v3']! }],
  ];
  for (const [name, headers, path] of attempts) {
    const response = await postWebhook(intake.url, body, { token: false, headers, ...(path ? { path } : {}) });
    assert.equal(response.status, 401, name);
    assert.deepEqual(response.body, { ...UNAUTHORIZED, request_id: response.headers.get('x-request-id') }, name);
  }
  assert.equal(await jobCount(), 0);
});

test('each method passes on its own: token in header or query, v1, v2, and v3 signed over PUBLIC_URL', async () => {
  const send = async (id: string, sign: (raw: string) => { headers?: Record<string, string>; path?: string }) => {
    const raw = JSON.stringify(specTicket(id));
    const { headers = {}, path } = sign(raw);
    return postWebhook(intake.url, raw, { token: false, headers, ...(path ? { path } : {}) });
  };
  const query = await send('1001', () => ({ path: `${WEBHOOK_PATH}?token=${encodeURIComponent(TOKEN)}` }));
  const header = await send('1002', () => ({ headers: { 'X-Webhook-Token': TOKEN } }));
  const v1 = await send('1003', (raw) => ({ headers: signV1(raw) }));
  const v2 = await send('1004', (raw) => ({ headers: signV2(`${PUBLIC_URL}${WEBHOOK_PATH}`, raw) }));
  // v3 over the public URL, with a query whose ':' and '/' are percent-encoded (HubSpot signs them decoded).
  const v3Path = `${WEBHOOK_PATH}?source=a%3Ab%2Fc`;
  const v3 = await send('1005', (raw) => ({
    path: v3Path,
    headers: signV3(`${PUBLIC_URL}${WEBHOOK_PATH}?source=a:b/c`, raw, Date.now() - 60_000),
  }));
  for (const [name, response] of Object.entries({ query, header, v1, v2, v3 })) {
    assert.equal(response.status, 200, `${name}: ${response.text}`);
    assert.equal(response.body.status, 'accepted', name);
  }
  for (const id of ['1001', '1002', '1003', '1004', '1005']) assert.ok(await jobByKey(tdb.pool, `ticket:62515:${id}`));
});

test('400 invalid_json, and 415 for text/plain or a missing content type', async () => {
  const bad = await postWebhook(intake.url, '{"ticket_id": "1", "subject": ');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error, 'invalid_json');
  assert.equal(typeof bad.body.message, 'string');
  assert.equal(bad.body.request_id, bad.headers.get('x-request-id'));

  const valid = JSON.stringify(specTicket('415'));
  const text = await postWebhook(intake.url, valid, { headers: { 'content-type': 'text/plain' } });
  assert.equal(text.status, 415);
  assert.equal(text.body.error, 'unsupported_media_type');
  // Refused before any handler ran, and still tagged with its request id.
  assert.equal(text.body.request_id, text.headers.get('x-request-id'));

  // fetch sets no content type for a binary body.
  const none = await fetch(`${intake.url}${WEBHOOK_PATH}`, {
    method: 'POST',
    headers: { 'x-webhook-token': TOKEN },
    body: new TextEncoder().encode(valid),
  });
  assert.equal(none.status, 415);
  assert.equal(((await none.json()) as { error: string }).error, 'unsupported_media_type');
  assert.equal(await jobByKey(tdb.pool, 'ticket:62515:415'), undefined);
});

test('application/json with a charset parameter is accepted', async () => {
  const response = await postWebhook(intake.url, specTicket('416'), {
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
  assert.equal(response.status, 200, response.text);
  assert.ok(await jobByKey(tdb.pool, 'ticket:62515:416'));
});

test('400 validation_error names the field: missing subject, subject > 500, body > 100,000, bad id', async () => {
  const cases: Array<[string, unknown, { field: string; reason: string }]> = [
    [
      'spec without subject',
      specTicket('500', { properties: { hs_ticket_id: '500', content: 'x' } }),
      { field: 'properties.subject', reason: 'required' },
    ],
    [
      'blank subject',
      specTicket('501', { properties: { hs_ticket_id: '501', subject: ' \n\t ', content: 'x' } }),
      { field: 'properties.subject', reason: 'required' },
    ],
    [
      'subject of 501 characters',
      specTicket('502', { properties: { hs_ticket_id: '502', subject: 's'.repeat(501), content: 'x' } }),
      { field: 'properties.subject', reason: 'too_long' },
    ],
    [
      'body of 100,001 characters',
      specTicket('503', { properties: { hs_ticket_id: '503', subject: 's', content: 'b'.repeat(100_001) } }),
      { field: 'properties.content', reason: 'too_long' },
    ],
    ['flat without body', { ticket_id: '504', subject: 's' }, { field: 'content', reason: 'required' }],
    ['flat without id', { subject: 's', content: 'b' }, { field: 'ticket_id', reason: 'required' }],
    [
      'id with a slash',
      { ticket_id: '../505', subject: 's', content: 'b' },
      { field: 'ticket_id', reason: 'invalid_format' },
    ],
    ['scalar body', 42, { field: '$', reason: 'invalid_type' }],
    ['event without type', [{ objectId: 1 }], { field: '[0].subscriptionType', reason: 'required' }],
  ];
  for (const [name, body, details] of cases) {
    const response = await postWebhook(intake.url, body);
    assert.equal(response.status, 400, name);
    assert.equal(response.body.error, 'validation_error', name);
    assert.deepEqual(response.body.details, details, name);
    assert.equal(typeof response.body.message, 'string');
    assert.equal(response.body.request_id, response.headers.get('x-request-id'));
  }
  // Exactly at the limits is fine; an emoji counts as one character.
  const atLimit = specTicket('506', {
    properties: { hs_ticket_id: '506', subject: '🚨'.repeat(500), content: 'b'.repeat(100_000) },
  });
  assert.equal((await postWebhook(intake.url, atLimit)).status, 200);
  for (const id of ['500', '501', '502', '503'])
    assert.equal(await jobByKey(tdb.pool, `ticket:62515:${id}`), undefined);
});

test('413 payload_too_large above 1 MiB, before the body is read', async () => {
  const oversized = JSON.stringify({ ticket_id: '413', subject: 's', content: 'x'.repeat(1024 * 1024) });
  const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(`${intake.url}${WEBHOOK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-token': TOKEN },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The server may close the connection while the rest of the body is still being written.
    req.on('error', (error) => (req.writableFinished ? undefined : reject(error)));
    req.end(oversized);
  });
  assert.equal(result.status, 413);
  assert.equal(JSON.parse(result.body).error, 'payload_too_large');
  assert.equal(JSON.parse(result.body).message, 'Request body exceeds 1MB limit');
  assert.equal(await jobByKey(tdb.pool, 'ticket:-:413'), undefined);
});

test('429 with Retry-After once the per-IP unauthenticated limit is spent; authenticated deliveries still pass', async () => {
  const limited = await startIntakeApp(tdb, { unauthenticatedLimit: { max: 3, windowMs: 60_000 } });
  try {
    const body = specTicket('429');
    for (let i = 0; i < 3; i++) {
      assert.equal((await postWebhook(limited.url, body, { token: false })).status, 401, `attempt ${i + 1}`);
    }
    const refused = await postWebhook(limited.url, body, { token: false });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error, 'rate_limited');
    assert.equal(refused.body.request_id, refused.headers.get('x-request-id'));
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    // The same IP with credentials is never limited, even repeatedly.
    for (let i = 0; i < 5; i++) {
      const ok = await postWebhook(limited.url, specTicket(`${4290 + i}`));
      assert.equal(ok.status, 200, ok.text);
    }
    // A wrong token counts as unauthenticated.
    const wrong = await postWebhook(limited.url, body, {
      token: false,
      headers: { 'x-webhook-token': 'x'.repeat(20) },
    });
    assert.equal(wrong.status, 429);
  } finally {
    await limited.close();
  }
  assert.equal(await jobByKey(tdb.pool, 'ticket:62515:429'), undefined);
});

test('503 with Retry-After while draining and while the store is unavailable; nothing is acknowledged', async () => {
  const draining = await startIntakeApp(tdb);
  try {
    draining.lifecycle.startDraining();
    const response = await postWebhook(draining.url, specTicket('503'));
    assert.equal(response.status, 503);
    assert.equal(response.body.error, 'service_unavailable');
    assert.ok(Number(response.headers.get('retry-after')) >= 1);
  } finally {
    await draining.close();
  }

  // A pool pointing at a port nothing listens on: connection refused, as when PostgreSQL is down.
  const unreachable = new pg.Pool({
    connectionString: 'postgres://postgres@127.0.0.1:1/none',
    connectionTimeoutMillis: 2000,
  });
  unreachable.on('error', () => {});
  const storeDown = await startIntakeApp(tdb, { queue: createIntakeQueue(unreachable) });
  try {
    const response = await postWebhook(storeDown.url, specTicket('504'));
    assert.equal(response.status, 503);
    assert.equal(response.body.error, 'service_unavailable');
    assert.ok(Number(response.headers.get('retry-after')) >= 1);
    assertNoInternals(response.text);
    assert.doesNotMatch(response.text, /ECONNREFUSED|127\.0\.0\.1/);
  } finally {
    await storeDown.close();
    await unreachable.end();
  }
  assert.equal(await jobByKey(tdb.pool, 'ticket:62515:503'), undefined);
  assert.equal(await jobByKey(tdb.pool, 'ticket:62515:504'), undefined);
});

test('a posted ticket answers duplicate with original_processed_at; a queued one already_queued, no second job', async () => {
  const store = createTicketStore(tdb.db);
  await store.markTicketProcessed({ ticketId: '600', portalId: '62515', provider: 'rules', state: 'posted' });
  const { rows } = await tdb.pool.query<{ processed_at: Date }>(
    "select processed_at from processed_tickets where ticket_id = '600'",
  );
  const duplicate = await postWebhook(intake.url, specTicket('600'), { headers: { 'x-request-id': 'dup-1' } });
  assert.equal(duplicate.status, 200);
  assert.deepEqual(duplicate.body, {
    status: 'duplicate',
    ticket_id: '600',
    message: 'Ticket already processed',
    original_processed_at: rows[0]!.processed_at.toISOString(),
    request_id: 'dup-1',
  });
  assert.equal(await jobByKey(tdb.pool, 'ticket:62515:600'), undefined, 'no job for a posted ticket');
  const counted = await tdb.pool.query("select duplicates from processed_tickets where ticket_id = '600'");
  assert.equal(counted.rows[0].duplicates, 1);

  // A not_posted ticket is queued again.
  await store.markTicketProcessed({ ticketId: '601', portalId: '62515', provider: 'rules', state: 'not_posted' });
  assert.equal((await postWebhook(intake.url, specTicket('601'))).body.status, 'accepted');

  const first = await postWebhook(intake.url, specTicket('602'), { headers: { 'x-request-id': 'q-1' } });
  const again = await postWebhook(intake.url, specTicket('602'), { headers: { 'x-request-id': 'q-2' } });
  assert.deepEqual(first.body, { status: 'accepted', ticket_id: '602', request_id: 'q-1' });
  assert.deepEqual(again.body, { status: 'accepted', ticket_id: '602', request_id: 'q-2', already_queued: true });
  const jobs = (await listJobs(tdb.pool)).filter((job) => job.key === 'ticket:62515:602');
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0]!.payload.request_id, 'q-1', 'the first delivery is the one kept');
});

test('500 internal_error from a broken dependency leaks no stack or message; the error is logged', async () => {
  // There is no honest way to make the real route throw outside its mapped errors; a queue that breaks its
  // contract (resolves no outcome) stands in for an unexpected bug.
  const broken: IntakeQueue = { enqueue: async () => [] };
  const logs = createLogCapture();
  const app = await startIntakeApp(tdb, {
    queue: broken,
    logger: createLogger({ level: 'info', destination: logs.stream }),
  });
  try {
    const response = await postWebhook(app.url, specTicket('700'), { headers: { 'x-request-id': 'boom-1' } });
    assert.equal(response.status, 500);
    assert.deepEqual(response.body, {
      error: 'internal_error',
      message: 'An unexpected error occurred',
      request_id: 'boom-1',
    });
    assertNoInternals(response.text);
  } finally {
    await app.close();
  }
  const failed = logs.records().find((line) => line.msg === 'request failed');
  assert.ok(failed, 'the unexpected error is logged for the operator');
  assert.equal(failed.request_id, 'boom-1');
});

test('413 for a Webhooks-API batch over 100 events: a clear error naming the limit, and nothing queued', async () => {
  const events = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => ({
      eventId: from + i,
      subscriptionId: 1,
      portalId: 62515,
      appId: 7,
      occurredAt: Date.now(),
      subscriptionType: 'ticket.creation',
      attemptNumber: 0,
      objectId: from + i,
      changeSource: 'CRM',
    }));
  const before = await jobCount();
  const flood = await postWebhook(intake.url, events(5_000, 900_000));
  assert.equal(flood.status, 413, flood.text);
  assert.deepEqual(flood.body.details, { field: '$', reason: 'too_many_events', max_events: 100, events: 5_000 });
  assert.equal(flood.body.error, 'payload_too_large');
  assert.match(String(flood.body.message), /at most 100 events; this one has 5000/);
  assert.equal(await jobCount(), before, 'nothing queued');

  const full = await postWebhook(intake.url, events(100, 800_000));
  assert.equal(full.status, 200, full.text);
  assert.equal((full.body.accepted as string[]).length, 100);
});

test('a ticket whose text holds NUL and a lone surrogate is stored with them replaced, once', async () => {
  const body = specTicket('nul-1', {
    properties: { hs_ticket_id: 'nul-1', subject: 'Broken \u0000 export \ud83d', content: 'Body \u0000 with \ude00' },
  });
  const first = await postWebhook(intake.url, body);
  assert.equal(first.status, 200, first.text);
  const job = await jobByKey(tdb.pool, 'ticket:62515:nul-1');
  assert.equal(job?.payload.ticket?.subject, 'Broken \ufffd export \ufffd');
  assert.equal(job?.payload.ticket?.body, 'Body \ufffd with \ufffd');
  // What intake keeps must survive jsonb (triage_runs.ticket), which refuses both characters.
  const { rows } = await tdb.pool.query<{ ok: boolean }>(
    "select (pending_job->'ticket')::jsonb is not null as ok from processed_tickets where ticket_id = 'nul-1'",
  );
  assert.deepEqual(rows, [{ ok: true }]);
  const again = await postWebhook(intake.url, body);
  assert.equal(again.body.already_queued, true);
});
