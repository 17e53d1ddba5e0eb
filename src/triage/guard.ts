// The deterministic policy guard (CONTRACTS.md §2.2, ARCHITECTURE D7). It runs on every validated output, whatever
// the provider: security tickets are escalated no matter what the model (or an injected instruction) said; a
// `critical` (which pings @here) stands only with evidence in the ticket (a security signal, an outage many people
// hit, lost data), otherwise it becomes high with a note; reply drafts that claim actions or promise timelines are
// flagged for the human, the draft itself kept for editing. The guard never lowers a security escalation.
import type { NormalizedTicket } from '../domain/ticket.ts';
import { PRIORITIES, type Priority, type TriageOutput } from '../domain/triage-output.ts';
import type { GuardIntervention } from '../domain/triage-result.ts';
import { assessImpact } from './impact.ts';
import { SYSTEM_TEMPLATE } from './prompt.ts';
import { assessSecurity, type SecurityAssessment } from './security/index.ts';
import { readTicketText } from './ticket-text.ts';

export interface GuardResult {
  output: TriageOutput;
  interventions: GuardIntervention[];
  /** Human-facing flags for the notification (claimed actions, promised timelines, an unconfirmed critical). */
  warnings: string[];
  securityEscalation: boolean;
  /** Why the ticket was escalated to security (the signals, or the LLM check); empty when it was not. */
  securityReasons: string[];
}

export interface GuardOptions {
  /** An LLM's answer to the narrow "is this security-relevant?" question: it can add an escalation, never remove one. */
  llmSecurityVerdict?: LlmSecurityVerdict | null;
}

export interface LlmSecurityVerdict {
  relevant: boolean;
  reason: string;
  /** Which LLM answered (e.g. "local"), named in the reason shown. */
  source?: string;
}

const CLAIM_VERBS =
  'escalated|created|opened|filed|logged|raised|flagged|forwarded|reported|assigned|submitted|refunded|credited|issued|fixed|resolved|deployed|reset|notified|passed|contacted|informed|cancell?ed|updated|restored|patched';

// Claims that something was already done, in the first person, in the passive, or as work in progress.
const CLAIM_PATTERNS: RegExp[] = [
  new RegExp(`\\b(?:I|we)(?:'ve|\\s+have|\\s+had)?(?:\\s+(?:already|just|now))?\\s+(?:${CLAIM_VERBS})\\b`, 'i'),
  new RegExp(`\\b(?:has|have|had)\\s+(?:already\\s+|now\\s+|just\\s+)?been\\s+(?:${CLAIM_VERBS})\\b`, 'i'),
  /\b(?:team|engineers?|engineering|developers?|we|I)\s*(?:is|are|am|'re|'m)\s+(?:already\s+|now\s+|currently\s+|actively\s+)?(?:investigating|working on|looking into|fixing)\b/i,
];

const NUMBER_WORD =
  '(?:\\d+|one|two|three|four|five|six|seven|ten|twelve|twenty[- ]four|forty[- ]eight|a few|a couple of|an?)';
const UNIT = '(?:minutes?|hours?|hrs?|days?|business days?|working days?|weeks?|months?)';
const DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|today|eod|cob)';

const TIMELINE_PATTERNS: RegExp[] = [
  new RegExp(`\\b(?:within|in|in the next|over the next|inside)\\s+${NUMBER_WORD}\\s+${UNIT}\\b`, 'i'),
  new RegExp(
    `\\bby\\s+(?:(?:this|next)\\s+)?(?:${DAY}|end of (?:the )?(?:day|week|month)|next week|the weekend)\\b`,
    'i',
  ),
  new RegExp(
    `\\b(?:will|'ll|shall)\\s+(?:be\\s+)?(?:fixed|resolved|live|deployed|available|ready|back|restored|refunded|done|released|shipped|working)\\s+(?:by\\s+|on\\s+)?(?:${DAY}|this week|next week|this month|shortly|soon|later today)\\b`,
    'i',
  ),
  /\b(?:24|48|72)\s*(?:h|hrs?|hours?)\b/i,
];

// Distinctive lines of the system prompt: a draft quoting any of them is a successful prompt extraction.
// Lower-cased once here; the reply draft is lower-cased once per ticket.
const PROMPT_FINGERPRINTS = [
  'ticket_data_',
  ...SYSTEM_TEMPLATE.split('\n')
    .map((line) => line.replace(/^[-\d. ]+/, '').trim())
    .filter((line) => line.length >= 40)
    .map((line) => line.slice(0, 40).toLowerCase()),
];

function firstMatch(text: string, patterns: RegExp[]): string | null {
  for (const pattern of patterns) {
    const m = pattern.exec(text);
    if (m) return m[0];
  }
  return null;
}

const rank = (p: Priority) => PRIORITIES.indexOf(p);

export function applyPolicyGuard(
  ticket: NormalizedTicket,
  input: TriageOutput,
  options: GuardOptions = {},
): GuardResult {
  const output: TriageOutput = {
    ...input,
    questions_for_customer: [...input.questions_for_customer],
    internal_notes: [...input.internal_notes],
  };
  const interventions: GuardIntervention[] = [];
  const warnings: string[] = [];

  const text = readTicketText(ticket.subject, ticket.body);
  const security = assessSecurity(text);
  const securityReasons = securityReasonsFor(security, options.llmSecurityVerdict ?? null);
  if (securityReasons.length > 0) escalateToSecurity(output, securityReasons, interventions);

  if (output.priority === 'critical') {
    const evidence = criticalEvidence(security, text);
    if (evidence.length === 0) {
      output.priority = 'high';
      const warning =
        'Critical without evidence in the ticket (no outage affecting many, security incident or data loss): posted as high, without @here.';
      interventions.push({ kind: 'critical_unconfirmed', detail: warning });
      warnings.push(warning);
      output.internal_notes.push(`Policy guard: ${warning}`);
    }
  }

  const draft = output.reply_draft ?? '';
  const claim = draft ? firstMatch(draft, CLAIM_PATTERNS) : null;
  if (claim) {
    const warning = `Reply draft claims an action was taken ("${claim}"); verify or edit before sending.`;
    interventions.push({ kind: 'claimed_action', detail: warning });
    warnings.push(warning);
    output.internal_notes.push(`Policy guard: ${warning}`);
  }
  const timeline = draft ? firstMatch(draft, TIMELINE_PATTERNS) : null;
  if (timeline) {
    const warning = `Reply draft promises a timeline ("${timeline}"); remove it unless it is committed.`;
    interventions.push({ kind: 'promised_timeline', detail: warning });
    warnings.push(warning);
    output.internal_notes.push(`Policy guard: ${warning}`);
  }

  const lowerDraft = draft.toLowerCase();
  if (draft && PROMPT_FINGERPRINTS.some((f) => lowerDraft.includes(f))) {
    const warning = 'Reply draft quotes the internal instructions (possible prompt extraction); do not send it as is.';
    interventions.push({ kind: 'prompt_leak', detail: warning });
    warnings.push(warning);
    output.internal_notes.push(`Policy guard: ${warning}`);
  }

  return { output, interventions, warnings, securityEscalation: securityReasons.length > 0, securityReasons };
}

function securityReasonsFor(security: SecurityAssessment, verdict: LlmSecurityVerdict | null): string[] {
  const reasons: string[] = [];
  if (security.escalate) {
    reasons.push(
      `signals scored ${security.score} (threshold ${security.threshold}): ${security.signals.map((s) => s.reason).join('; ')}`,
    );
  }
  if (verdict?.relevant) {
    const source = verdict.source ? ` (${verdict.source})` : '';
    reasons.push(`LLM security check${source}: ${verdict.reason || 'security-relevant'}`);
  }
  return reasons;
}

/** Floor high, action and Asana type for security, follow-up handling; only ever raises. */
function escalateToSecurity(output: TriageOutput, reasons: string[], interventions: GuardIntervention[]): void {
  const changes: string[] = [];
  // The floor is high (CONTRACTS §2.2); whether it is critical stays the model's (or the rules') judgement.
  const floor: Priority = 'high';
  if (rank(output.priority) < rank(floor)) {
    changes.push(`priority ${output.priority} → ${floor}`);
    output.priority = floor;
  }
  if (output.recommended_internal_action !== 'Escalate to security') {
    changes.push(`action "${output.recommended_internal_action}" → "Escalate to security"`);
    output.recommended_internal_action = 'Escalate to security';
  }
  if (output.asana_ticket_type_if_needed !== 'Escalation') {
    changes.push(`Asana type ${output.asana_ticket_type_if_needed} → Escalation`);
    output.asana_ticket_type_if_needed = 'Escalation';
  }
  const mode = output.handling_mode;
  if (mode === 'no_action') output.handling_mode = 'internal_followup_only';
  else if (mode === 'reply_only' || mode === 'request_more_info') output.handling_mode = 'reply_and_internal_followup';
  if (output.handling_mode !== mode) changes.push(`handling ${mode} → ${output.handling_mode}`);

  const why = reasons.join(' | ');
  const detail =
    changes.length > 0
      ? `Policy guard raised this ticket to a security escalation (${why}; ${changes.join('; ')}).`
      : `Policy guard confirmed the security escalation (${why}).`;
  interventions.push({ kind: 'security_escalation', detail });
  output.internal_notes.push(detail);
}

/** What in the ticket itself can justify paging everyone; a model's say-so (or the customer's "URGENT") cannot. */
function criticalEvidence(security: SecurityAssessment, text: ReturnType<typeof readTicketText>): string[] {
  const impact = assessImpact(text);
  const evidence: string[] = [];
  if (security.escalate) evidence.push('security signals');
  if (impact.outage && impact.wide) evidence.push('outage affecting many');
  if (impact.dataLoss) evidence.push('data loss');
  return evidence;
}
