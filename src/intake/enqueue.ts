// Durable intake (ARCHITECTURE D4): a delivery is acknowledged only after its job is committed. One SQL statement
// decides, for every ticket of a batch, between "already notified" (duplicate), "already queued or running" (no
// second job) and "queue it" (a graphile-worker job keyed by portal + ticket). Concurrent deliveries share that
// statement and its commit (group commit): a commit costs far more than a row, which is what lets intake keep up
// with bursts. Every caller still hears back only after the commit that holds its tickets.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type pg from 'pg';
import { createDatabase, type Database } from '../db/client.ts';
import { TRIAGE_MAX_ATTEMPTS, TRIAGE_TICKET, type TriageTicketPayload, triageJobKey } from '../queue/tasks.ts';

export type EnqueueOutcome =
  | { ticketId: string; status: 'accepted'; alreadyQueued: boolean }
  | { ticketId: string; status: 'duplicate'; originalProcessedAt: string };

export interface IntakeQueueOptions {
  /** Statements committing at once; more deliveries wait and share the next commit. */
  maxInFlight: number;
  /** Tickets per shared statement at most. */
  maxBatch: number;
  /**
   * How long a delivery waits for its commit before it is refused (the route answers 503 and HubSpot redelivers).
   * Also the statement's client-side timeout: a connection that stops answering is dropped, not waited on forever.
   */
  timeoutMs: number;
  /** Wake-up NOTIFYs go out at most this often; jobs committed meanwhile are announced by the next one. */
  notifyIntervalMs: number;
}

/** A delivery whose commit did not finish in time. Nothing was acknowledged; a redelivery finds the job if it landed. */
export class IntakeTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`intake commit did not finish within ${timeoutMs} ms`);
    this.name = 'IntakeTimeoutError';
  }
}

// Measured with `npm run bench -- intake` on 2 cores: one statement at a time beat two, four and eight, and beat two
// pipelined on one connection; smaller batches cost the database more per ticket than the overlap gained
// (bench/RESULTS.md). Deliveries arriving meanwhile share the next statement.
// 4 s: HubSpot's Webhooks API gives up after 5 s, so a stuck database still gets HubSpot a 503 it can act on.
export const INTAKE_TIMEOUT_MS = 4_000;
const DEFAULTS: IntakeQueueOptions = {
  maxInFlight: 1,
  maxBatch: 100,
  timeoutMs: INTAKE_TIMEOUT_MS,
  notifyIntervalMs: 10,
};

// Notified rows are locked in id order and jobs are added in key order, so concurrent batches naming the same
// tickets cannot deadlock. A ticket neither notified nor holding a job gets one; when two batches race for it, the
// unique key leaves one job, and `returning` tells each batch which keys it added itself (a key it did not add was
// already queued or running). The batch travels as three text arrays and one JSON array of payloads, zipped by
// ROWS FROM: a single JSON text is far cheaper to send than an array of JSON strings, each escaped on its own.
//
// JOBS_SQL_NOTE: jobs are inserted into graphile-worker's `_private_jobs` with the columns its add_jobs() writes,
// rather than by calling add_jobs(): add_jobs sends a NOTIFY inside the transaction, and PostgreSQL serialises the
// commits of notifying transactions (one global lock held through the WAL flush), which capped intake near 2,300
// deliveries/s on 2 cores (bench/RESULTS.md). The wake-up NOTIFY is sent right after the commit instead. This leans
// on graphile-worker 0.17's table layout (pinned in package.json); the intake tests read the jobs back through its
// public view and run them through a real worker, so a layout change fails them. The task row the insert needs is
// created by migrateDatabase.
//
// The statement is prepared once per connection (a named statement): planning this one took longer than running it
// for a batch of 25 tickets. Its generic plan follows the tables' statistics, which autovacuum's ANALYZE refreshes.
const ENQUEUE_SQL = `
with batch as (
  select * from rows from (unnest($1::text[]), unnest($2::text[]), unnest($3::text[]), json_array_elements($4::json))
    with ordinality as b(ticket_id, portal_id, key, payload, n)
), done as (
  select p.id, p.ticket_id, p.portal_id, p.processed_at
    from processed_tickets p
   where p.ticket_id = any($1::text[])
     and p.status = 'notified'
     and exists (select 1 from batch b where b.ticket_id = p.ticket_id and b.portal_id is not distinct from p.portal_id)
   order by p.id
     for update of p
), counted as (
  update processed_tickets p set duplicates = p.duplicates + c.n, updated_at = now()
    from (select d.id, count(*)::int as n
            from done d
            join batch b on b.ticket_id = d.ticket_id and b.portal_id is not distinct from d.portal_id
           group by d.id) c
   where p.id = c.id
  returning p.id
), added as (
  insert into graphile_worker._private_jobs (task_id, payload, max_attempts, key)
  select (select t.id from graphile_worker._private_tasks t where t.identifier = $5), f.payload, $6::smallint, f.key
    from (select distinct on (b.key) b.key, b.payload
            from batch b
           where not exists (select 1 from done d where d.ticket_id = b.ticket_id and d.portal_id is not distinct from b.portal_id)
           order by b.key, b.n) f
   order by f.key
  on conflict (key) do nothing
  returning key
)
select (select coalesce(json_agg(json_build_array(d.ticket_id, d.portal_id, d.processed_at)), '[]') from done d) as done,
       (select coalesce(json_agg(a.key), '[]') from added a) as added,
       (select count(*) from counted) as _forces_evaluation`;

interface EnqueueRow {
  done: [string, string | null, string][];
  /** Keys of the jobs this statement created. */
  added: string[];
}

/**
 * The intake's own pool, apart from the workers' and the stores': deliveries never wait for a connection that a
 * worker holds. Its statements also end in the database a second after the intake gave up on them: a delivery that
 * timed out drops its connection, but PostgreSQL would go on running the abandoned statement, holding its locks, and
 * a database stuck for minutes would collect one such backend per timeout until it ran out of connections.
 */
export function createIntakeDatabase(url: string, timeoutMs = INTAKE_TIMEOUT_MS): Database {
  // One connection for the lane, one for the wake-up NOTIFY, two for retrying a failed batch's deliveries one by one.
  return createDatabase(url, {
    max: 4,
    applicationName: 'hubspot-triage-intake',
    statementTimeoutMs: timeoutMs + 1_000,
  });
}

export function createIntakeQueue(pool: pg.Pool, overrides: Partial<IntakeQueueOptions> = {}) {
  const options = { ...DEFAULTS, ...overrides };

  // Wake the workers now rather than at their next poll. Outside the transaction on purpose (see JOBS_SQL_NOTE);
  // a lost wake-up only costs the poll interval, the job itself is committed. One NOTIFY at a time, and at most one
  // per notifyIntervalMs (10 ms): jobs committed meanwhile are announced together by the next one, so a burst does
  // not cost a NOTIFY per batch (each costs the database about as much as a statement). An idle worker hears of a
  // job at most that interval late; busy workers fetch the next job without being told.
  let notifying: Promise<void> | null = null;
  let held: NodeJS.Timeout | null = null;
  let lastNotify = Number.NEGATIVE_INFINITY;
  let unannounced = 0;
  function wakeWorkers(count: number): void {
    unannounced += count;
    if (notifying || held) return;
    const wait = lastNotify + options.notifyIntervalMs - performance.now();
    if (wait > 0) {
      // Unref'd: a wake-up is best effort and never keeps the process alive; shutdown sends it through flush().
      held = setTimeout(() => {
        held = null;
        wakeWorkers(0);
      }, wait).unref();
      return;
    }
    notify();
  }
  function notify(): void {
    lastNotify = performance.now();
    const payload = JSON.stringify({ count: unannounced });
    unannounced = 0;
    const sent = () => {
      notifying = null;
      if (unannounced > 0) wakeWorkers(0);
    };
    notifying = pool.query(`select pg_notify('jobs:insert', $1)`, [payload]).then(sent, sent);
  }
  /** Sends a wake-up held back by the spacing now, and waits until every one is sent (before the pool closes). */
  async function flushWakeUps(): Promise<void> {
    for (;;) {
      if (held) {
        clearTimeout(held);
        held = null;
      }
      if (notifying) await notifying;
      else if (unannounced > 0) notify();
      else return;
    }
  }

  /** One statement (its own transaction) for the whole batch, on `client`. */
  async function runBatch(client: pg.PoolClient | pg.Pool, payloads: TriageTicketPayload[]): Promise<EnqueueOutcome[]> {
    const keys = payloads.map((p) => triageJobKey(p.portal_id, p.ticket_id));
    // pg reads a per-query `query_timeout` (its types only list it for the client): on timeout it fails the query,
    // and the connection, still busy with it, is dropped (see lane()).
    const query: pg.QueryConfig & { query_timeout: number } = {
      name: 'triage-enqueue',
      text: ENQUEUE_SQL,
      query_timeout: options.timeoutMs,
      values: [
        payloads.map((p) => p.ticket_id),
        payloads.map((p) => p.portal_id),
        keys,
        JSON.stringify(payloads),
        TRIAGE_TICKET,
        TRIAGE_MAX_ATTEMPTS,
      ],
    };
    const { rows } = await client.query<EnqueueRow>(query);
    const row = rows[0]!;
    if (row.added.length > 0) wakeWorkers(row.added.length);
    const doneAt = new Map(
      row.done.map(([ticketId, portalId, processedAt]) => [
        triageJobKey(portalId, ticketId),
        new Date(processedAt).toISOString(),
      ]),
    );
    // A key this statement added belongs to the first delivery naming it; later ones in the batch were already queued.
    const addedKeys = new Set(row.added);
    const queuedHere = new Set<number>();
    keys.forEach((key, index) => {
      if (addedKeys.delete(key)) queuedHere.add(index);
    });
    return payloads.map((payload, index): EnqueueOutcome => {
      const processedAt = doneAt.get(keys[index]!);
      if (processedAt) return { ticketId: payload.ticket_id, status: 'duplicate', originalProcessedAt: processedAt };
      return { ticketId: payload.ticket_id, status: 'accepted', alreadyQueued: !queuedHere.has(index) };
    });
  }

  const waiting: Waiting[] = [];
  let inFlight = 0;

  /** A delivery's commit did not finish in time. Not sent yet: never will be. Sent: its outcome will be ignored. */
  function expire(entry: Waiting): void {
    const index = waiting.indexOf(entry);
    if (index !== -1) waiting.splice(index, 1);
    settle(entry, null, new IntakeTimeoutError(options.timeoutMs));
  }

  /** The deliveries at the head of the line, up to maxBatch tickets (one delivery at least, however large). */
  function takeGroup(): Waiting[] {
    const group: Waiting[] = [];
    let size = 0;
    while (waiting.length > 0 && (group.length === 0 || size + waiting[0]!.payloads.length <= options.maxBatch)) {
      const next = waiting.shift()!;
      group.push(next);
      size += next.payloads.length;
    }
    return group;
  }

  type Settled = { ok: true; outcomes: EnqueueOutcome[] } | { ok: false; error: unknown };

  /**
   * One statement after another on one connection, for as long as deliveries wait. When a result arrives and at
   * least as many deliveries wait as it carried, the next statement goes out before the finished deliveries are
   * answered: answering (a response written per delivery) takes as long as the database needs for the next one, and
   * the database would otherwise sit idle meanwhile. When fewer wait, the finished deliveries are answered first and
   * the lane lets one turn of the event loop pass, so that deliveries already received (a client answered often sends
   * its next at once) join the next statement rather than wait behind a statement of a few tickets. The
   * connection goes back to the pool when nothing waits, and is dropped after a failure that is not the data's (a
   * timeout leaves it busy with the abandoned statement; a broken one is useless).
   */
  async function lane(): Promise<void> {
    inFlight++;
    let client: pg.PoolClient | null = null;
    const send = async (group: Waiting[]): Promise<Settled> => {
      try {
        // With a connection in hand this writes the statement at once, before the caller goes on.
        client ??= await pool.connect();
        const outcomes = await runBatch(
          client,
          group.flatMap((entry) => entry.payloads),
        );
        return { ok: true, outcomes };
      } catch (error) {
        if (client && !isDataError(error)) {
          client.release(error instanceof Error ? error : new Error(String(error)));
          client = null;
        }
        return { ok: false, error };
      }
    };
    try {
      let group = takeGroup();
      let result = send(group);
      while (group.length > 0) {
        const settled = await result;
        // As many deliveries wait as this statement carried: they go at once, and the database stays busy.
        let next = waiting.length >= group.length ? takeGroup() : [];
        if (next.length > 0) result = send(next);
        await answer(group, settled);
        if (next.length === 0) {
          // Fewer waited. The answers just written bring callers back: one turn of the event loop lets those already
          // here join the next statement instead of following a small one (a statement's fixed cost is most of it).
          await nextTurn();
          next = takeGroup();
          if (next.length > 0) result = send(next);
        }
        group = next;
      }
    } finally {
      (client as pg.PoolClient | null)?.release();
      inFlight--;
    }
  }

  async function answer(group: Waiting[], settled: Settled): Promise<void> {
    if (settled.ok) {
      let offset = 0;
      for (const entry of group) {
        settle(entry, settled.outcomes.slice(offset, offset + entry.payloads.length));
        offset += entry.payloads.length;
      }
      return;
    }
    if (group.length === 1 || !isDataError(settled.error)) {
      for (const entry of group) settle(entry, null, settled.error);
      return;
    }
    // One delivery must not fail its neighbours: retry each on its own, so only the bad one fails. These go through
    // the pool, beside the lane's connection, which is busy with the next statement.
    await Promise.all(
      group.map((entry) =>
        runBatch(pool, entry.payloads).then(
          (outcomes) => settle(entry, outcomes),
          (error: unknown) => settle(entry, null, error),
        ),
      ),
    );
  }

  return {
    /** Queues every payload of one delivery atomically: all are committed before this resolves, or it rejects. */
    enqueue(payloads: TriageTicketPayload[]): Promise<EnqueueOutcome[]> {
      if (payloads.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        const entry: Waiting = { payloads, resolve, reject, timer: null };
        entry.timer = setTimeout(expire, options.timeoutMs, entry);
        waiting.push(entry);
        if (inFlight < options.maxInFlight) void lane();
      });
    },
    /**
     * Once no delivery is in flight (the HTTP server has closed): sends the wake-up that the NOTIFY spacing may still
     * hold back, so that workers in other processes hear of the last jobs now rather than at their next poll.
     */
    flush: flushWakeUps,
  };
}

/** A delivery waiting for its commit: its tickets, its caller's promise and its deadline. */
interface Waiting {
  payloads: TriageTicketPayload[];
  resolve: (outcomes: EnqueueOutcome[]) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout | null;
}

/** Answers a delivery once: with its outcomes, or with `error`. A settled promise ignores later calls. */
function settle(entry: Waiting, outcomes: EnqueueOutcome[] | null, error?: unknown): void {
  if (entry.timer) clearTimeout(entry.timer);
  if (outcomes) entry.resolve(outcomes);
  else entry.reject(error);
}

/** Errors caused by the data of a delivery (SQLSTATE classes 22 and 23), not by the database or the connection. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** What the webhook route needs of a queue (tests and the bench also give it ones that store nothing). */
export interface IntakeQueue {
  enqueue(payloads: TriageTicketPayload[]): Promise<EnqueueOutcome[]>;
}
