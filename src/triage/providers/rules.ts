// The deterministic last-resort provider and the offline default. It classifies by families of cues
// (rules-classify.ts), reads the same security net and impact check as the policy guard, and maps each category to
// the priority guide: critical only for a security incident or an outage many people hit; customer tier never raises
// a priority by itself, only a blocking problem of a paying customer. Confidence stays modest (<= 0.6) and the reply
// draft never claims an action or promises a timeline.
import type { NormalizedTicket } from '../../domain/ticket.ts';
import { PRIORITIES, type Priority, SUMMARY_MAX, type TriageOutput } from '../../domain/triage-output.ts';
import { assessImpact } from '../impact.ts';
import { assessSecurity, type SecurityAssessment } from '../security/index.ts';
import { readTicketText, withoutAnsweredHistory } from '../ticket-text.ts';
import { ProviderError, type TriageProvider } from './provider.ts';
import { type Classification, classifyTicket } from './rules-classify.ts';

export const RULES_MODEL = 'rules-v20';

const PAYING_TIERS = /^(?:enterprise|business|pro|premium|platinum|gold|vip|strategic|standard)$/i;

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
  const text = readTicketText(ticket.subject, ticket.body);
  const security = assessSecurity(text);
  const impact = assessImpact(text);
  // What the newest message asks, not the answered thread it quotes ("thanks, that worked. New problem: …").
  const classification = classifyTicket(withoutAnsweredHistory(text), security, impact);
  const { category } = classification;
  const hello = greeting(ticket);
  const notes = [`Rules provider (no LLM available): classified as ${category.replace('_', ' ')} by its cues.`];
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
        `Security signals (score ${security.score}, threshold ${security.threshold}): ${security.signals.map((x) => x.kind).join(', ')}${incidentNote(security)}.`,
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
      // Critical pings everyone: only for a service that is down or failing for many, which the guard also checks.
      const critical = impact.outage && impact.wide;
      notes.push(critical ? 'Reads like an outage affecting many users.' : 'Service or access problem reported.');
      out = {
        priority: critical ? 'critical' : 'high',
        handling_mode: 'reply_and_internal_followup',
        recommended_internal_action: 'Escalate to engineering',
        asana_ticket_type_if_needed: 'Escalation',
        customer_summary: summarize(ticket, critical ? 'Possible outage' : 'Service problem'),
        reply_needed: true,
        reply_draft: `${hello}\n\nThank you for letting us know, and sorry for the disruption. Our team will look into the problem you describe. If you can, please reply with the time it started, the page or endpoint affected and any error message you see.${SIGN_OFF}`,
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
    case 'access': {
      // Most sign-in problems are answered with steps (a reset, the SSO setting, a new invite); a lost second factor
      // first needs the requester verified, so it asks.
      const verify = classification.identityCheck;
      out = {
        priority: classification.invitation && !verify ? 'low' : 'medium',
        handling_mode: verify ? 'request_more_info' : 'reply_only',
        recommended_internal_action: 'None',
        asana_ticket_type_if_needed: 'None',
        customer_summary: summarize(
          ticket,
          verify ? 'Lost second factor: identity to verify' : 'Sign-in or access problem',
        ),
        reply_needed: true,
        reply_draft: verify
          ? `${hello}\n\nSorry you are locked out of your second factor. For your account's safety your identity has to be verified before the second factor can be reset; please answer the questions below, and do not send passwords or one-time codes by email.${SIGN_OFF}`
          : `${hello}\n\nSorry you are having trouble getting in. [Agent: add the steps for this sign-in problem: a reset link, the SSO setting or a new invite.] Please do not send passwords or one-time codes by email.${SIGN_OFF}`,
        questions_for_customer: verify
          ? [
              'Which email address do you sign in with?',
              'Who is an owner or admin of your organisation who can confirm the request?',
              'When did you last sign in successfully, and from which device?',
            ]
          : [],
        internal_notes: [...notes, 'Verify the requester before resetting 2FA or changing sign-in details.'],
        confidence: 0.5,
      };
      break;
    }
    case 'billing':
    case 'account_admin': {
      const billing = category === 'billing';
      out = {
        priority: billing && classification.moneyDispute ? 'medium' : 'low',
        handling_mode: classification.paperwork ? 'reply_only' : 'reply_and_internal_followup',
        recommended_internal_action: 'None',
        asana_ticket_type_if_needed: 'None',
        customer_summary: summarize(ticket, billing ? 'Billing request' : 'Account administration request'),
        reply_needed: true,
        reply_draft: billing
          ? `${hello}\n\nThank you for reaching out about billing. Our billing team will review your request. To help them, please confirm the invoice number or the plan and amount in question.${SIGN_OFF}`
          : `${hello}\n\nThank you for your request. Our team will review it; for changes to ownership or account data we may need to confirm the request with an account owner first.${SIGN_OFF}`,
        questions_for_customer: billing ? ['Which invoice, plan or amount is this about?'] : [],
        internal_notes: [...notes, billing ? 'Route to billing for review.' : 'Route to account administration.'],
        confidence: 0.5,
      };
      break;
    }
    case 'bug':
    case 'performance': {
      const performance = category === 'performance';
      const priority: Priority = classification.cosmetic ? 'low' : 'medium';
      out = {
        priority,
        handling_mode: 'reply_and_internal_followup',
        recommended_internal_action: 'Create bug report',
        asana_ticket_type_if_needed: 'Bug',
        customer_summary: summarize(ticket, performance ? 'Performance problem' : 'Bug report'),
        reply_needed: true,
        reply_draft: `${hello}\n\nThank you for reporting this and sorry for the trouble. To help our team reproduce it, could you share the steps you took, what you expected to happen, and what happened instead (a screenshot helps)?${SIGN_OFF}`,
        questions_for_customer: [
          'What steps lead to the problem?',
          'What did you expect to happen, and what happened instead?',
          'Which browser/app version and operating system are you using?',
        ],
        internal_notes: classification.cosmetic ? [...notes, 'Looks cosmetic.'] : notes,
        confidence: 0.45,
      };
      break;
    }
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
    case 'other':
      out = {
        priority: 'low',
        handling_mode: 'reply_only',
        recommended_internal_action: 'None',
        asana_ticket_type_if_needed: 'None',
        customer_summary: summarize(ticket, category === 'howto' ? 'How-to question' : 'General message'),
        reply_needed: true,
        reply_draft: `${hello}\n\nThank you for your message. [Agent: add the answer, the steps or a link to the relevant help article here.]${SIGN_OFF}`,
        questions_for_customer: [],
        internal_notes: notes,
        confidence: 0.45,
      };
      if (classification.closing) {
        out = { ...out, handling_mode: 'no_action', reply_needed: false, reply_draft: null };
        out.customer_summary = summarize(ticket, 'Thank-you closing the conversation');
      }
      break;
    default:
      out = {
        priority: 'low',
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

  return raiseForBlockingProblem(ticket, classification, out);
}

/**
 * Tier alone never raises a priority (an enterprise how-to, invoice or "hola" is still low). A real problem that
 * blocks a paying customer's work is high (the priority guide's "blocking issue for a paying customer").
 */
function raiseForBlockingProblem(ticket: NormalizedTicket, c: Classification, out: TriageOutput): TriageOutput {
  const problem = c.category === 'bug' || c.category === 'performance' || c.category === 'access';
  const paying = ticket.customer_tier !== null && PAYING_TIERS.test(ticket.customer_tier.trim());
  if (!problem || !paying || !c.blocking || c.cosmetic || out.priority !== 'medium') return out;
  const raised = bump(out.priority);
  out.internal_notes.push(
    `Priority raised ${out.priority} → ${raised}: blocking problem for a ${ticket.customer_tier} customer.`,
  );
  out.priority = raised;
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

/** Why the rules did or did not call the report an incident (critical, which pages). */
function incidentNote(security: SecurityAssessment): string {
  const wording = security.incidentWording;
  if (!wording) return '';
  if (security.incident) return ' (reads like exposure or misuse that has happened)';
  return (
    ` (a pattern reads exposure or misuse, but the wording reads like a weakness, not the labelled incidents: ` +
    `p ${wording.probability} < ${wording.threshold}, mean ${wording.meanWeight} < ${wording.meanThreshold}; high, no page)`
  );
}
