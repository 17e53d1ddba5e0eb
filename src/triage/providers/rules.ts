// The deterministic last-resort provider and the offline default: keyword and pattern heuristics (shared security
// detector, outage, billing, bug, how-to, feature request, spam, auto-replies) plus customer tier. Confidence stays
// modest (<= 0.6) and the reply draft never claims an action or promises a timeline.
import type { NormalizedTicket } from '../../domain/ticket.ts';
import { PRIORITIES, type Priority, SUMMARY_MAX, type TriageOutput } from '../../domain/triage-output.ts';
import { detectSecuritySignal } from '../security.ts';
import { ProviderError, type TriageProvider } from './provider.ts';

export const RULES_MODEL = 'rules-v1';

type Category = 'auto_reply' | 'spam' | 'security' | 'outage' | 'billing' | 'bug' | 'feature' | 'howto' | 'unclear';

const AUTO_REPLY =
  /\b(?:out of (?:the )?office|automatic reply|auto-?reply|autoreply|on (?:annual )?leave until|away from (?:the|my) (?:office|desk)|delivery status notification|undeliverable|mail delivery (?:failed|failure|subsystem)|delivery (?:has )?failed|delivery failure|returned mail|mailer-daemon|message (?:could not|couldn't) be delivered|address not found)\b/i;
const SPAM =
  /\b(?:seo (?:services|agency|ranking)|guest post|backlinks?|crypto(?:currency)? (?:investment|opportunity)|bitcoin opportunity|you(?:'ve| have) won|claim your (?:prize|reward)|lottery|viagra|casino|work from home and earn|increase your (?:traffic|sales) by|limited time offer|unsubscribe from this list|web design services|lead generation services)\b/i;
const OUTAGE =
  /\b(?:outage|is down|are down|went down|(?:site|app|service|platform|api|dashboard|system|website)\s+(?:is\s+)?(?:completely\s+)?(?:down|unavailable|unreachable|offline)|(?:5\d\d|server) errors?|internal server error|bad gateway|service unavailable|can(?:no|'?)t access|cannot access|unable to access|not loading|won'?t load|can(?:no|'?)t log ?in|unable to log ?in|timing out|times out)\b/i;
const OUTAGE_WIDE =
  /\b(?:everyone|every user|all (?:of )?(?:our |my )?(?:users|customers|accounts|team|staff|employees)|entire (?:team|company|organi[sz]ation)|whole (?:team|company)|nobody can|no one can|company-?wide|across all|outage|completely down|production is down)\b/i;
const BILLING =
  /\b(?:invoices?|refunds?|charged?|charges|charging|billing|billed|payments?|subscription|overcharged|double[- ]charged|receipts?|credit card|pricing|plan upgrade|downgrade my plan|cancel my (?:plan|subscription|account)|vat|tax id)\b/i;
const BUG =
  /\b(?:bug|error|errors|broken|crash(?:es|ed|ing)?|not working|doesn'?t work|does not work|stopped working|fails?|failed|failing|exception|stack ?trace|unexpected|wrong|incorrect|glitch|freez(?:es|ing)|missing data|disappeared)\b/i;
const FEATURE =
  /\b(?:feature request|would be (?:great|nice|helpful|awesome) if|it would help if|could you (?:please )?add|can you (?:please )?add|please add|suggestion|i'?d love (?:to see|if)|wish (?:list|there was|it could)|would like (?:to see|the ability)|roadmap|any plans to)\b/i;
const HOWTO =
  /\b(?:how (?:do|can|should|would) (?:i|we|you)|how to|is it possible to|where (?:do|can) i|what is the best way|can i|is there a way|documentation for|help me (?:understand|set up|configure))\b/i;
const HIGH_VALUE_TIERS = /^(?:enterprise|premium|platinum|gold|vip|strategic)$/i;

function categorize(text: string, securityMatches: string[]): Category {
  // Order matters: an auto-reply quoting "security" or "down" is still an auto-reply; security beats everything else.
  if (AUTO_REPLY.test(text)) return 'auto_reply';
  if (securityMatches.length > 0) return 'security';
  if (SPAM.test(text)) return 'spam';
  if (OUTAGE.test(text)) return 'outage';
  if (BILLING.test(text)) return 'billing';
  if (FEATURE.test(text)) return 'feature';
  if (BUG.test(text)) return 'bug';
  if (HOWTO.test(text) || /\?\s*$/.test(text.trim())) return 'howto';
  return 'unclear';
}

const bump = (p: Priority): Priority =>
  PRIORITIES[Math.min(PRIORITIES.indexOf(p) + 1, PRIORITIES.length - 1)] as Priority;

function summarize(ticket: NormalizedTicket, label: string): string {
  const subject = ticket.subject.replace(/\s+/g, ' ').trim();
  const summary = `${label}: ${subject}`;
  return summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary;
}

// A first name is letters, with inner apostrophes, hyphens or dots ("O'Neil", "Jean-Luc", "J."). Anything else the
// contact record holds ("24h", "support_team", an address) is not put into a reply draft: it would read oddly, and
// the policy guard would lint the customer's own text as if the draft had promised it.
const FIRST_NAME = /^\p{L}[\p{L}\p{M}'’.-]*$/u;

function greeting(ticket: NormalizedTicket): string {
  const first = ticket.customer_name?.trim().split(/\s+/)[0];
  return first && FIRST_NAME.test(first) ? `Hi ${first},` : 'Hello,';
}

const SIGN_OFF = '\n\nBest regards,\nThe Support Team';

export function triageByRules(ticket: NormalizedTicket): TriageOutput {
  const text = `${ticket.subject}\n${ticket.body}`;
  const security = detectSecuritySignal(ticket.subject, ticket.body);
  const category = categorize(text, security.matches);
  const hello = greeting(ticket);
  const notes = [`Rules provider (no LLM available): classified as ${category.replace('_', ' ')} by keyword match.`];
  let out: TriageOutput;

  switch (category) {
    case 'auto_reply':
    case 'spam':
      out = {
        priority: 'low',
        handling_mode: 'no_action',
        recommended_internal_action: 'None',
        asana_ticket_type_if_needed: 'None',
        customer_summary: summarize(ticket, category === 'spam' ? 'Likely spam' : 'Automatic reply or bounce'),
        reply_needed: false,
        reply_draft: null,
        questions_for_customer: [],
        internal_notes: notes,
        confidence: 0.6,
      };
      break;
    case 'security':
      notes.push(
        `Security signals: ${security.matches.join(', ')}${security.incident ? ' (reads like an incident in progress)' : ''}.`,
        'Suggested first checks: identify the affected account/area, preserve logs, do not confirm or deny details to the reporter.',
      );
      out = {
        priority: security.incident ? 'critical' : 'high',
        handling_mode: 'reply_and_internal_followup',
        recommended_internal_action: 'Escalate to security',
        asana_ticket_type_if_needed: 'Escalation',
        customer_summary: summarize(ticket, 'Possible security issue'),
        reply_needed: true,
        reply_draft: `${hello}\n\nThank you for contacting us about this. We take security reports seriously, and our team will review the information you provided. Please do not send passwords, keys or other sensitive data by email; if we need more details, someone from our team will reach out.${SIGN_OFF}`,
        questions_for_customer: [],
        internal_notes: notes,
        confidence: 0.6,
      };
      break;
    case 'outage': {
      const wide = OUTAGE_WIDE.test(text);
      notes.push(wide ? 'Reads like a wide outage (many users affected).' : 'Access or availability problem reported.');
      out = {
        priority: wide ? 'critical' : 'high',
        handling_mode: 'reply_and_internal_followup',
        recommended_internal_action: 'Escalate to engineering',
        asana_ticket_type_if_needed: 'Escalation',
        customer_summary: summarize(ticket, wide ? 'Possible outage' : 'Access problem'),
        reply_needed: true,
        reply_draft: `${hello}\n\nThank you for letting us know, and sorry for the disruption. Our team will look into the access problem you describe. If you can, please reply with the time it started, the page or endpoint affected and any error message you see.${SIGN_OFF}`,
        questions_for_customer: [
          'When did the problem start (date, time and time zone)?',
          'Which page, feature or API endpoint is affected?',
          'What exact error message or status code do you see?',
          'Are all users in your organisation affected, or only some?',
        ],
        internal_notes: notes,
        confidence: 0.5,
      };
      break;
    }
    case 'billing':
      out = {
        priority: /\b(?:double[- ]charged|overcharged|charged twice|unauthori[sz]ed charge)\b/i.test(text)
          ? 'high'
          : 'medium',
        handling_mode: 'reply_and_internal_followup',
        recommended_internal_action: 'None',
        asana_ticket_type_if_needed: 'None',
        customer_summary: summarize(ticket, 'Billing question'),
        reply_needed: true,
        reply_draft: `${hello}\n\nThank you for reaching out about your billing question. Our billing team will review your account. To help them, please confirm the invoice number and the amount in question.${SIGN_OFF}`,
        questions_for_customer: ['What is the invoice number?', 'Which amount or charge is in question?'],
        internal_notes: [...notes, 'Route to billing for review.'],
        confidence: 0.5,
      };
      break;
    case 'bug':
      out = {
        priority: 'medium',
        handling_mode: 'reply_and_internal_followup',
        recommended_internal_action: 'Create bug report',
        asana_ticket_type_if_needed: 'Bug',
        customer_summary: summarize(ticket, 'Bug report'),
        reply_needed: true,
        reply_draft: `${hello}\n\nThank you for reporting this and sorry for the trouble. To help our team reproduce it, could you share the steps you took, what you expected to happen, and what happened instead (a screenshot helps)?${SIGN_OFF}`,
        questions_for_customer: [
          'What steps lead to the problem?',
          'What did you expect to happen, and what happened instead?',
          'Which browser/app version and operating system are you using?',
        ],
        internal_notes: notes,
        confidence: 0.45,
      };
      break;
    case 'feature':
      out = {
        priority: 'low',
        handling_mode: 'reply_and_internal_followup',
        recommended_internal_action: 'Create feedback ticket',
        asana_ticket_type_if_needed: 'Feedback',
        customer_summary: summarize(ticket, 'Feature request'),
        reply_needed: true,
        reply_draft: `${hello}\n\nThank you for the suggestion. We appreciate hearing how we could make the product more useful for you, and we will share your feedback with our product team for consideration.${SIGN_OFF}`,
        questions_for_customer: [],
        internal_notes: notes,
        confidence: 0.5,
      };
      break;
    case 'howto':
      out = {
        priority: 'low',
        handling_mode: 'reply_only',
        recommended_internal_action: 'None',
        asana_ticket_type_if_needed: 'None',
        customer_summary: summarize(ticket, 'How-to question'),
        reply_needed: true,
        reply_draft: `${hello}\n\nThank you for your question. [Agent: add the steps or a link to the relevant help article here.]${SIGN_OFF}`,
        questions_for_customer: [],
        internal_notes: notes,
        confidence: 0.45,
      };
      break;
    default:
      out = {
        priority: 'medium',
        handling_mode: 'request_more_info',
        recommended_internal_action: 'None',
        asana_ticket_type_if_needed: 'None',
        customer_summary: summarize(ticket, 'Unclassified request'),
        reply_needed: true,
        reply_draft: `${hello}\n\nThank you for contacting us. To make sure we help you with the right thing, could you tell us a bit more about what you are trying to do and what you are seeing?${SIGN_OFF}`,
        questions_for_customer: [
          'What are you trying to do, and which part of the product is involved?',
          'What happens instead of what you expected?',
          'When did this start, and does it happen every time?',
        ],
        internal_notes: notes,
        confidence: 0.3,
      };
  }

  const nonTrivial = !['auto_reply', 'spam', 'howto', 'feature'].includes(category);
  if (nonTrivial && ticket.customer_tier && HIGH_VALUE_TIERS.test(ticket.customer_tier.trim())) {
    // The tier bump stops at high: critical (an @here ping) stays reserved for what the priority guide names.
    const raised = out.priority === 'high' || out.priority === 'critical' ? out.priority : bump(out.priority);
    if (raised !== out.priority) {
      out.internal_notes.push(`Priority raised ${out.priority} → ${raised} for ${ticket.customer_tier} tier customer.`);
      out.priority = raised;
    }
  }
  return out;
}

export function createRulesProvider(): TriageProvider {
  return {
    name: 'rules',
    model: RULES_MODEL,
    async complete(request) {
      if (!request.ticket) throw new ProviderError('invalid_output', 'rules provider needs the ticket');
      const started = performance.now();
      const text = JSON.stringify(triageByRules(request.ticket));
      return {
        text,
        usage: { promptTokens: 0, completionTokens: 0 },
        latencyMs: performance.now() - started,
        model: RULES_MODEL,
      };
    },
  };
}
