// Frees what dead workers left behind. graphile-worker only retakes a locked job after 4 hours; we know sooner: a
// live worker renews its ticket claim every third of the lease, so a job locked for longer than a lease whose ticket
// has no live claim belongs to a dead worker (SIGKILL, crash, lost machine), and that worker's jobs are unlocked
// (graphile_worker.force_unlock_workers) for the queue to run again; the claim still keeps each ticket to one post.
// It also ends tickets whose job is gone for good without saying so (its last attempt could not record the outcome,
// e.g. the database was away): such a `triaging` row becomes `not_posted`, so /health counts it and a redelivery or
// `triage replay` queues it again, instead of being answered "already queued" forever.
import type pg from 'pg';
import type { TicketStore } from '../db/ticket-store.ts';
import { triageJobKey } from '../domain/job.ts';
import type { Logger } from '../observability/logger.ts';
import { TRIAGE_TICKET } from './tasks.ts';

type ClaimStore = Pick<TicketStore, 'liveClaims' | 'staleClaims' | 'failStaleClaims'>;

/** Workers holding a triage job locked for longer than a lease whose ticket has no live claim. */
async function unlockDeadWorkers(pool: pg.Pool, tickets: ClaimStore, leaseMs: number): Promise<string[]> {
  const { rows } = await pool.query<{ key: string | null; locked_by: string }>(
    `select key, locked_by from graphile_worker.jobs
      where task_identifier = $1 and locked_by is not null and locked_at < now() - make_interval(secs => $2)`,
    [TRIAGE_TICKET, leaseMs / 1000],
  );
  if (rows.length === 0) return [];
  const live = new Set((await tickets.liveClaims()).map((k) => triageJobKey(k.portalId, k.ticketId)));
  const workers = [...new Set(rows.filter((row) => !row.key || !live.has(row.key)).map((row) => row.locked_by))];
  if (workers.length > 0) await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [workers]);
  return workers;
}

/** `triaging` tickets without a live claim whose job has no attempts left or is gone: marked `not_posted`. */
async function failEndedTickets(pool: pg.Pool, tickets: ClaimStore, leaseMs: number): Promise<number> {
  const stale = await tickets.staleClaims(leaseMs);
  if (stale.length === 0) return 0;
  const { rows } = await pool.query<{ key: string }>(
    'select key from graphile_worker.jobs where key = any($1::text[]) and attempts < max_attempts',
    [stale.map((k) => triageJobKey(k.portalId, k.ticketId))],
  );
  const alive = new Set(rows.map((row) => row.key));
  const ended = stale.filter((k) => !alive.has(triageJobKey(k.portalId, k.ticketId)));
  return (await tickets.failStaleClaims(ended, leaseMs)).length;
}

export function startLeaseSweeper(options: {
  pool: pg.Pool;
  tickets: ClaimStore;
  leaseMs: number;
  logger: Logger;
  intervalMs?: number;
  now?: () => number;
}) {
  const log = options.logger.child({ component: 'lease-sweeper' });
  const now = options.now ?? Date.now;
  let running = false;
  // A claim that expired while the database was away says nothing about its worker: a live one could not renew it
  // either (and may be retrying the commit after a Discord post). So judge nothing until a whole lease has passed with
  // the database answering: after start-up, and after any sweep that could not reach it. Every process sees the same
  // outage, and live workers renew within a third of the lease once it ends.
  let judgeFrom = now() + options.leaseMs;
  let outage = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      await options.pool.query('select 1');
      if (outage) {
        outage = false;
        judgeFrom = now() + options.leaseMs;
      }
      if (now() < judgeFrom) return;
      const workers = await unlockDeadWorkers(options.pool, options.tickets, options.leaseMs);
      if (workers.length > 0) log.warn({ workers }, 'unlocked jobs of workers that stopped renewing their claims');
      const ended = await failEndedTickets(options.pool, options.tickets, options.leaseMs);
      if (ended > 0) log.warn({ tickets: ended }, 'marked not_posted: tickets whose job ended without an outcome');
    } catch (error) {
      if (!outage) log.warn({ err: { message: (error as Error).message } }, 'lease sweep failed');
      outage = true;
    } finally {
      running = false;
    }
  };
  const timer = setInterval(sweep, options.intervalMs ?? Math.max(100, Math.floor(options.leaseMs / 2)));
  timer.unref();
  void sweep();
  return { stop: () => clearInterval(timer), sweep };
}
