// Moves committed tickets into the job queue: intake (and replay, and the catch-up sweep) leave each ticket's job
// payload in `processed_tickets.pending_job`; a worker process adds the jobs with graphile-worker's public add_jobs
// and clears the payloads in the same transaction, so a ticket is queued exactly once whatever crashes when. Several
// processes may move at once (`for update skip locked`). New jobs of one portal are paced to PORTAL_TICKETS_PER_MINUTE
// (excess jobs are queued with a later run_at, never dropped). Woken by intake's NOTIFY, and polls in case one is lost.
import type pg from 'pg';
import { clearStagedTickets, lockStagedTickets } from '../db/ticket-store.ts';
import { triageJobKey } from '../domain/job.ts';
import type { Logger } from '../observability/logger.ts';
import { INBOX_CHANNEL, TRIAGE_MAX_ATTEMPTS, TRIAGE_TICKET } from './tasks.ts';

const ADD_JOBS_SQL = `
select count(*)::int as n from graphile_worker.add_jobs(array(
  select row($4::text, s.payload, null, s.run_at, $5::smallint, s.job_key, null, null)::graphile_worker.job_spec
    from unnest($1::json[], $2::timestamptz[], $3::text[]) as s(payload, run_at, job_key)))`;

export interface MoveOptions {
  /** Tickets per transaction at most. */
  batchSize?: number;
  /** New jobs per portal per minute before the rest are scheduled later; 0 = no pacing. */
  perPortalPerMinute: number;
}

/** One transaction: picks waiting tickets, adds their jobs, clears their payloads. Returns how many moved. */
export async function moveQueuedTickets(pool: pg.Pool, options: MoveOptions): Promise<number> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    const rows = await lockStagedTickets(client, options.batchSize ?? 100);
    if (rows.length === 0) {
      await client.query('commit');
      return 0;
    }
    const runAt = await pace(client, rows, options.perPortalPerMinute);
    await client.query(ADD_JOBS_SQL, [
      rows.map((r) => JSON.stringify(r.pending_job)),
      runAt,
      rows.map((r) => triageJobKey(r.portal_id, r.ticket_id)),
      TRIAGE_TICKET,
      TRIAGE_MAX_ATTEMPTS,
    ]);
    await clearStagedTickets(
      client,
      rows.map((r) => r.id),
    );
    await client.query('commit');
    return rows.length;
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * GCRA per portal: a portal may start `perMinute` jobs within any minute; the next ones are spaced 60/perMinute s
 * apart after that. The theoretical arrival time of each portal's next job lives in `portal_pacing`.
 */
async function pace(
  client: pg.PoolClient,
  rows: { portal_id: string | null; now: Date }[],
  perMinute: number,
): Promise<(Date | null)[]> {
  if (perMinute <= 0) return rows.map(() => null);
  const now = rows[0]!.now.getTime();
  const interval = 60_000 / perMinute;
  const portalKey = (portalId: string | null) => portalId ?? '-';
  const keys = [...new Set(rows.map((r) => portalKey(r.portal_id)))].sort();
  const { rows: known } = await client.query<{ portal_key: string; next_at: Date }>(
    'select portal_key, next_at from portal_pacing where portal_key = any($1::text[]) order by portal_key for update',
    [keys],
  );
  const tat = new Map(known.map((k) => [k.portal_key, k.next_at.getTime()]));
  const runAt = rows.map((row) => {
    const key = portalKey(row.portal_id);
    const next = Math.max(tat.get(key) ?? now, now);
    tat.set(key, next + interval);
    const at = next - (60_000 - interval);
    return at > now ? new Date(at) : null;
  });
  await client.query(
    `insert into portal_pacing (portal_key, next_at)
     select * from unnest($1::text[], $2::timestamptz[])
     on conflict (portal_key) do update set next_at = excluded.next_at`,
    [keys, keys.map((k) => new Date(tat.get(k)!))],
  );
  return runAt;
}

/** Tells the movers of every process that tickets were staged (they also poll, so a lost wake-up only waits). */
export async function wakeMovers(pool: Pick<pg.Pool, 'query'>, count: number): Promise<void> {
  await pool.query('select pg_notify($1, $2)', [INBOX_CHANNEL, JSON.stringify({ count })]);
}

export interface QueueMover {
  stop(): Promise<void>;
}

export interface QueueMoverOptions extends MoveOptions {
  pool: pg.Pool;
  logger: Logger;
  /** Fallback when a wake-up NOTIFY was missed (the listening connection was down, or another process sent it). */
  pollIntervalMs?: number;
}

/** Listens for intake's wake-ups on a connection of its own (re-opened after any error) and moves tickets. */
export function startQueueMover(options: QueueMoverOptions): QueueMover {
  const log = options.logger.child({ component: 'queue-mover' });
  const pollMs = options.pollIntervalMs ?? 1_000;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let failures = 0;

  const moveAll = async () => {
    for (;;) {
      again = false;
      const moved = await moveQueuedTickets(options.pool, options);
      if (moved > 0) log.debug({ moved }, 'moved tickets into the queue');
      if (moved < (options.batchSize ?? 100) && !again) return;
    }
  };
  const wake = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = moveAll()
      .then(
        () => {
          if (failures > 0) log.info({ failures }, 'queue mover recovered');
          failures = 0;
        },
        (error: unknown) => {
          // The database is away: the next poll tries again; nothing is lost, the payloads stay in their rows.
          if (failures++ === 0) log.warn({ err: { message: (error as Error).message } }, 'queue mover failed');
        },
      )
      .finally(() => {
        running = null;
      });
  };

  const timer = setInterval(() => wake(), pollMs);
  timer.unref();

  let listener: pg.PoolClient | null = null;
  let reconnect: NodeJS.Timeout | null = null;
  const listen = async () => {
    reconnect = null;
    if (stopped) return;
    let client: pg.PoolClient | null = null;
    try {
      client = await options.pool.connect();
      const held = client;
      held.on('notification', () => wake());
      held.on('error', (error) => dropListener(held, error));
      await held.query(`listen ${INBOX_CHANNEL}`);
      if (stopped) {
        held.release();
        return;
      }
      listener = held;
      wake(); // whatever was committed while nobody listened
    } catch (error) {
      if (client) dropListener(client, error as Error);
      else scheduleListen();
    }
  };
  const dropListener = (client: pg.PoolClient, error: Error) => {
    if (listener === client) listener = null;
    client.removeAllListeners('notification');
    try {
      client.release(error);
    } catch {
      // already released
    }
    scheduleListen();
  };
  const scheduleListen = () => {
    if (stopped || reconnect) return;
    reconnect = setTimeout(listen, pollMs);
    reconnect.unref();
  };
  void listen();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (reconnect) clearTimeout(reconnect);
      if (running) await running;
      const client = listener;
      listener = null;
      if (client) {
        client.removeAllListeners('notification');
        await client.query(`unlisten ${INBOX_CHANNEL}`).catch(() => {});
        client.release();
      }
    },
  };
}
