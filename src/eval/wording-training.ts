// Where the security net's learned signals (triage/security/wording.ts) get their examples: the labelled set's `main`
// split only, read exactly as the guard reads a live ticket (normalized, folded, reduced to what is reported). The
// held-out split is never trained on, so measuring on it stays honest.

import { reportOf } from '../triage/security/index.ts';
import {
  trainWordingModel,
  type WordingExample,
  type WordingModel,
  type WordingTarget,
} from '../triage/security/wording.ts';
import { readTicketText } from '../triage/ticket-text.ts';
import { type EvalTicket, loadEvalSet, toNormalizedTicket } from './dataset.ts';

export const WORDING_SOURCE = 'eval/tickets.jsonl, split main';

/** Security: every ticket, positive when labelled security-relevant. Incident: positive when only `critical` is
 * acceptable, negative when `critical` is not; tickets that accept both `high` and `critical` teach nothing here. */
function positiveFor(target: WordingTarget, t: EvalTicket): boolean | undefined {
  if (target === 'security') return t.labels.security;
  const critical = t.labels.priorities.includes('critical');
  if (!critical) return false;
  return t.labels.priorities.includes('high') ? undefined : true;
}

export function wordingExamples(tickets: EvalTicket[], target: WordingTarget = 'security'): WordingExample[] {
  const examples: WordingExample[] = [];
  for (const t of tickets) {
    const positive = t.split === 'main' ? positiveFor(target, t) : undefined;
    if (positive === undefined) continue;
    const ticket = toNormalizedTicket(t);
    examples.push({ clean: reportOf(readTicketText(ticket.subject, ticket.body)).clean, positive });
  }
  return examples;
}

export async function trainWordingFromEvalSet(file: string, target: WordingTarget): Promise<WordingModel> {
  const set = await loadEvalSet(file);
  return trainWordingModel(target, wordingExamples(set.tickets, target), WORDING_SOURCE);
}
