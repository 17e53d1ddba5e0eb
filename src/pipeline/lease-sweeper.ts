// Frees triage jobs whose worker died (SIGKILL, crash, lost machine). graphile-worker only retakes a locked job
// after 4 hours; we know sooner: a live worker renews its ticket claim every third of the lease, so a job locked
// for longer than a lease whose ticket has no live claim belongs to a dead worker, and that worker's jobs are
// unlocked (graphile_worker.force_unlock_workers) for the queue to run again. The claim still keeps it exactly-once.
import type pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { TRIAGE_TICKET } from '../queue/tasks.ts';

const DEAD_WORKERS_SQL = `
select distinct j.locked_by
  from graphile_worker.jobs j
 where j.task_identifier = $1
   and j.locked_by is not null
   and j.locked_at < now() - make_interval(secs => $2)
   and not exists (
     -- the job key as triageJobKey() builds it (src/queue/tasks.ts)
     select 1 from processed_tickets p
      where 'ticket:' || coalesce(p.portal_id, '-') || ':' || p.ticket_id = j.key
        and p.claimed_until > now())`;

async function unlockDeadWorkers(pool: pg.Pool, leaseMs: number): Promise<string[]> {
  const { rows } = await pool.query<{ locked_by: string }>(DEAD_WORKERS_SQL, [TRIAGE_TICKET, leaseMs / 1000]);
  const workers = rows.map((row) => row.locked_by);
  if (workers.length > 0) await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [workers]);
  return workers;
}

export function startLeaseSweeper(options: { pool: pg.Pool; leaseMs: number; logger: Logger; intervalMs?: number }) {
  const log = options.logger.child({ component: 'lease-sweeper' });
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      const workers = await unlockDeadWorkers(options.pool, options.leaseMs);
      if (workers.length > 0) log.warn({ workers }, 'unlocked jobs of workers that stopped renewing their claims');
    } catch (error) {
      log.warn({ err: { message: (error as Error).message } }, 'lease sweep failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(sweep, options.intervalMs ?? Math.max(100, Math.floor(options.leaseMs / 2)));
  timer.unref();
  void sweep();
  return { stop: () => clearInterval(timer), sweep };
}
