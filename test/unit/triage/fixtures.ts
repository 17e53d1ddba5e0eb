// Shared builders for the triage tests: tickets, a valid model output, a capturing logger and a controllable clock.
import { Writable } from 'node:stream';
import type { NormalizedTicket } from '../../../src/domain/ticket.ts';
import type { TriageOutput } from '../../../src/domain/triage-output.ts';
import { createLogger, type Logger } from '../../../src/observability/logger.ts';

export function makeTicket(overrides: Partial<NormalizedTicket> = {}): NormalizedTicket {
  return {
    ticket_id: '4711',
    subject: 'Export to CSV produces an empty file',
    body: 'Since yesterday the CSV export of our contacts list downloads a file with only the header row.',
    from_email: 'dana@example.com',
    customer_name: 'Dana Smith',
    customer_tier: 'standard',
    product_area: 'exports',
    hubspot_ticket_url: null,
    portal_id: null,
    received_at: '2026-11-25T12:00:00.000Z',
    request_id: 'req-1',
    ...overrides,
  };
}

export function validOutput(overrides: Partial<TriageOutput> = {}): TriageOutput {
  return {
    priority: 'medium',
    handling_mode: 'reply_and_internal_followup',
    recommended_internal_action: 'Create bug report',
    asana_ticket_type_if_needed: 'Bug',
    customer_summary: 'CSV export returns only the header row since yesterday.',
    reply_needed: true,
    reply_draft: 'Hi Dana,\n\nThanks for reporting this. Could you tell us which list you exported?\n\nBest regards',
    questions_for_customer: ['Which list did you export?'],
    internal_notes: ['Likely regression in the export service.'],
    confidence: 0.82,
    ...overrides,
  };
}

export interface CapturedLogger {
  logger: Logger;
  lines: () => string[];
}

/** A real pino logger writing into memory, so tests can assert what was (and was not) logged. */
export function captureLogger(): CapturedLogger {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

export function fakeClock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}
