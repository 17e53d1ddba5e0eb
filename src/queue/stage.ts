// Queues tickets that this service has never seen, for the catch-up sweep: a ticket is "seen" when any row of it
// exists, under any portal id (a ticket id is unique within the one HubSpot account a token reads). The rows are
// staged like intake's, and the queue mover adds their jobs.
import type pg from 'pg';
import { INBOX_CHANNEL, type TriageTicketPayload } from './tasks.ts';

const STAGE_UNSEEN_SQL = `
insert into processed_tickets (ticket_id, portal_id, status, pending_job)
select b.ticket_id, b.portal_id, 'queued', b.payload
  from rows from (unnest($1::text[]), unnest($2::text[]), json_array_elements($3::json)) as b(ticket_id, portal_id, payload)
 where not exists (select 1 from processed_tickets p where p.ticket_id = b.ticket_id)
 order by b.portal_id, b.ticket_id
on conflict (portal_id, ticket_id) do nothing
returning ticket_id`;

export async function stageUnseenTickets(
  pool: pg.Pool,
  payloads: TriageTicketPayload[],
): Promise<{ queued: string[] }> {
  if (payloads.length === 0) return { queued: [] };
  const { rows } = await pool.query<{ ticket_id: string }>(STAGE_UNSEEN_SQL, [
    payloads.map((p) => p.ticket_id),
    payloads.map((p) => p.portal_id),
    JSON.stringify(payloads),
  ]);
  if (rows.length > 0)
    await pool.query('select pg_notify($1, $2)', [INBOX_CHANNEL, JSON.stringify({ count: rows.length })]);
  return { queued: rows.map((row) => row.ticket_id) };
}

/** When this installation first ran (set once, at start-up): the catch-up sweep never looks further back. */
export async function installationFloor(pool: pg.Pool): Promise<Date> {
  const { rows } = await pool.query<{ at: Date }>(
    `with ins as (insert into service_state (name) values ('first_started') on conflict (name) do nothing returning at)
     select at from ins union all select at from service_state where name = 'first_started' limit 1`,
  );
  return rows[0]!.at;
}

/** The portal id live deliveries carry (the most recent one seen), for the job keys of swept tickets. */
export async function latestPortalId(pool: pg.Pool): Promise<string | null> {
  const { rows } = await pool.query<{ portal_id: string | null }>(
    'select portal_id from processed_tickets order by processed_at desc limit 1', // idx_processed_at, no scan
  );
  return rows[0]?.portal_id ?? null;
}
