// Tickets and triage results for the notifier tests; each test overrides only what it is about.
import type { NormalizedTicket } from '../../../src/domain/ticket.ts';
import type { TriageOutput } from '../../../src/domain/triage-output.ts';
import type { TriageFailure, TriageSuccess } from '../../../src/domain/triage-result.ts';

export const NOW = new Date('2026-11-25T12:00:00.000Z');

export function makeTicket(overrides: Partial<NormalizedTicket> = {}): NormalizedTicket {
  return {
    ticket_id: '4711',
    subject: 'Cannot export invoices',
    body: 'The export button does nothing since yesterday.',
    from_email: 'jane@example.com',
    customer_name: 'Jane Doe',
    customer_tier: 'enterprise',
    product_area: 'billing',
    hubspot_ticket_url: 'https://app.hubspot.com/contacts/123/record/0-5/4711',
    portal_id: '123',
    received_at: '2026-11-25T11:59:00.000Z',
    request_id: 'req-1',
    ...overrides,
  };
}

export function makeOutput(overrides: Partial<TriageOutput> = {}): TriageOutput {
  return {
    priority: 'high',
    handling_mode: 'reply_and_internal_followup',
    recommended_internal_action: 'Create bug report',
    asana_ticket_type_if_needed: 'Bug',
    customer_summary: 'Invoice export fails silently for an enterprise customer.',
    reply_needed: true,
    reply_draft: 'Hi Jane,\nthanks for reporting this. Could you tell us which browser you use?',
    questions_for_customer: ['Which browser do you use?', 'Does it fail for every invoice?'],
    internal_notes: ['Export endpoint returned 500 in logs', 'Possibly related to last deploy'],
    confidence: 0.85,
    ...overrides,
  };
}

export function makeSuccess(overrides: Partial<TriageSuccess> = {}, output: Partial<TriageOutput> = {}): TriageSuccess {
  return {
    ok: true,
    output: makeOutput(output),
    provider: 'local',
    model: 'llama3.1:8b',
    repaired: false,
    usage: { promptTokens: 900, completionTokens: 200 },
    interventions: [],
    warnings: [],
    securityEscalation: false,
    attempts: [
      {
        provider: 'local',
        model: 'llama3.1:8b',
        outcome: 'ok',
        failureClass: null,
        message: null,
        latencyMs: 800,
        repairAttempted: false,
      },
    ],
    fallbackReasons: [],
    promptVersion: 'abc123',
    latencyMs: 850,
    ...overrides,
  };
}

export function makeFailure(overrides: Partial<TriageFailure> = {}): TriageFailure {
  return {
    ok: false,
    errorClass: 'invalid_output',
    errorMessage: 'Output failed validation after repair: priority: invalid enum value',
    lastProvider: 'groq',
    rawOutput: '{"priority": "urgent", "summary": "x"}',
    attempts: [
      {
        provider: 'local',
        model: 'llama3.1:8b',
        outcome: 'failed',
        failureClass: 'timeout',
        message: 'timed out after 10000 ms',
        latencyMs: 10000,
        repairAttempted: false,
      },
      {
        provider: 'groq',
        model: 'openai/gpt-oss-120b',
        outcome: 'failed',
        failureClass: 'invalid_output',
        message: 'validation failed',
        latencyMs: 900,
        repairAttempted: true,
      },
    ],
    fallbackReasons: [
      { provider: 'local', reason: 'timeout' },
      { provider: 'groq', reason: 'invalid_output' },
    ],
    promptVersion: 'abc123',
    latencyMs: 11000,
    ...overrides,
  };
}
