// Queue depth for /health: tickets staged by intake (from the ticket store) and graphile-worker's jobs, read from
// its public `jobs` view.
import type pg from 'pg';
import type { TicketStore } from '../db/ticket-store.ts';
import type { QueueCounts } from '../observability/health.ts';

export async function getQueueCounts(pool: pg.Pool, store: Pick<TicketStore, 'countStaged'>): Promise<QueueCounts> {
  const { rows } = await pool.query<{ pending: number; failed: number }>(
    `select count(*) filter (where attempts < max_attempts)::int as pending,
            count(*) filter (where attempts >= max_attempts)::int as failed
       from graphile_worker.jobs`,
  );
  return { staged: await store.countStaged(), pending: rows[0]?.pending ?? 0, failed: rows[0]?.failed ?? 0 };
}
