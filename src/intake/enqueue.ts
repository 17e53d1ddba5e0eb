// Durable intake (ARCHITECTURE D4): a delivery is acknowledged only after its tickets are committed. One statement
// (the ticket store's queueTickets) decides, for every ticket of a batch, between "already posted" (duplicate),
// "already queued or running" (no second job) and "queue it" (a `queued` row holding the job payload, which a
// worker process turns into a graphile-worker job). Concurrent deliveries share that statement and its commit
// (group commit): a commit costs far more than a row. Every caller hears back only after the commit that holds its
// tickets.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type pg from 'pg';
import { createDatabase, type Database } from '../db/client.ts';
import { isDataError } from '../db/errors.ts';
import { addDuplicates, type QueuedRow, queueTickets } from '../db/ticket-store.ts';
import { type TriageTicketPayload, triageJobKey } from '../domain/job.ts';
import { isPosted } from '../domain/states.ts';
import { INBOX_CHANNEL } from '../queue/tasks.ts';

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

// One statement at a time, up to 100 tickets each: the fastest measured (bench/RESULTS.md, issue 3).
// 4 s: HubSpot's Webhooks API gives up after 5 s, so a stuck database still gets HubSpot a 503 it can act on.
export const INTAKE_TIMEOUT_MS = 4_000;
const DEFAULTS: IntakeQueueOptions = {
  maxInFlight: 1,
  maxBatch: 100,
  timeoutMs: INTAKE_TIMEOUT_MS,
  notifyIntervalMs: 10,
};

// Intake writes only our own table; the queue mover (src/queue/mover.ts) adds the jobs. Adding them here would send
// graphile-worker's NOTIFY inside every intake transaction, and PostgreSQL serialises notifying commits.

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

  // Wake the queue mover (src/queue/mover.ts) now rather than at its next poll; a lost wake-up only costs the poll
  // interval, the ticket is committed. At most one NOTIFY per notifyIntervalMs: tickets committed meanwhile are
  // announced together by the next one, so a burst does not cost a NOTIFY (about a statement's cost) per batch.
  let notifying: Promise<void> | null = null;
  let held: NodeJS.Timeout | null = null;
  let lastNotify = Number.NEGATIVE_INFINITY;
  let unannounced = 0;
  function wakeMover(count: number): void {
    unannounced += count;
    if (notifying || held) return;
    const wait = lastNotify + options.notifyIntervalMs - performance.now();
    if (wait > 0) {
      // Unref'd: a wake-up is best effort and never keeps the process alive; shutdown sends it through flush().
      held = setTimeout(() => {
        held = null;
        wakeMover(0);
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
      if (unannounced > 0) wakeMover(0);
    };
    notifying = pool.query('select pg_notify($1, $2)', [INBOX_CHANNEL, payload]).then(sent, sent);
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
    // On timeout pg fails the query; the connection, still busy with it, is dropped (see lane()).
    const rows = await queueTickets(client, payloads, options.timeoutMs);
    const written = new Map(rows.map((row) => [triageJobKey(row.portal_id, row.ticket_id), row]));
    const queued = rows.filter((row) => row.status === 'queued').length;
    if (queued > 0) wakeMover(queued);
    // The first delivery naming a key gets the statement's answer for it; later ones in the batch were already queued
    // (or are duplicates too, counted below: the upsert counts one per statement).
    const seen = new Set<string>();
    const repeats = new Map<string, number>();
    const outcomes = payloads.map((payload, index): EnqueueOutcome => {
      const key = keys[index]!;
      const row = written.get(key);
      const first = !seen.has(key);
      seen.add(key);
      if (row && isPosted(row.status)) {
        if (!first) repeats.set(key, (repeats.get(key) ?? 0) + 1);
        return {
          ticketId: payload.ticket_id,
          status: 'duplicate',
          originalProcessedAt: new Date(row.processed_at).toISOString(),
        };
      }
      return { ticketId: payload.ticket_id, status: 'accepted', alreadyQueued: !(row && first) };
    });
    if (repeats.size > 0) await addDuplicates(client, repeatCounts(repeats, written));
    return outcomes;
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

function repeatCounts(repeats: Map<string, number>, written: Map<string, QueuedRow>) {
  return [...repeats].map(([key, n]) => {
    const row = written.get(key)!;
    return { ticketId: row.ticket_id, portalId: row.portal_id, n };
  });
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

/** What the webhook route needs of a queue (tests and the bench also give it ones that store nothing). */
export interface IntakeQueue {
  enqueue(payloads: TriageTicketPayload[]): Promise<EnqueueOutcome[]>;
}
