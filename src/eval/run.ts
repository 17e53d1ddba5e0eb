// Runs every ticket of the set through a triage chain (the same chain object the service builds), at most
// `concurrency` at a time, and keeps per ticket only what the metrics need: the final fields, how the first
// answering provider's output fared against the schema, latency and tokens. Outcomes keep the file's order.
import type { TriageResult } from '../domain/triage-result.ts';
import type { TriageChain } from '../triage/index.ts';
import { type EvalTicket, type Split, toNormalizedTicket } from './dataset.ts';

/** How the first provider that answered did against the schema: valid at once, valid after the repair, or not. */
export type SchemaOutcome = 'valid' | 'repaired' | 'invalid' | 'no_answer';

export interface TicketOutcome {
  id: string;
  split: Split;
  kind: string;
  labels: EvalTicket['labels'];
  /** The final output's fields; null when the chain ended in a failure (no recommendation at all). */
  got: { priority: string; handling_mode: string; action: string; escalated: boolean } | null;
  /** The chain's failure class when got is null. */
  error: string | null;
  provider: string | null;
  model: string | null;
  schema: SchemaOutcome;
  latency_ms: number;
  tokens: { prompt: number; completion: number };
}

export interface RunOptions {
  concurrency: number;
  /** Called after each ticket with the number done so far. */
  onProgress?: (done: number, total: number, errors: number) => void;
}

export async function runTickets(
  chain: TriageChain,
  tickets: EvalTicket[],
  options: RunOptions,
): Promise<TicketOutcome[]> {
  const outcomes: TicketOutcome[] = new Array(tickets.length);
  let next = 0;
  let done = 0;
  let errors = 0;
  // A fixed pool of loops pulling the next index: never more than `concurrency` tickets in flight.
  const worker = async () => {
    while (next < tickets.length) {
      const index = next++;
      const ticket = tickets[index]!;
      const result = await chain.run(toNormalizedTicket(ticket));
      outcomes[index] = toOutcome(ticket, result);
      done++;
      if (!result.ok) errors++;
      options.onProgress?.(done, tickets.length, errors);
    }
  };
  const loops = Math.max(1, Math.min(options.concurrency, tickets.length));
  await Promise.all(Array.from({ length: loops }, worker));
  return outcomes;
}

export function toOutcome(ticket: EvalTicket, result: TriageResult): TicketOutcome {
  const base = { id: ticket.id, split: ticket.split, kind: ticket.kind, labels: ticket.labels };
  const schema = schemaOutcome(result);
  const latency_ms = Math.round(result.latencyMs);
  if (!result.ok) {
    return {
      ...base,
      got: null,
      error: result.errorClass,
      provider: null,
      model: null,
      schema,
      latency_ms,
      tokens: { prompt: 0, completion: 0 },
    };
  }
  const action = result.output.recommended_internal_action;
  return {
    ...base,
    got: {
      priority: result.output.priority,
      handling_mode: result.output.handling_mode,
      action,
      // The guard's own notion (src/triage/guard.ts): a security escalation is the final action, whoever chose it.
      escalated: action === 'Escalate to security',
    },
    error: null,
    provider: result.provider,
    model: result.model,
    schema,
    latency_ms,
    tokens: { prompt: result.usage.promptTokens, completion: result.usage.completionTokens },
  };
}

/**
 * Judged on the first provider that produced text: its attempt is 'ok' (valid, perhaps after the repair) or failed
 * as invalid_output, or failed in the repair call itself (it answered once, invalidly). Providers skipped or failing
 * before any answer (timeouts, 5xx, open circuit) do not count; when none answered the ticket has no answer.
 */
export function schemaOutcome(result: TriageResult): SchemaOutcome {
  const answered = result.attempts.find(
    (a) => a.outcome === 'ok' || a.failureClass === 'invalid_output' || (a.outcome === 'failed' && a.repairAttempted),
  );
  if (!answered) return 'no_answer';
  if (answered.outcome !== 'ok') return 'invalid';
  return answered.repairAttempted ? 'repaired' : 'valid';
}
