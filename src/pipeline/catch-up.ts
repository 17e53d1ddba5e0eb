// The catch-up sweep: lists the tickets created in the lookback window through the CRM search and hands each one to
// `queueUnseen` as an event-only payload, so a ticket whose webhook never arrived is still triaged. `queueUnseen` is
// what makes it idempotent with live deliveries (it skips tickets already queued or processed). The window never
// reaches back past the floor, when the service first ran: a first deploy must not triage the last day's old tickets.
import { randomUUID } from 'node:crypto';
import type { TriageTicketPayload } from '../domain/job.ts';
import type { HubSpotClient } from '../hubspot/client.ts';
import type { SearchedTicket } from '../hubspot/search.ts';

/** Payloads per queueUnseen call: one statement per page keeps each insert small and progress durable. */
export const CATCH_UP_BATCH_SIZE = 100;

const HOUR_MS = 3_600_000;

/** The subset of a pino logger the sweep uses; it logs counts and dates, never ticket content. */
export interface CatchUpLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface CatchUpDeps {
  hubspot: Pick<HubSpotClient, 'searchTicketsCreatedSince'>;
  lookbackHours: number;
  /** The portal id live deliveries carry (HUBSPOT_PORTAL_ID), so a swept ticket gets the same job key. */
  portalId: () => Promise<string | null>;
  /** Queues the payloads whose tickets were never seen; returns the ticket ids it queued. */
  queueUnseen: (payloads: TriageTicketPayload[]) => Promise<{ queued: string[] }>;
  /** When the service first ran; null (not recorded yet) makes a run do nothing. */
  floor: () => Promise<Date | null>;
  logger: CatchUpLogger;
  /** request_id source; injectable for tests. */
  newId?: () => string;
}

export interface CatchUpResult {
  /** Distinct tickets the search returned. */
  listed: number;
  /** Of those, the ones queueUnseen queued (never seen before). */
  queued: number;
  /** Search pages read. */
  pages: number;
  /** Start of the searched window (ISO-8601); null when the run was skipped for want of a floor. */
  since: string | null;
  /** The search stopped before the end of the window (the client's page limit): later tickets were not listed. */
  truncated: boolean;
}

export interface CatchUpSweep {
  run(now?: Date, options?: { signal?: AbortSignal }): Promise<CatchUpResult>;
}

export function createCatchUpSweep(deps: CatchUpDeps): CatchUpSweep {
  const newId = deps.newId ?? randomUUID;
  const log = deps.logger;

  async function run(now: Date = new Date(), options: { signal?: AbortSignal } = {}): Promise<CatchUpResult> {
    const floor = await deps.floor();
    if (floor === null) {
      log.info({ listed: 0, queued: 0, pages: 0 }, 'catch-up skipped: no first-run floor recorded yet');
      return { listed: 0, queued: 0, pages: 0, since: null, truncated: false };
    }
    const sinceMs = Math.max(now.getTime() - deps.lookbackHours * HOUR_MS, floor.getTime());
    const since = new Date(sinceMs).toISOString();
    const portalId = await deps.portalId();
    const receivedAt = now.toISOString();
    const seen = new Set<string>();
    const result: CatchUpResult = { listed: 0, queued: 0, pages: 0, since, truncated: false };
    const search = options.signal ? { signal: options.signal } : {};
    try {
      for await (const page of deps.hubspot.searchTicketsCreatedSince(sinceMs, search)) {
        result.pages++;
        result.truncated = page.hasMore;
        // The client never repeats a ticket; this guards queueUnseen against a duplicate within one batch anyway.
        const fresh = page.tickets.filter((ticket) => !seen.has(ticket.id));
        for (const ticket of fresh) seen.add(ticket.id);
        result.listed += fresh.length;
        for (let start = 0; start < fresh.length; start += CATCH_UP_BATCH_SIZE) {
          const batch = fresh
            .slice(start, start + CATCH_UP_BATCH_SIZE)
            .map((ticket) => toPayload(ticket, portalId, receivedAt, newId()));
          const { queued } = await deps.queueUnseen(batch);
          result.queued += queued.length;
        }
      }
    } catch (error) {
      // Partial counts say how far the run got; the caller (the job) decides about retrying.
      const err = error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
      const { listed, queued, pages } = result;
      log.warn({ listed, queued, pages, since, portal_id: portalId, err }, 'catch-up sweep failed');
      throw error;
    }
    const line = { ...result, portal_id: portalId, lookback_hours: deps.lookbackHours };
    if (result.truncated)
      log.warn(line, 'catch-up sweep stopped at the search page limit; later tickets in the window were not listed');
    else log.info(line, 'catch-up sweep done');
    return result;
  }

  return { run };
}

function toPayload(
  ticket: SearchedTicket,
  portalId: string | null,
  receivedAt: string,
  requestId: string,
): TriageTicketPayload {
  return {
    v: 1,
    request_id: requestId,
    received_at: receivedAt,
    ticket_id: ticket.id,
    portal_id: portalId,
    ticket: null,
    event: { ticket_id: ticket.id, portal_id: portalId, occurred_at: ticket.createdAt, event_id: null },
  };
}
