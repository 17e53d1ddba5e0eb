// Durable intake (ARCHITECTURE D4): a delivery is acknowledged only after its job is committed. One SQL statement
// per ticket, run inside one transaction per delivery, decides between "already notified" (duplicate), "already
// queued or running" (no second job) and "queue it" (graphile-worker add_job keyed by portal + ticket).
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

export function createIntakeQueue(pool: pg.Pool) {
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

  return {
    /** Queues every payload in one transaction: all are committed, or none and the error propagates. */
    async enqueue(payloads: TriageTicketPayload[]): Promise<EnqueueOutcome[]> {
      if (payloads.length === 0) return [];
      const client = await pool.connect();
      let broken = false;
      try {
        if (payloads.length === 1) return [await enqueueOne(client, payloads[0]!)]; // one statement: its own transaction
        await client.query('begin');
        const outcomes: EnqueueOutcome[] = [];
        for (const payload of payloads) outcomes.push(await enqueueOne(client, payload));
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
    },
  };
}

export type IntakeQueue = ReturnType<typeof createIntakeQueue>;
