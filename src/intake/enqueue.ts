// Durable intake (ARCHITECTURE D4): a delivery is acknowledged only after its job is committed. One SQL statement
// per ticket decides between "already notified" (duplicate), "already queued or running" (no second job) and "queue
// it" (graphile-worker add_job keyed by portal + ticket). Concurrent deliveries share transactions (group commit):
// a commit costs far more than a statement, so this is what lets intake keep up with bursts.
import type pg from 'pg';
import { TRIAGE_MAX_ATTEMPTS, TRIAGE_TICKET, type TriageTicketPayload, triageJobKey } from '../queue/tasks.ts';

export type EnqueueOutcome =
  | { ticketId: string; status: 'accepted'; alreadyQueued: boolean }
  | { ticketId: string; status: 'duplicate'; originalProcessedAt: string };

// The notified check and the queue check run first; add_job only runs when both found nothing. Concurrent deliveries
// of one ticket that both reach add_job converge on the one job row its unique key allows.
const ENQUEUE_SQL = `
with done as (
  update processed_tickets set duplicates = duplicates + 1, updated_at = now()
   where ticket_id = $1 and portal_id is not distinct from $2 and status = 'notified'
  returning processed_at
), queued as (
  select 1 from graphile_worker.jobs where key = $3 and not exists (select 1 from done)
), added as (
  select (graphile_worker.add_job($4, $5::json, max_attempts => $6, job_key => $3,
                                  job_key_mode => 'preserve_run_at')).id as job_id
   where not exists (select 1 from done) and not exists (select 1 from queued)
)
select (select processed_at from done) as processed_at,
       exists (select 1 from queued) as already_queued,
       (select job_id from added) as job_id`;

interface EnqueueRow {
  processed_at: Date | null;
  already_queued: boolean;
  job_id: string | null;
}

export interface IntakeQueueOptions {
  /** Transactions committing at once; more deliveries wait and share the next commit. */
  maxInFlight: number;
  /** Tickets per shared transaction at most. */
  maxBatch: number;
}

const DEFAULTS: IntakeQueueOptions = { maxInFlight: 4, maxBatch: 100 };

export function createIntakeQueue(pool: pg.Pool, overrides: Partial<IntakeQueueOptions> = {}) {
  const options = { ...DEFAULTS, ...overrides };
  async function enqueueOne(client: pg.PoolClient, payload: TriageTicketPayload): Promise<EnqueueOutcome> {
    const { rows } = await client.query<EnqueueRow>(ENQUEUE_SQL, [
      payload.ticket_id,
      payload.portal_id,
      triageJobKey(payload.portal_id, payload.ticket_id),
      TRIAGE_TICKET,
      JSON.stringify(payload),
      TRIAGE_MAX_ATTEMPTS,
    ]);
    const row = rows[0]!;
    if (row.processed_at) {
      return { ticketId: payload.ticket_id, status: 'duplicate', originalProcessedAt: row.processed_at.toISOString() };
    }
    return { ticketId: payload.ticket_id, status: 'accepted', alreadyQueued: row.already_queued };
  }

  /** Runs the payloads in one transaction, set-based: four statements whatever the batch size. */
  async function runTransaction(payloads: TriageTicketPayload[]): Promise<EnqueueOutcome[]> {
    const client = await pool.connect();
    let broken = false;
    try {
      if (payloads.length === 1) return [await enqueueOne(client, payloads[0]!)]; // one statement: its own transaction
      await client.query('begin');
      const outcomes = await enqueueMany(client, payloads);
      await client.query('commit');
      return outcomes;
    } catch (error) {
      broken = true;
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      // A connection that failed mid-transaction is discarded rather than returned to the pool.
      client.release(broken);
    }
  }

  // Group commit: deliveries that arrive while transactions are in flight wait for the next one and share its
  // commit. Each caller still hears back only after the commit that holds its tickets.
  interface Waiting {
    payloads: TriageTicketPayload[];
    resolve: (outcomes: EnqueueOutcome[]) => void;
    reject: (error: unknown) => void;
  }
  const waiting: Waiting[] = [];
  let inFlight = 0;

  async function flush(): Promise<void> {
    inFlight++;
    try {
      while (waiting.length > 0) {
        const group: Waiting[] = [];
        let size = 0;
        while (waiting.length > 0 && (group.length === 0 || size + waiting[0]!.payloads.length <= options.maxBatch)) {
          const next = waiting.shift()!;
          group.push(next);
          size += next.payloads.length;
        }
        await commitGroup(group);
      }
    } finally {
      inFlight--;
    }
  }

  async function commitGroup(group: Waiting[]): Promise<void> {
    try {
      const outcomes = await runTransaction(group.flatMap((entry) => entry.payloads));
      let offset = 0;
      for (const entry of group) {
        entry.resolve(outcomes.slice(offset, offset + entry.payloads.length));
        offset += entry.payloads.length;
      }
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      // One delivery must not fail its neighbours: retry each on its own, so only a bad one (or a real outage) fails.
      await Promise.all(group.map((entry) => runTransaction(entry.payloads).then(entry.resolve, entry.reject)));
    }
  }

  return {
    /** Queues every payload of one delivery atomically: all are committed before this resolves, or it rejects. */
    enqueue(payloads: TriageTicketPayload[]): Promise<EnqueueOutcome[]> {
      if (payloads.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        waiting.push({ payloads, resolve, reject });
        if (inFlight < options.maxInFlight) void flush();
      });
    },
  };
}

export type IntakeQueue = ReturnType<typeof createIntakeQueue>;

// Notified tickets of the batch, locked in id order (concurrent batches then cannot deadlock on them).
const NOTIFIED_SQL = `
select p.id, p.ticket_id, p.portal_id, p.processed_at
  from processed_tickets p
 where p.status = 'notified'
   and exists (select 1 from unnest($1::text[], $2::text[]) as b(ticket_id, portal_id)
                where p.ticket_id = b.ticket_id and p.portal_id is not distinct from b.portal_id)
 order by p.id
   for update of p`;

// One add_jobs call (one NOTIFY) for every ticket that is neither notified nor queued, in key order.
const ADD_JOBS_SQL = `
select count(*)::int as added from graphile_worker.add_jobs(
  array(select row($1::text, s.payload, null, null, $2::smallint, s.key, null, null)::graphile_worker.job_spec
          from unnest($3::text[], $4::json[]) as s(key, payload)
         order by s.key),
  true)`;

/** The batch path of enqueue: the same decisions as ENQUEUE_SQL, made for all payloads at once. */
async function enqueueMany(client: pg.PoolClient, payloads: TriageTicketPayload[]): Promise<EnqueueOutcome[]> {
  const keys = payloads.map((p) => triageJobKey(p.portal_id, p.ticket_id));
  const notified = await client.query<{ id: string; ticket_id: string; portal_id: string | null; processed_at: Date }>(
    NOTIFIED_SQL,
    [payloads.map((p) => p.ticket_id), payloads.map((p) => p.portal_id)],
  );
  const doneAt = new Map(notified.rows.map((row) => [triageJobKey(row.portal_id, row.ticket_id), row.processed_at]));
  if (notified.rows.length > 0) {
    // One count per delivery that named the ticket, as the single-ticket path counts.
    const ids = notified.rows.flatMap((row) =>
      keys.filter((key) => key === triageJobKey(row.portal_id, row.ticket_id)).map(() => row.id),
    );
    await client.query(
      `update processed_tickets p set duplicates = p.duplicates + c.n, updated_at = now()
         from (select id, count(*)::int as n from unnest($1::uuid[]) as id group by id) c where p.id = c.id`,
      [ids],
    );
  }
  const open = [...new Set(keys.filter((key) => !doneAt.has(key)))];
  const queued = new Set(
    open.length === 0
      ? []
      : (
          await client.query<{ key: string }>('select key from graphile_worker.jobs where key = any($1::text[])', [
            open,
          ])
        ).rows.map((row) => row.key),
  );
  const toAdd = new Map<string, TriageTicketPayload>();
  for (const [index, key] of keys.entries()) {
    if (!doneAt.has(key) && !queued.has(key) && !toAdd.has(key)) toAdd.set(key, payloads[index]!);
  }
  if (toAdd.size > 0) {
    await client.query(ADD_JOBS_SQL, [
      TRIAGE_TICKET,
      TRIAGE_MAX_ATTEMPTS,
      [...toAdd.keys()],
      [...toAdd.values()].map((payload) => JSON.stringify(payload)),
    ]);
  }

  return payloads.map((payload, index): EnqueueOutcome => {
    const key = keys[index]!;
    const processedAt = doneAt.get(key);
    if (processedAt)
      return { ticketId: payload.ticket_id, status: 'duplicate', originalProcessedAt: processedAt.toISOString() };
    // The delivery whose payload was queued is accepted; every other one naming the ticket finds it queued.
    return { ticketId: payload.ticket_id, status: 'accepted', alreadyQueued: toAdd.get(key) !== payload };
  });
}
