// Every delivery shape of CONTRACTS §1.2 over a real socket: the §1.4 response and the committed job row, whose
// payload carries the §1.3 normalized ticket exactly (or, for Webhooks API events, the event to enrich later).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestDatabase } from '../helpers/db.ts';
import { type IntakeApp, jobByKey, postWebhook, useIntakeApp } from '../helpers/intake.ts';

let tdb: TestDatabase;
let intake: IntakeApp;
useIntakeApp({}, (used) => ({ tdb, intake } = used));

/** Posts with a fixed X-Request-ID and returns the response plus the window in which received_at must fall. */
async function deliver(body: unknown, requestId: string, headers: Record<string, string> = {}) {
  const before = Date.now();
  const response = await postWebhook(intake.url, body, { headers: { 'x-request-id': requestId, ...headers } });
  return { response, before, after: Date.now() };
}

function assertReceivedAt(value: unknown, window: { before: number; after: number }): string {
  assert.equal(typeof value, 'string');
  const at = Date.parse(value as string);
  assert.equal(new Date(at).toISOString(), value, 'received_at is ISO-8601 UTC');
  assert.ok(at >= window.before && at <= window.after, `received_at ${value} set at intake`);
  return value as string;
}

test('spec format: 200 accepted and one triage-ticket job carrying the normalized ticket', async () => {
  const body = {
    objectId: 4321,
    subscriptionType: 'ticket.creation',
    portalId: 62515,
    occurredAt: Date.now() - 1000,
    properties: {
      hs_ticket_id: '1234',
      subject: '  Cannot log in after password reset  ',
      content: '<p>Since this morning I get <b>Error 500</b> on /login.</p>\n',
      hs_pipeline_stage: '1',
      hs_ticket_priority: 'HIGH',
      source_type: 'EMAIL',
    },
    associatedContacts: [
      { id: 'c1', email: ' jane.doe@acme.example ', firstname: 'Jane', lastname: 'Doe', company: 'Acme' },
      { id: 'c2', email: 'second@acme.example', firstname: 'Not', lastname: 'First' },
    ],
    customProperties: { customer_tier: 'Enterprise', product_area: 'Authentication', unrelated: 'x' },
  };
  const { response, ...window } = await deliver(body, 'req-spec-1');
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { status: 'accepted', ticket_id: '1234', request_id: 'req-spec-1' });
  assert.equal(response.headers.get('x-request-id'), 'req-spec-1');

  // properties.hs_ticket_id wins over objectId, so the key is built from it.
  const job = await jobByKey(tdb.pool, 'ticket:62515:1234');
  assert.ok(job, 'job row committed before the 2xx');
  assert.equal(job.task_identifier, 'triage-ticket');
  assert.equal(job.max_attempts, 8);
  const receivedAt = assertReceivedAt(job.payload.received_at, window);
  assert.deepEqual(job.payload, {
    v: 1,
    request_id: 'req-spec-1',
    received_at: receivedAt,
    ticket_id: '1234',
    portal_id: '62515',
    ticket: {
      ticket_id: '1234',
      subject: 'Cannot log in after password reset',
      body: '<p>Since this morning I get <b>Error 500</b> on /login.</p>',
      from_email: 'jane.doe@acme.example',
      customer_name: 'Jane Doe',
      customer_tier: 'enterprise',
      product_area: 'Authentication',
      hubspot_ticket_url: 'https://app.hubspot.com/contacts/62515/record/0-5/1234',
      portal_id: '62515',
      received_at: receivedAt,
      request_id: 'req-spec-1',
    },
    event: null,
  });
});

test('workflow "all properties" object: plain string and {value} properties, id from objectId/id/hs_object_id', async () => {
  const body = {
    id: '9001',
    portalId: '62515',
    createdAt: '2026-01-01T00:00:00Z',
    archived: false,
    properties: {
      subject: { value: ' Invoice shows wrong VAT ', timestamp: 1767225600000, source: 'CRM_UI', sourceId: 'u1' },
      content: 'The invoice for March has 19% instead of 7%.',
      hs_object_id: { value: '9001', timestamp: 1767225600000, source: 'CALCULATED' },
      customer_tier: { value: 'PRO', timestamp: 1, source: 'API' },
      product_area: '   ',
      hs_pipeline: '0',
    },
  };
  const { response, ...window } = await deliver(body, 'req-wf-1');
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { status: 'accepted', ticket_id: '9001', request_id: 'req-wf-1' });
  const job = await jobByKey(tdb.pool, 'ticket:62515:9001');
  assert.ok(job);
  const receivedAt = assertReceivedAt(job.payload.received_at, window);
  assert.deepEqual(job.payload.ticket, {
    ticket_id: '9001',
    subject: 'Invoice shows wrong VAT',
    body: 'The invoice for March has 19% instead of 7%.',
    from_email: null,
    customer_name: null,
    customer_tier: 'pro',
    product_area: null,
    hubspot_ticket_url: 'https://app.hubspot.com/contacts/62515/record/0-5/9001',
    portal_id: '62515',
    received_at: receivedAt,
    request_id: 'req-wf-1',
  });
  assert.equal(job.payload.event, null);

  // Only properties.hs_object_id (wrapped) carries the id, and no portal is known: no URL, key with '-'.
  const onlyObjectId = {
    properties: {
      hs_object_id: { value: 9002 },
      subject: { value: 'Export to CSV times out' },
      content: { value: 'Large exports never finish.' },
    },
  };
  const second = await deliver(onlyObjectId, 'req-wf-2');
  assert.equal(second.response.status, 200);
  assert.equal(second.response.body.ticket_id, '9002');
  const noPortal = await jobByKey(tdb.pool, 'ticket:-:9002');
  assert.ok(noPortal);
  assert.equal(noPortal.payload.portal_id, null);
  assert.equal(noPortal.payload.ticket?.hubspot_ticket_url, null);
  assert.equal(noPortal.payload.ticket?.portal_id, null);
  assert.equal(noPortal.payload.ticket?.subject, 'Export to CSV times out');
});

test('workflow customized flat body: the documented aliases', async () => {
  const aliased = {
    hs_object_id: 777,
    subject: 'Feature request: dark mode',
    body: '<div>Please add a dark theme.</div>',
    from_email: 'sam@example.org',
    customer_name: '  Sam  Lee ',
    firstname: 'Ignored',
    customer_tier: ' Free ',
    product_area: 'UI',
    portal_id: 62515,
    some_admin_field: { nested: [1, 2, 3] },
  };
  const { response, ...window } = await deliver(aliased, 'req-flat-1');
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { status: 'accepted', ticket_id: '777', request_id: 'req-flat-1' });
  const job = await jobByKey(tdb.pool, 'ticket:62515:777');
  assert.ok(job);
  const receivedAt = assertReceivedAt(job.payload.received_at, window);
  assert.deepEqual(job.payload.ticket, {
    ticket_id: '777',
    subject: 'Feature request: dark mode',
    body: '<div>Please add a dark theme.</div>',
    from_email: 'sam@example.org',
    customer_name: 'Sam  Lee',
    customer_tier: 'free',
    product_area: 'UI',
    hubspot_ticket_url: 'https://app.hubspot.com/contacts/62515/record/0-5/777',
    portal_id: '62515',
    received_at: receivedAt,
    request_id: 'req-flat-1',
  });

  const canonical = {
    ticket_id: 'T-778',
    subject: 'Password reset mail never arrives',
    content: 'Checked spam.',
    email: 'kim@example.org',
    firstname: 'Kim',
    lastname: '',
  };
  const second = await deliver(canonical, 'req-flat-2');
  assert.equal(second.response.status, 200);
  const row = await jobByKey(tdb.pool, 'ticket:-:T-778');
  assert.ok(row);
  assert.deepEqual(row.payload.ticket, {
    ticket_id: 'T-778',
    subject: 'Password reset mail never arrives',
    body: 'Checked spam.',
    from_email: 'kim@example.org',
    customer_name: 'Kim',
    customer_tier: null,
    product_area: null,
    hubspot_ticket_url: null,
    portal_id: null,
    received_at: row.payload.received_at,
    request_id: 'req-flat-2',
  });
});

test('Webhooks API array: ticket creations are queued as events, property changes and contacts are ignored', async () => {
  const occurredAt = Date.now() - 5000;
  const common = { subscriptionId: 77, portalId: 62515, appId: 4242, attemptNumber: 0, changeSource: 'CRM' };
  const batch = [
    { ...common, eventId: 1001, occurredAt, subscriptionType: 'ticket.creation', objectId: 501 },
    {
      ...common,
      eventId: 1002,
      occurredAt,
      subscriptionType: 'ticket.propertyChange',
      objectId: 501,
      propertyName: 'subject',
      propertyValue: 'x',
    },
    { ...common, eventId: 1003, occurredAt, subscriptionType: 'contact.creation', objectId: 9_999 },
    { ...common, eventId: 1004, occurredAt, subscriptionType: 'object.creation', objectTypeId: '0-5', objectId: 502 },
  ];
  const { response, ...window } = await deliver(batch, 'req-batch-1');
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, {
    status: 'accepted',
    accepted: ['501', '502'],
    ignored: 2,
    request_id: 'req-batch-1',
  });
  const job = await jobByKey(tdb.pool, 'ticket:62515:501');
  assert.ok(job);
  const receivedAt = assertReceivedAt(job.payload.received_at, window);
  assert.deepEqual(job.payload, {
    v: 1,
    request_id: 'req-batch-1',
    received_at: receivedAt,
    ticket_id: '501',
    portal_id: '62515',
    ticket: null,
    event: {
      ticket_id: '501',
      portal_id: '62515',
      occurred_at: new Date(occurredAt).toISOString(),
      event_id: '1001',
    },
  });
  const objectCreation = await jobByKey(tdb.pool, 'ticket:62515:502');
  assert.equal(objectCreation?.payload.event?.event_id, '1004');
  assert.equal(await jobByKey(tdb.pool, 'ticket:62515:9999'), undefined, 'the contact creation queued nothing');

  // A batch with nothing to queue is still acknowledged (HubSpot retries any 4xx).
  const onlyOthers = await deliver([batch[1], batch[2]], 'req-batch-2');
  assert.equal(onlyOthers.response.status, 200);
  assert.deepEqual(onlyOthers.response.body, {
    status: 'accepted',
    accepted: [],
    ignored: 2,
    request_id: 'req-batch-2',
  });
});

test('unknown fields are ignored and unicode reaches the job payload byte for byte', async () => {
  const subject = 'Zahlung fehlgeschlagen 💳🚨 — 日本語の件名 — مرحبا';
  const body = 'Family 👨‍👩‍👧‍👦, flags 🇩🇪🇯🇵, combining é (e\u0301), astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, <b>HTML</b> & "quotes"';
  const delivery = {
    ticket_id: 'uni-1',
    subject,
    content: body,
    customer_name: 'Zoë Ñúñez',
    unknown_top_level: { deeply: { nested: ['ignored', 1, null, true] } },
  };
  // An own "__proto__" key, as JSON.parse produces it, must not reach any prototype.
  const raw = JSON.stringify(delivery).replace(/^\{/, '{"__proto__":{"polluted":true},"constructor":{"prototype":1},');
  // Also send the same text as \u escapes in a second ticket: JSON escaping must not change the stored text.
  const escaped = JSON.stringify({ ticket_id: 'uni-2', subject, content: body }).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  assert.ok(!/[^\u0020-\u007e]/.test(escaped), 'the escaped body is pure ASCII');

  const first = await postWebhook(intake.url, raw);
  const second = await postWebhook(intake.url, escaped);
  assert.equal(first.status, 200, first.text);
  assert.equal(second.status, 200, second.text);
  for (const key of ['ticket:-:uni-1', 'ticket:-:uni-2']) {
    const job = await jobByKey(tdb.pool, key);
    assert.ok(job);
    assert.deepEqual(Buffer.from(job.payload.ticket?.subject ?? ''), Buffer.from(subject));
    assert.deepEqual(Buffer.from(job.payload.ticket?.body ?? ''), Buffer.from(body));
    assert.equal(Object.hasOwn(job.payload.ticket ?? {}, 'unknown_top_level'), false);
    assert.equal(Object.hasOwn(job.payload.ticket ?? {}, 'polluted'), false);
  }
  assert.equal((await jobByKey(tdb.pool, 'ticket:-:uni-1'))?.payload.ticket?.customer_name, 'Zoë Ñúñez');
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
});

test('X-Request-ID: a sane one is echoed everywhere, an unsafe or oversized one is replaced by a UUID', async () => {
  const sane = await postWebhook(
    intake.url,
    { ticket_id: 'rid-1', subject: 's', content: 'b' },
    {
      headers: { 'x-request-id': 'hs:Abc-123_x.y' },
    },
  );
  assert.equal(sane.status, 200);
  assert.equal(sane.headers.get('x-request-id'), 'hs:Abc-123_x.y');
  assert.equal(sane.body.request_id, 'hs:Abc-123_x.y');
  const job = await jobByKey(tdb.pool, 'ticket:-:rid-1');
  assert.equal(job?.payload.request_id, 'hs:Abc-123_x.y');
  assert.equal(job?.payload.ticket?.request_id, 'hs:Abc-123_x.y');

  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const cases = ['<script>alert(1)</script>', 'has spaces in it', 'x'.repeat(129), '{"json":"id"}'];
  for (const [i, header] of cases.entries()) {
    const response = await postWebhook(
      intake.url,
      { ticket_id: `rid-bad-${i}`, subject: 's', content: 'b' },
      {
        headers: { 'x-request-id': header },
      },
    );
    assert.equal(response.status, 200);
    const id = String(response.body.request_id);
    assert.match(id, uuid, `replaced ${JSON.stringify(header)}`);
    assert.equal(response.headers.get('x-request-id'), id);
    assert.equal((await jobByKey(tdb.pool, `ticket:-:rid-bad-${i}`))?.payload.request_id, id);
  }
  // Every request without an id gets its own.
  const a = await postWebhook(intake.url, { ticket_id: 'rid-a', subject: 's', content: 'b' });
  const b = await postWebhook(intake.url, { ticket_id: 'rid-b', subject: 's', content: 'b' });
  assert.match(String(a.body.request_id), uuid);
  assert.notEqual(a.body.request_id, b.body.request_id);
});
