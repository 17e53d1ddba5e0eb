// What the queue carries for one ticket, and the key that keeps one job per (portal, ticket).
import type { TicketCreationEvent } from './normalize.ts';
import type { NormalizedTicket } from './ticket.ts';

export interface TriageTicketPayload {
  v: 1;
  request_id: string;
  received_at: string;
  ticket_id: string;
  portal_id: string | null;
  /** The normalized ticket, or null when only the event is known and the worker must enrich it. */
  ticket: NormalizedTicket | null;
  /** An event-only delivery (Webhooks API): the worker fetches the ticket from the CRM before triage. */
  event: TicketCreationEvent | null;
}

/** The job key that makes a re-delivery of a queued ticket not create a second job. */
export function triageJobKey(portalId: string | null, ticketId: string): string {
  return `ticket:${portalId ?? '-'}:${ticketId}`;
}
