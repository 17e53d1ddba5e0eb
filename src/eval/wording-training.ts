// Where the security net's learned signal (triage/security/wording.ts) gets its examples: the labelled set's `main`
// split only, read exactly as the guard reads a live ticket (normalized, folded, reduced to what is reported). The
// held-out split is never trained on, so measuring on it stays honest.

import { reportedText } from '../triage/security/signals.ts';
import { trainWordingModel, type WordingExample, type WordingModel } from '../triage/security/wording.ts';
import { readTicketText } from '../triage/ticket-text.ts';
import { type EvalTicket, loadEvalSet, toNormalizedTicket } from './dataset.ts';

export const WORDING_SOURCE = 'eval/tickets.jsonl, split main';

export function wordingExamples(tickets: EvalTicket[]): WordingExample[] {
  return tickets
    .filter((t) => t.split === 'main')
    .map((t) => {
      const ticket = toNormalizedTicket(t);
      return { clean: reportedText(readTicketText(ticket.subject, ticket.body)).clean, security: t.labels.security };
    });
}

export async function trainWordingFromEvalSet(file: string): Promise<WordingModel> {
  const set = await loadEvalSet(file);
  return trainWordingModel(wordingExamples(set.tickets), WORDING_SOURCE);
}
