// `triage export-feedback`: the team's answers as candidate lines for the evaluation set (eval/tickets.jsonl's
// format, see eval/README.md). The person's own answers label a line; where they called the triage useful, its
// handling mode and action are taken as acceptable. Lines carry real customer text: they are for review — scrub
// names and addresses, check the labels and the kind — before they join the set.
import type { FeedbackStore } from '../db/feedback-store.ts';
import type { NormalizedTicket } from '../domain/ticket.ts';

type Exported = Awaited<ReturnType<FeedbackStore['exportFeedback']>>[number];

const KIND_BY_ACTION: Record<string, string> = {
  'Escalate to security': 'security',
  'Create bug report': 'bug',
  'Escalate to engineering': 'outage',
  'Create feedback ticket': 'feature_request',
};

export interface EvalCandidate {
  id: string;
  split: 'main';
  kind: string;
  ticket: {
    subject: string;
    body: string;
    customer_tier: string | null;
    product_area: string | null;
    customer_name: null;
    from_email: null;
  };
  labels: { priorities: string[]; handling_modes: string[]; internal_actions: string[]; security: boolean };
  note: string;
}

/** One candidate line, or null when the answer labels nothing (not useful, no priority named, or no ticket kept). */
export function toEvalCandidate(row: Exported, index: number): EvalCandidate | null {
  const ticket = row.ticket as NormalizedTicket | null;
  const output = row.output as {
    priority?: string;
    handling_mode?: string;
    recommended_internal_action?: string;
  } | null;
  const { feedback } = row;
  if (!ticket || !output) return null;
  const priority = feedback.chosenPriority ?? (feedback.useful ? output.priority : undefined);
  if (!priority) return null;
  const action = output.recommended_internal_action ?? 'None';
  const copied = feedback.useful
    ? 'taken from the triage the person called useful'
    : 'copied from a triage the person called NOT useful: check them';
  return {
    id: `f${String(index + 1).padStart(3, '0')}`,
    split: 'main',
    kind: KIND_BY_ACTION[action] ?? 'other',
    ticket: {
      subject: ticket.subject,
      body: ticket.body,
      customer_tier: ticket.customer_tier,
      product_area: ticket.product_area,
      customer_name: null,
      from_email: null,
    },
    labels: {
      priorities: [priority],
      handling_modes: output.handling_mode ? [output.handling_mode] : [],
      internal_actions: [action],
      security: feedback.useful && action === 'Escalate to security',
    },
    note: [
      `From dashboard feedback on ticket ${feedback.ticketId} (${feedback.updatedAt.toISOString().slice(0, 10)}).`,
      `Priority ${feedback.chosenPriority ? 'chosen by the person' : 'the triage gave, called useful'}; handling and action ${copied}.`,
      feedback.note ? `Their note: ${feedback.note}` : '',
      'Review before adding: real customer text; set kind, id and the fake-data rules of eval/README.md.',
    ]
      .filter(Boolean)
      .join(' '),
  };
}

export async function exportFeedback(
  store: Pick<FeedbackStore, 'exportFeedback'>,
  since: Date,
  write: (line: string) => void,
): Promise<{ exported: number; skipped: number }> {
  const rows = await store.exportFeedback(since);
  let exported = 0;
  for (const row of rows) {
    const candidate = toEvalCandidate(row, exported);
    if (!candidate) continue;
    write(`${JSON.stringify(candidate)}\n`);
    exported += 1;
  }
  return { exported, skipped: rows.length - exported };
}
