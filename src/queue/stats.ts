// Queue depth for /health and metrics, read from graphile-worker's public `jobs` view.
import type pg from 'pg';

export interface QueueCounts {
  /** Jobs waiting or being retried. */
  pending: number;
  /** Jobs that used up their attempts (kept by graphile-worker until removed). */
  failed: number;
}

export async function getQueueCounts(pool: pg.Pool): Promise<QueueCounts> {
  const { rows } = await pool.query<{ pending: number; failed: number }>(
    `select count(*) filter (where attempts < max_attempts)::int as pending,
            count(*) filter (where attempts >= max_attempts)::int as failed
       from graphile_worker.jobs`,
  );
  return rows[0] ?? { pending: 0, failed: 0 };
}
