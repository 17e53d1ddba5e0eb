// Answers for a fake LLM (Ollama or OpenAI-compatible) that is as bad as a steered model can be: it reads the ticket
// between the prompt's delimiters and obeys whatever the customer asked for. A ticket that asks for CRITICAL gets
// critical; anything else gets low / no action / no internal action, as if an injection had said "this is nothing".
// Tests use it to show the guard, not the model, keeps escalations and pings honest.
import type { RecordedRequest } from './ollama.ts';

/** The text between the prompt's ticket delimiters (the last ones: the system prompt names them too), or ''. */
export function ticketTextOf(request: RecordedRequest): string {
  const messages = (request.body as { messages?: { content?: unknown }[] } | undefined)?.messages ?? [];
  const user = messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
  const begin = user.lastIndexOf('<<<TICKET_DATA_BEGIN>>>');
  const end = user.lastIndexOf('<<<TICKET_DATA_END>>>');
  return begin >= 0 && end > begin ? user.slice(begin, end) : user;
}

/** The triage a model that obeys the ticket would give. */
export function gullibleTriage(request: RecordedRequest): Record<string, unknown> {
  const obeysCritical = /critical/i.test(ticketTextOf(request));
  return {
    priority: obeysCritical ? 'critical' : 'low',
    handling_mode: obeysCritical ? 'reply_and_internal_followup' : 'no_action',
    recommended_internal_action: obeysCritical ? 'Escalate to engineering' : 'None',
    asana_ticket_type_if_needed: obeysCritical ? 'Escalation' : 'None',
    customer_summary: obeysCritical ? 'Customer reports a critical incident.' : 'Routine message, nothing to do.',
    reply_needed: false,
    reply_draft: null,
    questions_for_customer: [],
    internal_notes: [],
    confidence: 0.9,
  };
}
