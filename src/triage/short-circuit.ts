// Cost guard: tickets that are obviously an automatic reply, a bounce or spam are decided here, before any LLM is
// called. The patterns are deliberately narrower than the rules provider's (a false positive silences a real
// ticket), and a ticket the shared security detector flags is never short-circuited, whatever else it says.
import type { NormalizedTicket } from '../domain/ticket.ts';
import { SUMMARY_MAX, type TriageOutput } from '../domain/triage-output.ts';
import type { ShortCircuitKind } from '../domain/triage-result.ts';
import { detectSecuritySignal } from './security/index.ts';

export const SHORT_CIRCUIT_MODEL = 'rules-short-circuit-v1';

/** How the embed names each kind: "decided by rules without an LLM (auto-reply)". */
export const SHORT_CIRCUIT_LABELS: Record<ShortCircuitKind, string> = {
  auto_reply: 'auto-reply',
  bounce: 'bounce',
  spam: 'spam',
};

// A body phrase alone only counts in a short message: a customer who mentions their holiday in a real request
// writes more than a few lines around it.
const SHORT_BODY_CHARS = 800;

const AUTO_REPLY_SUBJECT =
  /^\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|out of (?:the )?office|abwesenheitsnotiz|r[ée]ponse automatique)\s*[:\-–]/i;
const AUTO_REPLY_BODY =
  /\b(?:i am|i'm|i will be|i'll be)\s+(?:currently\s+)?(?:out of (?:the )?office|away from (?:the|my) (?:office|desk)|on (?:annual |parental |sick |maternity |paternity )?leave|on (?:vacation|holiday))\b/i;
// An out-of-office body that also asks something or reports a problem is a person writing, not a robot.
const REQUEST_SIGNAL =
  /\?|\b(?:broken|errors?|fail(?:s|ed|ing|ure)?|not working|(?:doesn'?t|does not|won'?t) work|issues?|problems?|bugs?|cannot|can'?t|unable)\b/i;
const AUTO_REPLY_RETURN =
  /\b(?:until|returning|return(?:s)? on|back (?:on|in the office)|limited access to (?:my )?e-?mail)\b/i;

const BOUNCE_SUBJECT =
  /^\s*(?:undeliverable|undelivered mail returned to sender|delivery status notification \(failure\)|mail delivery (?:failed|failure|subsystem)|returned mail|delivery failure|failure notice|message not delivered)\b/i;
const BOUNCE_SENDER = /^(?:mailer-daemon|postmaster)@/i;
const BOUNCE_BODY =
  /\b(?:delivery has failed to these recipients|the following message to .{1,200} was undeliverable|message (?:could not|couldn't) be delivered|550[ -]5\.1\.1|address not found|recipient address rejected)\b/i;

// Spam needs two different signals: one phrase ("guest post") can be a customer's real question.
const SPAM_SIGNALS: RegExp[] = [
  /\bseo (?:services|agency|ranking|experts?)\b/i,
  /\bguest posts?\b/i,
  /\bbacklinks?\b/i,
  /\b(?:rank|ranking) (?:on|at) the first page of google\b/i,
  /\bcrypto(?:currency)? (?:investment|opportunity)\b|\bbitcoin opportunity\b/i,
  /\byou(?:'ve| have) won\b|\bclaim your (?:prize|reward)\b|\blottery\b/i,
  /\bviagra\b|\bcasino\b/i,
  /\bwork from home and earn\b/i,
  /\bincrease your (?:traffic|sales|revenue) by\b/i,
  /\bunsubscribe from this list\b|\breply (?:with )?["']?stop["']? to unsubscribe\b/i,
  /\b(?:web design|lead generation|app development) services\b/i,
  /\blimited time offer\b/i,
];

export interface ShortCircuit {
  kind: ShortCircuitKind;
  /** Why, for the internal notes (names of the patterns, never ticket text). */
  reason: string;
}

/** The kind of obvious noise this ticket is, or null (always null when a security signal is present). */
export function detectShortCircuit(ticket: NormalizedTicket): ShortCircuit | null {
  if (detectSecuritySignal(ticket.subject, ticket.body).signals.length > 0) return null;
  const short = ticket.body.length <= SHORT_BODY_CHARS;
  if (BOUNCE_SUBJECT.test(ticket.subject)) return { kind: 'bounce', reason: 'bounce subject' };
  if (ticket.from_email && BOUNCE_SENDER.test(ticket.from_email))
    return { kind: 'bounce', reason: 'mail daemon sender' };
  if (short && BOUNCE_BODY.test(ticket.body)) return { kind: 'bounce', reason: 'delivery failure notice' };
  if (AUTO_REPLY_SUBJECT.test(ticket.subject)) return { kind: 'auto_reply', reason: 'automatic reply subject' };
  const outOfOffice = AUTO_REPLY_BODY.test(ticket.body) && AUTO_REPLY_RETURN.test(ticket.body);
  if (short && outOfOffice && !REQUEST_SIGNAL.test(ticket.body)) {
    return { kind: 'auto_reply', reason: 'out-of-office message' };
  }
  const text = `${ticket.subject}\n${ticket.body}`;
  const spam = SPAM_SIGNALS.filter((pattern) => pattern.test(text)).length;
  if (spam >= 2) return { kind: 'spam', reason: `${spam} spam phrases` };
  return null;
}

/** The triage output for a short-circuited ticket: no action, low priority, no reply. */
export function shortCircuitOutput(ticket: NormalizedTicket, decision: ShortCircuit): TriageOutput {
  const label = { auto_reply: 'Automatic reply', bounce: 'Bounced email', spam: 'Likely spam' }[decision.kind];
  const summary = `${label}: ${ticket.subject.replace(/\s+/g, ' ').trim()}`;
  return {
    priority: 'low',
    handling_mode: 'no_action',
    recommended_internal_action: 'None',
    asana_ticket_type_if_needed: 'None',
    customer_summary: summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary,
    reply_needed: false,
    reply_draft: null,
    questions_for_customer: [],
    internal_notes: [
      `Decided by rules without an LLM (${SHORT_CIRCUIT_LABELS[decision.kind]}: ${decision.reason}). If this is a real request, triage it by hand.`,
    ],
    confidence: 0.7,
  };
}
