// The normalized ticket (CONTRACTS.md §1.3): what every delivery shape becomes at intake, what the queue carries
// and what the triage engine and the notifier read. Optional values are null, never missing.
export interface NormalizedTicket {
  ticket_id: string;
  subject: string;
  body: string;
  from_email: string | null;
  customer_name: string | null;
  customer_tier: string | null;
  product_area: string | null;
  hubspot_ticket_url: string | null;
  portal_id: string | null;
  received_at: string;
  request_id: string;
}

export function hubspotTicketUrl(portalId: string | null, ticketId: string): string | null {
  return portalId ? `https://app.hubspot.com/contacts/${portalId}/record/0-5/${ticketId}` : null;
}

/** A ticket's identity: the same HubSpot ticket id under two portals is two tickets. */
export interface TicketKey {
  ticketId: string;
  /** HubSpot portal id; null when the delivery did not say (null is a value of its own in the key). */
  portalId: string | null;
}
