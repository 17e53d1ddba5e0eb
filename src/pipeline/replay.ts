// `triage replay <ticket_id>`: queues a ticket again, the same way intake queues one (its `processed_tickets` row
// becomes `queued` with the job payload, and a worker process adds the job with add_jobs, which replaces a job whose
// retries ran out). The payload is the ticket the last run saw (kept for RETENTION_DAYS), or the ids alone so the
// worker fetches it from HubSpot again. It refuses what could surprise: a ticket id it has never seen (unless
// --fetch), a ticket id known under several portals (unless --portal), and a posted ticket — `posted` or
// `posted_as_failure` — (unless --force, which posts a second message).
import { randomUUID } from 'node:crypto';
import type { RunStore } from '../db/run-store.ts';
import type { TicketStore } from '../db/ticket-store.ts';
import type { TriageTicketPayload } from '../domain/job.ts';
import { isPosted, type PostedState } from '../domain/states.ts';
import type { TicketKey } from '../domain/ticket.ts';

export type ReplayPlan =
  | { status: 'unknown' }
  | { status: 'ambiguous'; portals: (string | null)[] }
  | { status: 'already_posted'; portalId: string | null; state: PostedState }
  | { status: 'in_progress'; portalId: string | null }
  | { status: 'already_queued'; portalId: string | null }
  | { status: 'queue'; portalId: string | null; from: 'last_run' | 'hubspot'; previous: string | null };

export type ReplayOutcome =
  | Exclude<ReplayPlan, { status: 'queue' }>
  | (Omit<Extract<ReplayPlan, { status: 'queue' }>, 'status'> & { status: 'queued' });

export interface ReplayRequest {
  ticketId: string;
  /** undefined: find it (exactly one portal must match); null: the ticket came without a portal id. */
  portalId?: string | null;
  /** Replay a posted ticket (posts a second message). */
  force?: boolean;
  /** Queue a ticket this service has never seen (fetched from HubSpot by the worker). */
  fetch?: boolean;
}

export interface ReplayDeps {
  tickets: Pick<TicketStore, 'knownStates' | 'requeue'>;
  runs: Pick<RunStore, 'latestTicket'>;
}

/** Works out what a replay would do, without changing anything. */
export async function planReplay(deps: ReplayDeps, request: ReplayRequest): Promise<ReplayPlan> {
  const rows = await deps.tickets.knownStates(request.ticketId);
  const matching = request.portalId === undefined ? rows : rows.filter((row) => row.portal_id === request.portalId);
  if (matching.length > 1) return { status: 'ambiguous', portals: matching.map((row) => row.portal_id) };
  const known = matching[0];
  if (!known) {
    if (!request.fetch) return { status: 'unknown' };
    return { status: 'queue', portalId: request.portalId ?? null, from: 'hubspot', previous: null };
  }
  const portalId = known.portal_id;
  if (isPosted(known.status) && !request.force) return { status: 'already_posted', portalId, state: known.status };
  if (known.status === 'triaging' && known.live_claim) return { status: 'in_progress', portalId };
  if (known.status === 'queued') return { status: 'already_queued', portalId };
  const ticket = await deps.runs.latestTicket({ ticketId: request.ticketId, portalId });
  return {
    status: 'queue',
    portalId,
    from: ticket ? 'last_run' : 'hubspot',
    previous: known.status === 'unrecorded' ? null : known.status,
  };
}

/** Carries out a plan from planReplay: the ticket is `queued` with its job payload when this resolves. */
export async function replayTicket(
  deps: ReplayDeps,
  request: ReplayRequest,
  options: { now?: () => Date; plan?: ReplayPlan } = {},
): Promise<ReplayOutcome> {
  // A caller that already showed the plan passes it; the write below still only takes the row if it is unchanged.
  const plan = options.plan ?? (await planReplay(deps, request));
  if (plan.status !== 'queue') return plan;
  const key: TicketKey = { ticketId: request.ticketId, portalId: plan.portalId };
  const ticket = plan.from === 'last_run' ? await deps.runs.latestTicket(key) : null;
  const requestId = randomUUID();
  const payload: TriageTicketPayload = {
    v: 1,
    request_id: requestId,
    received_at: (options.now?.() ?? new Date()).toISOString(),
    ticket_id: key.ticketId,
    portal_id: key.portalId,
    ticket: ticket ? { ...ticket, request_id: requestId } : null,
    event: ticket ? null : { ticket_id: key.ticketId, portal_id: key.portalId, occurred_at: null, event_id: null },
  };
  // The row is only taken while it is still what the plan saw: a delivery or worker that moved it since wins.
  if (!(await deps.tickets.requeue(key, payload, request.force === true))) {
    return { status: 'in_progress', portalId: key.portalId };
  }
  return { status: 'queued', portalId: plan.portalId, from: plan.from, previous: plan.previous };
}
