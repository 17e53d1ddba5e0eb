// Queue depth for /health and metrics, read from graphile-worker's public `jobs` view.
import type pg from 'pg';

export interface QueueCounts {
  /** Tickets committed by intake whose job a worker process has not added yet (normally for milliseconds). */
  staged: number;
  /** Jobs waiting or being retried. */
  pending: number;
  /** Jobs that used up their attempts (kept by graphile-worker until removed). */
  failed: number;
}

export async function getQueueCounts(pool: pg.Pool): Promise<QueueCounts> {
  const { rows } = await pool.query<QueueCounts>(
    `select (select count(*) from processed_tickets where pending_job is not null)::int as staged,
            count(*) filter (where attempts < max_attempts)::int as pending,
            count(*) filter (where attempts >= max_attempts)::int as failed
       from graphile_worker.jobs`,
  );
  return rows[0] ?? { staged: 0, pending: 0, failed: 0 };
}
