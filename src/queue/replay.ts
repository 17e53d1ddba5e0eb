// `triage replay <ticket_id>`: queues a failed ticket again. An existing job (retries used up) is rescheduled with
// its attempts reset; otherwise a new job is built from the ticket the last run saw (kept for RETENTION_DAYS), or
// from the ids alone so the worker fetches it from HubSpot again. A notified ticket is only replayed with --force,
// because that posts a second message.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { RunStore } from '../db/run-store.ts';
import type { TicketKey, TicketStore } from '../db/ticket-store.ts';
import { TRIAGE_MAX_ATTEMPTS, TRIAGE_TICKET, type TriageTicketPayload, triageJobKey } from './tasks.ts';

export type ReplayOutcome =
  | { status: 'rescheduled'; jobId: string }
  | { status: 'queued'; jobId: string; from: 'last_run' | 'hubspot' }
  | { status: 'already_notified' }
  | { status: 'in_progress' };

export async function replayTicket(
  deps: { pool: pg.Pool; store: TicketStore; runs: RunStore },
  key: TicketKey,
  options: { force?: boolean; now?: () => Date } = {},
): Promise<ReplayOutcome> {
  const now = options.now ?? (() => new Date());
  const state = await deps.store.isTicketProcessed(key);
  if (state.isProcessed && !options.force) return { status: 'already_notified' };

  const jobKey = triageJobKey(key.portalId, key.ticketId);
  const client = await deps.pool.connect();
  try {
    await client.query('begin');
    const { rows: jobs } = await client.query<{ id: string; locked_at: Date | null }>(
      'select id, locked_at from graphile_worker.jobs where key = $1',
      [jobKey],
    );
    const job = jobs[0];
    if (job?.locked_at) {
      await client.query('rollback');
      return { status: 'in_progress' };
    }
    // Let the ticket be claimed again: only `notified` blocks a claim, and a forced replay lifts that on purpose.
    await client.query(
      `update processed_tickets set status = 'failed', claimed_by = null, claimed_until = null, updated_at = now()
        where ticket_id = $1 and portal_id is not distinct from $2`,
      [key.ticketId, key.portalId],
    );
    if (job) {
      await client.query(
        'select graphile_worker.reschedule_jobs(array[$1::bigint], run_at => now(), attempts => 0, max_attempts => $2)',
        [job.id, TRIAGE_MAX_ATTEMPTS],
      );
      await client.query('commit');
      return { status: 'rescheduled', jobId: String(job.id) };
    }
    const ticket = await deps.runs.latestTicket(key);
    const requestId = randomUUID();
    const payload: TriageTicketPayload = {
      v: 1,
      request_id: requestId,
      received_at: now().toISOString(),
      ticket_id: key.ticketId,
      portal_id: key.portalId,
      ticket: ticket ? { ...ticket, request_id: requestId } : null,
      event: ticket ? null : { ticket_id: key.ticketId, portal_id: key.portalId, occurred_at: null, event_id: null },
    };
    const { rows } = await client.query<{ id: string }>(
      'select (graphile_worker.add_job($1, $2::json, max_attempts => $3, job_key => $4)).id',
      [TRIAGE_TICKET, JSON.stringify(payload), TRIAGE_MAX_ATTEMPTS, jobKey],
    );
    await client.query('commit');
    return { status: 'queued', jobId: String(rows[0]!.id), from: ticket ? 'last_run' : 'hubspot' };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
