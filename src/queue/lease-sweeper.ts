// Frees what dead workers left behind. graphile-worker only retakes a locked job after 4 hours; we know sooner: a
// live worker renews its ticket claim every third of the lease, so a job locked for longer than a lease whose ticket
// has no live claim belongs to a dead worker (SIGKILL, crash, lost machine), and that worker's jobs are unlocked
// (graphile_worker.force_unlock_workers) for the queue to run again; the claim still keeps each ticket to one post.
// It also ends tickets whose job is gone for good without saying so (its last attempt could not record the outcome,
// e.g. the database was away): such a `processing` row becomes `failed`, so /health counts it and a redelivery or
// `triage replay` queues it again, instead of being answered "already queued" forever.
import type pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { jobKeySql, TRIAGE_TICKET } from './tasks.ts';

const DEAD_WORKERS_SQL = `
select distinct j.locked_by
  from graphile_worker.jobs j
 where j.task_identifier = $1
   and j.locked_by is not null
   and j.locked_at < now() - make_interval(secs => $2)
   and not exists (select 1 from processed_tickets p where ${jobKeySql('p')} = j.key and p.claimed_until > now())`;

const ENDED_WITHOUT_OUTCOME_SQL = `
update processed_tickets p
   set status = 'failed', claimed_by = null, claimed_until = null, updated_at = now(),
       last_error = left('its job ended without an outcome; last error: ' || coalesce(p.last_error, 'none'), 500)
 where p.status = 'processing'
   and (p.claimed_until is null or p.claimed_until < now())
   and p.updated_at < now() - make_interval(secs => $1)
   and not exists (select 1 from graphile_worker.jobs j where j.key = ${jobKeySql('p')} and j.attempts < j.max_attempts)
returning p.ticket_id`;

async function unlockDeadWorkers(pool: pg.Pool, leaseMs: number): Promise<string[]> {
  const { rows } = await pool.query<{ locked_by: string }>(DEAD_WORKERS_SQL, [TRIAGE_TICKET, leaseMs / 1000]);
  const workers = rows.map((row) => row.locked_by);
  if (workers.length > 0) await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [workers]);
  return workers;
}

async function failEndedTickets(pool: pg.Pool, leaseMs: number): Promise<number> {
  const { rowCount } = await pool.query(ENDED_WITHOUT_OUTCOME_SQL, [leaseMs / 1000]);
  return rowCount ?? 0;
}

export function startLeaseSweeper(options: {
  pool: pg.Pool;
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
      const workers = await unlockDeadWorkers(options.pool, options.leaseMs);
      if (workers.length > 0) log.warn({ workers }, 'unlocked jobs of workers that stopped renewing their claims');
      const ended = await failEndedTickets(options.pool, options.leaseMs);
      if (ended > 0) log.warn({ tickets: ended }, 'marked failed: tickets whose job ended without an outcome');
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
