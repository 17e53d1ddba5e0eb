import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  createHubSpotClient,
  type HubSpotClientOptions,
  HubSpotError,
  parseRetryAfter,
} from '../../../src/hubspot/client.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../../fakes/hubspot.ts';
import { closedPortUrl } from '../../helpers/pipeline.ts';

const TOKEN = 'pat-na1-11111111-2222-3333-4444-555555555555';
const ctx = { receivedAt: '2026-11-25T12:00:00.000Z', requestId: 'req-9' };

let fake: FakeHubSpot;
let waits: number[];

before(async () => {
  fake = await startFakeHubSpot({ accessToken: TOKEN });
});
after(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  waits = [];
});

function client(overrides: Partial<HubSpotClientOptions> = {}) {
  return createHubSpotClient({
    baseUrl: fake.baseUrl,
    accessToken: TOKEN,
    maxRetries: 3,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<HubSpotError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HubSpotError, `expected a HubSpotError, got ${String(error)}`);
    assert.ok(!error.message.includes(TOKEN), 'the token never appears in an error');
    assert.ok(!JSON.stringify({ ...error }).includes(TOKEN));
    return error;
  }
  assert.fail('expected a rejection');
}

describe('HubSpot CRM client against the fake', () => {
  test('ticket with an associated contact becomes a NormalizedTicket; requests match the contract', async () => {
    fake.addTicket({
      id: '1001',
      properties: { subject: ' Sync fails 🔄 ', content: '<p>Since v2.3 the sync fails.</p>', hs_pipeline: '0' },
      contactIds: ['51', '52'],
    });
    fake.addContact({
      id: '51',
      properties: { email: 'ops@acme.io', firstname: 'Opal', lastname: 'Smith', company: 'Acme' },
    });
    const ticket = await client().fetchTicketForEnrichment('1001', '62515', ctx);
    assert.deepEqual(ticket, {
      ticket_id: '1001',
      subject: 'Sync fails 🔄',
      body: '<p>Since v2.3 the sync fails.</p>',
      from_email: 'ops@acme.io',
      customer_name: 'Opal Smith',
      customer_tier: null,
      product_area: null,
      hubspot_ticket_url: 'https://app.hubspot.com/contacts/62515/record/0-5/1001',
      portal_id: '62515',
      received_at: ctx.receivedAt,
      request_id: 'req-9',
    });
    assert.deepEqual(
      fake.requests.map((r) => [r.method, r.url]),
      [
        [
          'GET',
          '/crm/v3/objects/tickets/1001?properties=subject,content,hs_pipeline,hs_pipeline_stage,hs_ticket_priority,hs_ticket_category,source_type,createdate&associations=contacts',
        ],
        ['GET', '/crm/v3/objects/contacts/51?properties=email,firstname,lastname,company'],
      ],
    );
    for (const request of fake.requests) assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(waits, []);
  });

  test('getTicket exposes properties and contact ids; a ticket without contacts has none', async () => {
    fake.addTicket({ id: '1002', properties: { subject: 'S', content: 'B' } });
    const raw = await client().getTicket('1002');
    assert.equal(raw.id, '1002');
    assert.deepEqual(raw.contactIds, []);
    assert.equal(raw.properties.subject, 'S');
    assert.equal(raw.properties.hs_ticket_priority, null);
    const ticket = await client().fetchTicketForEnrichment('1002', null, ctx);
    assert.equal(ticket.from_email, null);
    assert.equal(ticket.customer_name, null);
    assert.equal(ticket.hubspot_ticket_url, null);
    assert.equal(fake.requests.length, 2, 'no contact request when there is no association');
  });

  test('extra ticket properties are requested and feed tier and product area', async () => {
    fake.addTicket({
      id: '1003',
      properties: { subject: 'S', content: 'B', customer_tier: 'Gold', product_area: 'API' },
    });
    const ticket = await client({ extraTicketProperties: ['customer_tier', 'product_area'] }).fetchTicketForEnrichment(
      '1003',
      '1',
      ctx,
    );
    assert.equal(ticket.customer_tier, 'gold');
    assert.equal(ticket.product_area, 'API');
    assert.match(fake.requests[0]?.url ?? '', /properties=subject,.*,createdate,customer_tier,product_area&/);
  });

  test('a contact that vanished (404) leaves the contact fields null', async () => {
    fake.addTicket({ id: '1004', properties: { subject: 'S', content: 'B' }, contactIds: ['404404'] });
    const ticket = await client().fetchTicketForEnrichment('1004', null, ctx);
    assert.equal(ticket.from_email, null);
    assert.equal(fake.requests.length, 2);
  });

  test('429 (RATE_LIMIT body, no Retry-After) twice, then success: exponential back-off with jitter', async () => {
    fake.addTicket({ id: '2001', properties: { subject: 'S', content: 'B' } });
    fake.failNext({ kind: 'rate_limit' }, { kind: 'rate_limit' });
    const ticket = await client({ baseDelayMs: 1000 }).getTicket('2001');
    assert.equal(ticket.id, '2001');
    assert.equal(fake.requests.length, 3);
    // random() = 0.5 → half the step plus a quarter: 1000 → 750, 2000 → 1500.
    assert.deepEqual(waits, [750, 1500]);
  });

  test('a Retry-After on a 429 is honoured exactly', async () => {
    fake.addTicket({ id: '2002', properties: { subject: 'S', content: 'B' } });
    fake.failNext({ kind: 'rate_limit', retryAfter: '2' });
    await client().getTicket('2002');
    assert.deepEqual(waits, [2000]);
  });

  test('a Retry-After longer than maxDelayMs is handed to the caller instead of slept on', async () => {
    fake.failNext({ kind: 'rate_limit', retryAfter: '60' });
    const error = await rejection(client({ maxDelayMs: 10_000 }).getTicket('2003'));
    assert.equal(error.errorClass, 'rate_limited');
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterMs, 60_000);
    assert.equal(error.category, 'RATE_LIMIT');
    assert.deepEqual(waits, []);
    assert.equal(fake.requests.length, 1);
  });

  test('429 on every attempt ends as a retryable rate_limited error after maxRetries', async () => {
    fake.failNext({ kind: 'rate_limit' }, { kind: 'rate_limit' }, { kind: 'rate_limit' });
    const error = await rejection(client({ maxRetries: 2, baseDelayMs: 100 }).getTicket('2004'));
    assert.equal(error.errorClass, 'rate_limited');
    assert.equal(error.status, 429);
    assert.equal(fake.requests.length, 3);
    assert.deepEqual(waits, [75, 150]);
  });

  test('500s exhaust the bounded retries; back-off is capped by maxDelayMs', async () => {
    fake.failNext(...Array.from({ length: 4 }, () => ({ kind: 'server_error' as const })));
    const error = await rejection(client({ maxRetries: 3, baseDelayMs: 4000, maxDelayMs: 6000 }).getTicket('3001'));
    assert.equal(error.errorClass, 'server');
    assert.equal(error.retryable, true);
    assert.equal(error.status, 500);
    assert.equal(fake.requests.length, 4);
    assert.deepEqual(waits, [3000, 4500, 4500]);
  });

  test('a 503 then success recovers', async () => {
    fake.addTicket({ id: '3002', properties: { subject: 'S', content: 'B' } });
    fake.failNext({ kind: 'server_error', status: 503 });
    assert.equal((await client().getTicket('3002')).id, '3002');
    assert.equal(fake.requests.length, 2);
  });

  test('404 is a fatal not_found, not retried', async () => {
    const error = await rejection(client().fetchTicketForEnrichment('999999', null, ctx));
    assert.equal(error.errorClass, 'not_found');
    assert.equal(error.retryable, false);
    assert.equal(error.status, 404);
    assert.equal(error.category, 'OBJECT_NOT_FOUND');
    assert.equal(fake.requests.length, 1);
  });

  test('401 from a wrong token is a fatal auth error naming the category, not retried', async () => {
    const error = await rejection(client({ accessToken: 'pat-wrong' }).getTicket('1001'));
    assert.equal(error.errorClass, 'auth');
    assert.equal(error.retryable, false);
    assert.equal(error.category, 'INVALID_AUTHENTICATION');
    assert.equal(error.correlationId, 'c0ffee00-0000-4000-8000-000000000401');
    assert.ok(!error.message.includes('pat-wrong'));
    assert.match(error.message, /HUBSPOT_ACCESS_TOKEN/);
    assert.equal(fake.requests.length, 1);
  });

  test('a scripted 401 is also classified as auth', async () => {
    fake.failNext({ kind: 'unauthorized' });
    assert.equal((await rejection(client().getContact('51'))).errorClass, 'auth');
  });

  test('missing access token: a config error naming HUBSPOT_ACCESS_TOKEN, and no request at all', async () => {
    let fetchCalls = 0;
    const noToken = client({
      accessToken: null,
      fetch: async (...args) => {
        fetchCalls++;
        return fetch(...args);
      },
    });
    for (const call of [
      () => noToken.getTicket('1'),
      () => noToken.getContact('1'),
      () => noToken.fetchTicketForEnrichment('1', null, ctx),
    ]) {
      const error = await rejection(call());
      assert.equal(error.errorClass, 'config');
      assert.equal(error.retryable, false);
      assert.match(error.message, /HUBSPOT_ACCESS_TOKEN/);
    }
    assert.equal(fetchCalls, 0);
    assert.equal(fake.requests.length, 0);
  });

  test('a hanging server times out per attempt; each attempt is retried, then a timeout error', async () => {
    fake.failNext({ kind: 'hang' }, { kind: 'hang' });
    const error = await rejection(client({ timeoutMs: 100, maxRetries: 1, baseDelayMs: 10 }).getTicket('4001'));
    assert.equal(error.errorClass, 'timeout');
    assert.equal(error.retryable, true);
    assert.equal(fake.requests.length, 2);
    assert.deepEqual(waits, [8]);
  });

  test('a ticket without content is an invalid_ticket error carrying the field', async () => {
    fake.addTicket({ id: '5001', properties: { subject: 'Only a subject' } });
    const error = await rejection(client().fetchTicketForEnrichment('5001', null, ctx));
    assert.equal(error.errorClass, 'invalid_ticket');
    assert.equal(error.retryable, false);
    assert.deepEqual(error.fieldError, {
      field: 'properties.content',
      reason: 'required',
      message: 'properties.content is required',
    });
  });

  test("the caller's abort signal stops the call as 'aborted' without retrying", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(client().getTicket('1001', { signal: controller.signal }));
    assert.equal(error.errorClass, 'aborted');
    assert.deepEqual(waits, []);
  });
});

describe('HubSpot CRM client without the fake', () => {
  test('connection refused is a retryable network error after the retries', async () => {
    const recorded: number[] = [];
    const api = createHubSpotClient({
      baseUrl: await closedPortUrl(),
      accessToken: TOKEN,
      maxRetries: 1,
      sleep: async (ms) => void recorded.push(ms),
      random: () => 0,
    });
    const error = await rejection(api.getTicket('1'));
    assert.equal(error.errorClass, 'network');
    assert.equal(error.retryable, true);
    assert.deepEqual(recorded, [500]);
  });

  test('a 200 with a body that is not JSON, or not a CRM object, is bad_response; bodies are always read', async () => {
    const bodies: string[] = ['<html>proxy</html>', '{"results":[]}'];
    const responses: Response[] = [];
    const api = createHubSpotClient({
      accessToken: TOKEN,
      maxRetries: 0,
      fetch: async () => {
        const response = new Response(bodies.shift() ?? '', { status: 200 });
        responses.push(response);
        return response;
      },
    });
    assert.equal((await rejection(api.getTicket('1'))).errorClass, 'bad_response');
    assert.equal((await rejection(api.getTicket('1'))).errorClass, 'bad_response');
    assert.ok(responses.every((response) => response.bodyUsed));
  });

  test('error responses are consumed too', async () => {
    const responses: Response[] = [];
    const api = createHubSpotClient({
      accessToken: TOKEN,
      maxRetries: 0,
      fetch: async () => {
        const response = new Response('{"status":"error","category":"VALIDATION_ERROR"}', { status: 400 });
        responses.push(response);
        return response;
      },
    });
    const error = await rejection(api.getTicket('1'));
    assert.equal(error.errorClass, 'client');
    assert.equal(error.category, 'VALIDATION_ERROR');
    assert.ok(responses[0]?.bodyUsed);
  });

  test('parseRetryAfter: seconds, fractions, HTTP dates, garbage', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('0.5', now), 500);
    assert.equal(parseRetryAfter('Wed, 25 Nov 2026 12:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), null);
    assert.equal(parseRetryAfter(null, now), null);
  });
});
