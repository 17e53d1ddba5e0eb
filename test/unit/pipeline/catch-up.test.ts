import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TriageTicketPayload } from '../../../src/domain/job.ts';
import { createHubSpotClient } from '../../../src/hubspot/client.ts';
import type { SearchedTicket, SearchOptions, TicketSearchPage } from '../../../src/hubspot/search.ts';
import { type CatchUpDeps, createCatchUpSweep } from '../../../src/pipeline/catch-up.ts';
import { startFakeHubSpot } from '../../fakes/hubspot.ts';

const NOW = new Date('2026-12-02T12:00:00.000Z');
const HOUR = 3_600_000;
const SUBJECT = 'Confidential: our invoices leak';

function ticket(n: number): SearchedTicket {
  const createdAt = new Date(NOW.getTime() - HOUR + n * 1000).toISOString();
  return { id: String(5000 + n), properties: { subject: SUBJECT, createdate: createdAt }, createdAt };
}

/** An in-memory search: yields the given pages and records what it was asked. */
function fakeSearch(pages: SearchedTicket[][], options: { failAfter?: number; lastHasMore?: boolean } = {}) {
  const calls: Array<{ sinceMs: number; options: SearchOptions | undefined }> = [];
  return {
    calls,
    async *searchTicketsCreatedSince(sinceMs: number, search?: SearchOptions): AsyncGenerator<TicketSearchPage> {
      calls.push({ sinceMs, options: search });
      for (const [index, tickets] of pages.entries()) {
        if (index === options.failAfter)
          throw new Error('HubSpot server error (502) for /crm/v3/objects/tickets/search');
        const last = index === pages.length - 1;
        yield { tickets, total: pages.flat().length, hasMore: last ? (options.lastHasMore ?? false) : true };
      }
    },
  };
}

function setup(overrides: Partial<CatchUpDeps> & { seen?: string[] } = {}) {
  const batches: TriageTicketPayload[][] = [];
  const lines: Array<{ level: string; obj: object; msg: string | undefined }> = [];
  const seen = new Set(overrides.seen ?? []);
  let id = 0;
  const deps: CatchUpDeps = {
    hubspot: fakeSearch([]),
    lookbackHours: 24,
    portalId: async () => '62515',
    floor: async () => new Date('2026-01-01T00:00:00.000Z'),
    queueUnseen: async (payloads) => {
      batches.push(payloads);
      const queued = payloads.map((p) => p.ticket_id).filter((ticketId) => !seen.has(ticketId));
      for (const ticketId of queued) seen.add(ticketId);
      return { queued };
    },
    logger: {
      info: (obj, msg) => void lines.push({ level: 'info', obj, msg }),
      warn: (obj, msg) => void lines.push({ level: 'warn', obj, msg }),
    },
    newId: () => `req-${++id}`,
    ...overrides,
  };
  return { sweep: createCatchUpSweep(deps), batches, lines };
}

describe('catch-up sweep', () => {
  test('searches the lookback window when the floor is older', async () => {
    const hubspot = fakeSearch([]);
    const { sweep } = setup({ hubspot, lookbackHours: 6 });
    const result = await sweep.run(NOW);
    assert.equal(hubspot.calls[0]?.sinceMs, NOW.getTime() - 6 * HOUR);
    assert.deepEqual(result, { listed: 0, queued: 0, pages: 0, since: '2026-12-02T06:00:00.000Z', truncated: false });
  });

  test('never searches before the floor (first deploy: no old tickets)', async () => {
    const hubspot = fakeSearch([]);
    const floor = new Date('2026-12-02T11:30:00.000Z');
    const { sweep } = setup({ hubspot, floor: async () => floor });
    const result = await sweep.run(NOW);
    assert.equal(hubspot.calls[0]?.sinceMs, floor.getTime());
    assert.equal(result.since, floor.toISOString());
  });

  test('no floor recorded: no search, nothing queued, one log line', async () => {
    const hubspot = fakeSearch([[ticket(1)]]);
    const { sweep, batches, lines } = setup({ hubspot, floor: async () => null });
    const result = await sweep.run(NOW);
    assert.deepEqual(result, { listed: 0, queued: 0, pages: 0, since: null, truncated: false });
    assert.equal(hubspot.calls.length, 0);
    assert.equal(batches.length, 0);
    assert.equal(lines.length, 1);
    assert.match(lines[0]?.msg ?? '', /no first-run floor/);
  });

  test('event-only payloads in the documented shape, one fresh request id each', async () => {
    const hubspot = fakeSearch([[ticket(1), ticket(2)]]);
    const { sweep, batches } = setup({ hubspot });
    await sweep.run(NOW);
    assert.deepEqual(batches, [
      [1, 2].map((n) => ({
        v: 1,
        request_id: `req-${n}`,
        received_at: NOW.toISOString(),
        ticket_id: ticket(n).id,
        portal_id: '62515',
        ticket: null,
        event: { ticket_id: ticket(n).id, portal_id: '62515', occurred_at: ticket(n).createdAt, event_id: null },
      })),
    ]);
  });

  test('an unknown portal id gives null portal ids', async () => {
    const { sweep, batches } = setup({ hubspot: fakeSearch([[ticket(1)]]), portalId: async () => null });
    await sweep.run(NOW);
    assert.equal(batches[0]?.[0]?.portal_id, null);
    assert.equal(batches[0]?.[0]?.event?.portal_id, null);
  });

  test('batches hold at most 100; counts add up; tickets already seen are listed but not queued', async () => {
    const big = Array.from({ length: 250 }, (_, n) => ticket(n));
    const small = Array.from({ length: 30 }, (_, n) => ticket(250 + n));
    const hubspot = fakeSearch([big, small]);
    const { sweep, batches, lines } = setup({ hubspot, seen: [ticket(0).id, ticket(260).id] });
    const result = await sweep.run(NOW);
    assert.deepEqual(
      batches.map((batch) => batch.length),
      [100, 100, 50, 30],
    );
    assert.equal(new Set(batches.flat().map((p) => p.ticket_id)).size, 280);
    assert.deepEqual(result, {
      listed: 280,
      queued: 278,
      pages: 2,
      since: new Date(NOW.getTime() - 24 * HOUR).toISOString(),
      truncated: false,
    });
    assert.equal(lines.length, 1, 'one line per run');
    assert.equal(lines[0]?.level, 'info');
    assert.deepEqual(lines[0]?.obj, { ...result, portal_id: '62515', lookback_hours: 24 });
    assert.ok(!JSON.stringify(lines).includes(SUBJECT), 'no ticket content in the log');
  });

  test('a ticket repeated across pages is handed over once', async () => {
    const { sweep, batches } = setup({
      hubspot: fakeSearch([
        [ticket(1), ticket(2)],
        [ticket(2), ticket(3)],
      ]),
    });
    const result = await sweep.run(NOW);
    assert.deepEqual(
      batches.map((batch) => batch.map((p) => p.ticket_id)),
      [['5001', '5002'], ['5003']],
    );
    assert.equal(result.listed, 3);
  });

  test('a search cut short is reported as truncated, at warn level', async () => {
    const { sweep, lines } = setup({ hubspot: fakeSearch([[ticket(1)]], { lastHasMore: true }) });
    assert.equal((await sweep.run(NOW)).truncated, true);
    assert.equal(lines[0]?.level, 'warn');
  });

  test('a failing search rejects the run after queueing what came before, with one warn line', async () => {
    const { sweep, batches, lines } = setup({ hubspot: fakeSearch([[ticket(1)], [ticket(2)]], { failAfter: 1 }) });
    await assert.rejects(sweep.run(NOW), /server error/);
    assert.equal(batches.length, 1);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.level, 'warn');
    assert.deepEqual(lines[0]?.obj, {
      listed: 1,
      queued: 1,
      pages: 1,
      since: new Date(NOW.getTime() - 24 * HOUR).toISOString(),
      portal_id: '62515',
      err: { name: 'Error', message: 'HubSpot server error (502) for /crm/v3/objects/tickets/search' },
    });
  });

  test('the signal is passed to the search', async () => {
    const hubspot = fakeSearch([]);
    const controller = new AbortController();
    await setup({ hubspot }).sweep.run(NOW, { signal: controller.signal });
    assert.equal(hubspot.calls[0]?.options?.signal, controller.signal);
  });

  test('with the real client against the fake HubSpot: only tickets inside the window are queued', async () => {
    const fake = await startFakeHubSpot({ accessToken: 'pat-test' });
    try {
      for (const [id, createdate] of [
        ['1', '2026-12-01T11:59:59.999Z'],
        ['2', '2026-12-01T12:00:00.000Z'],
        ['3', '2026-12-02T11:00:00.000Z'],
      ] as const) {
        fake.addTicket({ id, properties: { subject: SUBJECT, createdate } });
      }
      const hubspot = createHubSpotClient({ baseUrl: fake.baseUrl, accessToken: 'pat-test', searchPageDelayMs: 0 });
      const { sweep, batches } = setup({ hubspot });
      const result = await sweep.run(NOW);
      assert.deepEqual(
        batches.flat().map((p) => [p.ticket_id, p.event?.occurred_at]),
        [
          ['2', '2026-12-01T12:00:00.000Z'],
          ['3', '2026-12-02T11:00:00.000Z'],
        ],
      );
      assert.equal(result.queued, 2);
    } finally {
      await fake.close();
    }
  });
});
