import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createHubSpotClient, type HubSpotClientOptions, HubSpotError } from '../../../src/hubspot/client.ts';
import type { TicketSearchPage } from '../../../src/hubspot/search.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../../fakes/hubspot.ts';

const TOKEN = 'pat-na1-11111111-2222-3333-4444-555555555555';
const BASE = Date.parse('2026-12-02T00:00:00.000Z');
const minute = (n: number) => new Date(BASE + n * 60_000).toISOString();

let fake: FakeHubSpot;
let waits: number[];

before(async () => {
  // A lowered result cap (as HubSpot's 10 000) lets one test page past it with a few hundred tickets.
  fake = await startFakeHubSpot({ accessToken: TOKEN, maxSearchResults: 300 });
  // Ticket i is created at minute i; 400..449 all share minute 399 so the cap falls inside a run of equal dates.
  for (let i = 0; i < 450; i++) {
    fake.addTicket({ id: String(1000 + i), properties: { subject: `S${i}`, createdate: minute(Math.min(i, 399)) } });
  }
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
    searchPageDelayMs: 0,
    searchResultCap: 300,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
    ...overrides,
  });
}

async function collect(pages: AsyncIterable<TicketSearchPage>): Promise<TicketSearchPage[]> {
  const out: TicketSearchPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<HubSpotError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HubSpotError, `expected a HubSpotError, got ${String(error)}`);
    assert.ok(!error.message.includes(TOKEN), 'the token never appears in an error');
    return error;
  }
  assert.fail('expected a rejection');
}

const bodies = () => fake.requests.map((request) => JSON.parse(request.body) as Record<string, unknown>);

describe('ticket search against the fake', () => {
  test('250 tickets come in 3 pages, oldest first; the requests are the documented POST bodies', async () => {
    const since = Date.parse(minute(200));
    const pages = await collect(client({ searchPageDelayMs: 200 }).searchTicketsCreatedSince(since));
    assert.deepEqual(
      pages.map((page) => [page.tickets.length, page.total, page.hasMore]),
      [
        [100, 250, true],
        [100, 250, true],
        [50, 250, false],
      ],
    );
    const ids = pages.flatMap((page) => page.tickets.map((ticket) => ticket.id));
    assert.equal(ids[0], '1200');
    assert.equal(ids[99], '1299');
    assert.equal(new Set(ids).size, 250);
    assert.equal(pages[0]?.tickets[0]?.createdAt, minute(200));
    assert.equal(fake.requests.length, 3);
    for (const request of fake.requests) {
      assert.equal(request.method, 'POST');
      assert.equal(request.url, '/crm/v3/objects/tickets/search');
      assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(request.headers['content-type'], 'application/json');
    }
    const first = {
      filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'GTE', value: String(since) }] }],
      sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }],
      properties: ['subject', 'createdate', 'hs_pipeline_stage'],
      limit: 100,
    };
    assert.equal(fake.requests[0]?.body, JSON.stringify(first));
    assert.deepEqual(bodies().slice(1), [
      { ...first, after: '100' },
      { ...first, after: '200' },
    ]);
    assert.deepEqual(waits, [200, 200], 'a pause between pages keeps under the search rate limit');
  });

  test('the since filter is honoured, including a ticket created at exactly that millisecond', async () => {
    const pages = await collect(client().searchTicketsCreatedSince(Date.parse(minute(398))));
    const tickets = pages.flatMap((page) => page.tickets);
    assert.deepEqual(tickets[0], {
      id: '1398',
      properties: {
        hs_object_id: '1398',
        createdate: minute(398),
        hs_lastmodifieddate: '2026-11-01T10:00:00.000Z',
        subject: 'S398',
        hs_pipeline_stage: null,
      },
      createdAt: minute(398),
    });
    assert.equal(tickets.length, 52);
    assert.ok(tickets.every((ticket) => (ticket.createdAt ?? '') >= minute(398)));
    assert.equal((await collect(client().searchTicketsCreatedSince(BASE + 400 * 60_000)))[0]?.tickets.length, 0);
  });

  test('past the result cap a new query starts at the latest createdate; every ticket is listed once', async () => {
    const pages = await collect(client().searchTicketsCreatedSince(BASE));
    const ids = pages.flatMap((page) => page.tickets.map((ticket) => ticket.id));
    assert.equal(ids.length, 450);
    assert.equal(new Set(ids).size, 450);
    const dates = pages.flatMap((page) => page.tickets.map((ticket) => ticket.createdAt ?? ''));
    assert.deepEqual(dates, [...dates].sort());
    // The fourth request starts over: no cursor, since = createdate of the 300th ticket (minute 299).
    const restart = bodies()[3];
    assert.equal(restart?.after, undefined);
    assert.deepEqual(restart?.filterGroups, [
      { filters: [{ propertyName: 'createdate', operator: 'GTE', value: String(Date.parse(minute(299))) }] },
    ]);
    assert.equal(pages.at(-1)?.hasMore, false);
  });

  test('pageLimit stops the listing; the last page says more was left', async () => {
    const pages = await collect(client().searchTicketsCreatedSince(BASE, { pageLimit: 2 }));
    assert.equal(pages.length, 2);
    assert.equal(pages[1]?.hasMore, true);
    assert.equal(fake.requests.length, 2);
  });

  test('429 RATE_LIMIT without Retry-After, then success: back-off, then the same page again', async () => {
    fake.failNext({ kind: 'rate_limit' });
    const pages = await collect(client({ baseDelayMs: 1000 }).searchTicketsCreatedSince(Date.parse(minute(350))));
    assert.equal(pages.flatMap((page) => page.tickets).length, 100);
    assert.deepEqual(waits, [750]);
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[1]?.body, fake.requests[0]?.body);
  });

  test('a Retry-After on a search 429 is honoured', async () => {
    fake.failNext({ kind: 'rate_limit', retryAfter: '1' });
    await collect(client().searchTicketsCreatedSince(Date.parse(minute(420))));
    assert.deepEqual(waits, [1000]);
  });

  test('5xx is retried a bounded number of times, then a retryable server error', async () => {
    fake.failNext(...Array.from({ length: 3 }, () => ({ kind: 'server_error' as const, status: 502 })));
    const error = await rejection(collect(client({ maxRetries: 2 }).searchTicketsCreatedSince(BASE)));
    assert.equal(error.errorClass, 'server');
    assert.equal(error.retryable, true);
    assert.equal(fake.requests.length, 3);
  });

  test('401 is a fatal auth error (configuration), not retried', async () => {
    const error = await rejection(collect(client({ accessToken: 'pat-wrong' }).searchTicketsCreatedSince(BASE)));
    assert.equal(error.errorClass, 'auth');
    assert.equal(error.retryable, false);
    assert.equal(error.category, 'INVALID_AUTHENTICATION');
    assert.match(error.message, /HUBSPOT_ACCESS_TOKEN/);
    assert.ok(!error.message.includes('pat-wrong'));
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(waits, []);
  });

  test('no access token: a config error and no request', async () => {
    const error = await rejection(collect(client({ accessToken: null }).searchTicketsCreatedSince(BASE)));
    assert.equal(error.errorClass, 'config');
    assert.equal(fake.requests.length, 0);
  });

  test("HubSpot's 400 (paging past its cap) is a fatal client error carrying VALIDATION_ERROR", async () => {
    const error = await rejection(collect(client({ searchResultCap: 10_000 }).searchTicketsCreatedSince(BASE)));
    assert.equal(error.errorClass, 'client');
    assert.equal(error.retryable, false);
    assert.equal(error.category, 'VALIDATION_ERROR');
    assert.equal(fake.requests.length, 4);
  });

  test("the caller's signal aborts the listing", async () => {
    const controller = new AbortController();
    const pages = client().searchTicketsCreatedSince(BASE, { signal: controller.signal });
    const first = await pages.next();
    assert.equal(first.done, false);
    controller.abort();
    const error = await rejection(pages.next());
    assert.equal(error.errorClass, 'aborted');
  });
});

describe('the fake search endpoint itself', () => {
  async function post(body: string) {
    const response = await fetch(`${fake.baseUrl}/crm/v3/objects/tickets/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body,
    });
    return { status: response.status, text: await response.text() };
  }

  test('answers in HubSpot’s format to the byte: paging only while more remain', async () => {
    const none = JSON.stringify({
      filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'GTE', value: minute(400) }] }],
    });
    assert.equal((await post(none)).text, '{"total":0,"results":[]}');
    const page = await post(
      JSON.stringify({
        filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'GTE', value: minute(398) }] }],
        sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }],
        properties: ['createdate'],
        limit: 1,
      }),
    );
    assert.equal(
      page.text,
      `{"total":52,"results":[{"id":"1398","properties":{"hs_object_id":"1398","createdate":"${minute(398)}",` +
        `"hs_lastmodifieddate":"2026-11-01T10:00:00.000Z"},"createdAt":"${minute(398)}",` +
        `"updatedAt":"2026-11-01T10:00:00.000Z","archived":false}],"paging":{"next":{"after":"1"}}}`,
    );
  });

  test('a malformed request gets 400 with HubSpot’s VALIDATION_ERROR body', async () => {
    for (const body of [
      'not json',
      JSON.stringify({ filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'SOON', value: '1' }] }] }),
      JSON.stringify({ filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'GTE', value: 'x' }] }] }),
      JSON.stringify({ limit: 500 }),
      JSON.stringify({ after: 'abc' }),
    ]) {
      const answer = await post(body);
      assert.equal(answer.status, 400, body);
      const json = JSON.parse(answer.text) as Record<string, unknown>;
      assert.deepEqual(Object.keys(json), ['status', 'message', 'correlationId', 'category']);
      assert.equal(json.status, 'error');
      assert.equal(json.category, 'VALIDATION_ERROR');
    }
  });
});
