import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createFeedbackStore } from '../../src/db/feedback-store.ts';
import { deleteOldRecords } from '../../src/db/retention.ts';
import { createRunStore } from '../../src/db/run-store.ts';
import { createTicketStore, type TicketStore } from '../../src/db/ticket-store.ts';
import type { FinalState } from '../../src/domain/states.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
let store: TicketStore;

before(async () => {
  tdb = await createTestDatabase({ max: 60 });
  store = createTicketStore(tdb.db);
});
after(() => tdb.drop());

const key = (ticketId: string, portalId: string | null = '42') => ({ ticketId, portalId });

describe('claimTicket', () => {
  test('50 concurrent claims of one ticket produce exactly one winner', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.claimTicket(key('race-1'), `worker-${i}`, 60_000)),
    );
    const winners = results.filter((result) => result.claimed);
    assert.equal(winners.length, 1);
    assert.ok(results.filter((r) => !r.claimed).every((r) => !r.claimed && r.reason === 'held'));
    const { rows } = await tdb.pool.query(
      'select count(*)::int as n, max(attempts) as attempts from processed_tickets',
    );
    assert.deepEqual(rows[0], { n: 1, attempts: 1 });
  });

  test('a live lease cannot be retaken; an expired one can, and attempts count up', async () => {
    assert.deepEqual(await store.claimTicket(key('lease-1'), 'a', 60_000), { claimed: true, attempts: 1 });
    const blocked = await store.claimTicket(key('lease-1'), 'b', 60_000);
    assert.equal(blocked.claimed, false);
    assert.equal(!blocked.claimed && blocked.reason, 'held');

    await tdb.pool.query(
      "update processed_tickets set claimed_until = now() - interval '1 second' where ticket_id = 'lease-1'",
    );
    assert.deepEqual(await store.claimTicket(key('lease-1'), 'b', 60_000), { claimed: true, attempts: 2 });
    const { rows } = await tdb.pool.query("select claimed_by from processed_tickets where ticket_id = 'lease-1'");
    assert.equal(rows[0].claimed_by, 'b');
  });

  test('the same ticket id in two portals, and with no portal, are three different tickets', async () => {
    const results = await Promise.all([
      store.claimTicket(key('shared', '1'), 'w', 60_000),
      store.claimTicket(key('shared', '2'), 'w', 60_000),
      store.claimTicket(key('shared', null), 'w', 60_000),
      store.claimTicket(key('shared', null), 'x', 60_000),
    ]);
    const claimed = results.map((r) => r.claimed);
    assert.deepEqual(claimed.slice(0, 2), [true, true]);
    // The two no-portal claims race for one ticket: exactly one wins, whichever it is.
    assert.equal(claimed.slice(2).filter(Boolean).length, 1);
  });

  test('a posted ticket (either way) is never claimed again; a released or not_posted one is', async () => {
    await store.claimTicket(key('done-1'), 'a', 60_000);
    assert.equal(
      await store.markTicketProcessed({ ...key('done-1'), provider: 'local', state: 'posted', owner: 'a' }),
      true,
    );
    const again = await store.claimTicket(key('done-1'), 'b', 60_000);
    assert.equal(!again.claimed && again.reason, 'posted');
    await store.claimTicket(key('done-2'), 'a', 60_000);
    await store.markTicketProcessed({ ...key('done-2'), provider: 'groq', state: 'posted_as_failure', owner: 'a' });
    const failurePosted = await store.claimTicket(key('done-2'), 'b', 60_000);
    assert.equal(!failurePosted.claimed && failurePosted.reason, 'posted');
    await store.claimTicket(key('done-3'), 'a', 60_000);
    await store.markTicketProcessed({ ...key('done-3'), provider: null, state: 'not_posted', owner: 'a' });
    assert.deepEqual(await store.claimTicket(key('done-3'), 'b', 60_000), { claimed: true, attempts: 2 });

    await store.claimTicket(key('retry-1'), 'a', 60_000);
    assert.equal(await store.releaseClaim(key('retry-1'), 'someone-else'), false);
    assert.equal(await store.releaseClaim(key('retry-1'), 'a', 'discord_unavailable'), true);
    assert.deepEqual(await store.claimTicket(key('retry-1'), 'b', 60_000), { claimed: true, attempts: 2 });
  });

  test('markTicketProcessed with an owner that lost the claim changes nothing', async () => {
    await store.claimTicket(key('lost-1'), 'a', 60_000);
    assert.equal(
      await store.markTicketProcessed({ ...key('lost-1'), provider: 'groq', state: 'posted', owner: 'b' }),
      false,
    );
    assert.deepEqual(await store.isTicketProcessed(key('lost-1')), { isProcessed: false, status: 'triaging' });
  });
});

describe('isTicketProcessed', () => {
  test('reports unknown, in-progress and posted tickets', async () => {
    assert.deepEqual(await store.isTicketProcessed(key('never')), { isProcessed: false, status: null });
    await store.claimTicket(key('check-1'), 'a', 60_000);
    assert.deepEqual(await store.isTicketProcessed(key('check-1')), { isProcessed: false, status: 'triaging' });
    await store.markTicketProcessed({ ...key('check-1'), provider: 'rules', state: 'posted', owner: 'a' });
    const done = await store.isTicketProcessed(key('check-1'));
    assert.equal(done.isProcessed, true);
    assert.equal(done.isProcessed && done.provider, 'rules');
  });
});

describe('cleanup, stats and health', () => {
  test('cleanup deletes exactly the rows older than the retention window', async () => {
    const local = await createTestDatabase();
    try {
      const s = createTicketStore(local.db);
      const ages = [0, 1, 6.9, 7.1, 8, 30];
      for (const [i, days] of ages.entries()) {
        await local.pool.query(
          `insert into processed_tickets (ticket_id, status, processed_at) values ($1, 'posted', now() - make_interval(secs => $2))`,
          [`age-${i}`, days * 86_400],
        );
        await local.pool.query(
          `insert into triage_runs (ticket_id, request_id, attempt, status, timings, created_at)
           values ($1, 'r', 1, 'posted', '{}', now() - make_interval(secs => $2))`,
          [`age-${i}`, days * 86_400],
        );
      }
      await local.pool.query(
        `insert into ticket_feedback (ticket_id, useful, updated_at) values ('age-old', true, now() - interval '8 days'),
           ('age-new', false, now() - interval '6 days')`,
      );
      const stores = { tickets: s, runs: createRunStore(local.db), feedback: createFeedbackStore(local.db) };
      assert.deepEqual(await deleteOldRecords(stores, 7), { tickets: 3, runs: 3, feedback: 1 });
      const { rows } = await local.pool.query('select ticket_id from processed_tickets order by ticket_id');
      assert.deepEqual(
        rows.map((row) => row.ticket_id),
        ['age-0', 'age-1', 'age-2'],
      );
      assert.deepEqual(await deleteOldRecords(stores, 7), {
        tickets: 0,
        runs: 0,
        feedback: 0,
      });
    } finally {
      await local.drop();
    }
  });

  test('stats count by state and provider, with an honest success rate and duplicates', async () => {
    const local = await createTestDatabase();
    try {
      const s = createTicketStore(local.db);
      const finish = async (id: string, provider: string | null, state: FinalState) => {
        await s.claimTicket(key(id), 'w', 60_000);
        await s.markTicketProcessed({ ...key(id), provider, state, owner: 'w' });
      };
      await finish('s1', 'local', 'posted');
      await finish('s2', 'local', 'posted');
      await finish('s3', 'groq', 'posted');
      await finish('s4', 'groq', 'posted_as_failure'); // a TRIAGE FAILED message: a person has it, not a success
      await finish('s5', null, 'not_posted');
      await s.claimTicket(key('s6'), 'w', 60_000);
      await s.recordDuplicate(key('s1'));
      await s.recordDuplicate(key('s1'));
      await local.pool.query(
        "insert into processed_tickets (ticket_id, status, provider, processed_at) values ('old', 'posted', 'local', now() - interval '2 days')",
      );

      const stats = await s.getProcessingStats(new Date(Date.now() - 86_400_000));
      assert.equal(stats.total, 6);
      assert.deepEqual(stats.states, { queued: 0, triaging: 1, posted: 3, posted_as_failure: 1, not_posted: 1 });
      assert.equal(stats.in_progress, 1);
      assert.equal(stats.duplicates, 2);
      assert.equal(stats.success_rate, 3 / 5, 'posted / (posted + posted_as_failure + not_posted)');
      assert.deepEqual(stats.posted_by_provider, { local: 2, groq: 1 }, 'the failure message is not a groq triage');
      const success = await local.pool.query(
        "select ticket_id, success from processed_tickets where ticket_id in ('s3', 's4', 's5') order by ticket_id",
      );
      assert.deepEqual(
        success.rows.map((row) => row.success),
        [true, false, false],
        "the seed's success flag follows the state",
      );

      const none = await s.getProcessingStats(new Date(Date.now() + 60_000));
      assert.equal(none.success_rate, null, 'no ticket ended: no rate');

      // /health names the tickets a person must act on in the same words, and never the posted ones.
      await s.claimTicket(key('s7'), 'w', 60_000);
      await s.markTicketProcessed({
        ...key('s7'),
        provider: null,
        state: 'not_posted',
        owner: 'w',
        error: 'discord_config: 404',
      });
      assert.deepEqual(await s.failureWarnings(), [
        'discord_config: Discord rejected the webhook for 1 ticket(s), not posted; check DISCORD_WEBHOOK_URL, then run triage replay',
        '1 ticket(s) not posted in the last 24 h (need a person); see the dashboard, then triage replay',
      ]);
    } finally {
      await local.drop();
    }
  });

  test('health reports latency, and unhealthy when the table is unreachable', async () => {
    const ok = await store.checkIdempotencyHealth();
    assert.equal(ok.healthy, true);
    assert.ok(ok.latencyMs >= 0 && ok.latencyMs < 5_000);

    const local = await createTestDatabase();
    const s = createTicketStore(local.db);
    await local.pool.query('drop table processed_tickets');
    const broken = await s.checkIdempotencyHealth();
    await local.drop();
    assert.equal(broken.healthy, false);
    assert.match(broken.error ?? '', /processed_tickets/);
  });
});

describe("the ticket row keeps its latest run's priority and subject (the dashboard list's filters)", () => {
  const run = (ticketId: string, attempt: number, priority: string | null, subject: string | null) => ({
    ticketId,
    portalId: '42',
    requestId: `r-${ticketId}-${attempt}`,
    attempt,
    status: 'not_posted' as const,
    timings: { queueWaitMs: null, enrichmentMs: null, providers: [], notifyMs: null, totalMs: 1 },
    output: priority === null ? null : { priority },
    ticket: subject === null ? null : { subject },
  });
  const latest = async (ticketId: string) =>
    (
      await tdb.pool.query(
        `select latest_priority, latest_subject, status from processed_tickets where ticket_id = $1`,
        [ticketId],
      )
    ).rows[0];
  /** What the list showed before the copy: the latest run's fields, read from triage_runs. */
  const fromRuns = async (ticketId: string) =>
    (
      await tdb.pool.query(
        `select output->>'priority' as latest_priority, ticket->>'subject' as latest_subject from triage_runs
          where ticket_id = $1 order by created_at desc limit 1`,
        [ticketId],
      )
    ).rows[0];

  test('a retried attempt, then the finishing one, each replace the copy; intake never writes it', async () => {
    const runs = createRunStore(tdb.db);
    await store.claimTicket(key('latest-1'), 'w', 60_000);
    assert.deepEqual(await latest('latest-1'), { latest_priority: null, latest_subject: null, status: 'triaging' });
    await runs.recordRun(run('latest-1', 1, 'low', 'Printer on fire'));
    assert.deepEqual(await latest('latest-1'), {
      latest_priority: 'low',
      latest_subject: 'Printer on fire',
      status: 'triaging',
    });
    const finished = await runs.finishTicket(
      { ...key('latest-1'), provider: 'groq', state: 'posted', owner: 'w' },
      { ...run('latest-1', 2, 'critical', 'Printer on fire, now the office'), status: 'posted' },
    );
    assert.equal(finished, true);
    assert.deepEqual(await latest('latest-1'), {
      latest_priority: 'critical',
      latest_subject: 'Printer on fire, now the office',
      status: 'posted',
    });
    const { latest_priority, latest_subject } = (await latest('latest-1')) as Record<string, unknown>;
    assert.deepEqual({ latest_priority, latest_subject }, await fromRuns('latest-1'));
  });

  test('a run without output or ticket clears the copy, and a lost claim still records the latest run', async () => {
    const runs = createRunStore(tdb.db);
    await store.claimTicket(key('latest-2'), 'w', 60_000);
    await runs.recordRun(run('latest-2', 1, 'high', 'Login loop'));
    await runs.recordRun(run('latest-2', 2, null, null));
    assert.deepEqual(await latest('latest-2'), { latest_priority: null, latest_subject: null, status: 'triaging' });

    // Another worker holds the claim now: the outcome is not written, the run (and so the copy) is.
    const finished = await runs.finishTicket(
      { ...key('latest-2'), provider: 'local', state: 'posted', owner: 'someone-else' },
      { ...run('latest-2', 3, 'medium', 'Login loop again'), status: 'posted' },
    );
    assert.equal(finished, false);
    assert.deepEqual(await latest('latest-2'), {
      latest_priority: 'medium',
      latest_subject: 'Login loop again',
      status: 'triaging',
    });
  });

  test('the list filters by the copied priority and finds a subject word or an exact id, newest first', async () => {
    const runs = createRunStore(tdb.db);
    for (const [id, priority, subject] of [
      ['find-1', 'critical', 'Refund for an invoice'],
      ['find-2', 'low', 'INVOICE address wrong'],
      ['find-3', 'critical', 'Cannot export 100%'],
    ] as const) {
      await store.claimTicket(key(id), 'w', 60_000);
      await runs.finishTicket(
        { ...key(id), provider: 'rules', state: 'posted', owner: 'w' },
        { ...run(id, 1, priority, subject), status: 'posted' },
      );
    }
    const ids = async (filter: Parameters<TicketStore['listTickets']>[0]) =>
      (await store.listTickets(filter)).map((row) => row.ticketId).filter((id) => id.startsWith('find-'));
    assert.deepEqual(await ids({ priority: 'critical', limit: 500 }), ['find-3', 'find-1']);
    assert.deepEqual(await ids({ q: 'invoice', limit: 500 }), ['find-2', 'find-1']);
    assert.deepEqual(await ids({ q: '0%', limit: 500 }), ['find-3'], 'a % in the search is a character');
    assert.deepEqual(await ids({ q: 'find-2', limit: 500 }), ['find-2']);
    const [row] = await store.listTickets({ q: 'find-3', limit: 1 });
    assert.equal(row?.priority, 'critical');
    assert.equal(row?.subject, 'Cannot export 100%');
  });

  test('a search finds a rare word beyond the newest tickets it reads in order, and pages on from there', async () => {
    // A store that reads only the 4 newest tickets before it asks the trigram index (production reads 5,000).
    const small = createTicketStore(tdb.db, { searchWalk: 4 });
    const runs = createRunStore(tdb.db);
    const subjects = [
      'Rare chargeback dispute',
      'Chargeback again',
      ...Array.from({ length: 8 }, (_, i) => `Common word ${i}`),
    ];
    for (const [i, subject] of subjects.entries()) {
      const id = `walk-${i}`;
      await store.claimTicket(key(id), 'w', 60_000);
      await runs.finishTicket(
        { ...key(id), provider: 'rules', state: 'posted', owner: 'w' },
        { ...run(id, 1, 'low', subject), status: 'posted' },
      );
    }
    const ids = async (filter: Parameters<TicketStore['listTickets']>[0]) =>
      (await small.listTickets(filter)).map((row) => row.ticketId).filter((id) => id.startsWith('walk-'));
    // The two chargeback tickets are the oldest: outside the 4 read in order, found through the index, newest first.
    assert.deepEqual(await ids({ q: 'chargeback', limit: 5 }), ['walk-1', 'walk-0']);
    // A common word fills its page among the newest.
    assert.deepEqual(await ids({ q: 'common word', limit: 3 }), ['walk-9', 'walk-8', 'walk-7']);
    // Paging through the index path: after the first match, the second.
    const [first] = await small.listTickets({ q: 'chargeback', limit: 1 });
    assert.ok(first);
    const next = await small.listTickets({ q: 'chargeback', limit: 1, after: { at: first.processedAt, id: first.id } });
    assert.deepEqual(
      next.map((row) => row.ticketId),
      ['walk-0'],
    );
    // The same answers as the store that reads 5,000 in order.
    assert.deepEqual(
      await ids({ q: 'chargeback', limit: 5 }),
      (await store.listTickets({ q: 'chargeback', limit: 5 }))
        .map((r) => r.ticketId)
        .filter((id) => id.startsWith('walk-')),
    );
  });
});
