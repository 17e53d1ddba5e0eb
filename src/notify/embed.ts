// Builds the one Discord message posted per ticket (CONTRACTS.md §5.1) from a normalized ticket and a triage result.
// Every customer- or LLM-supplied string goes through escape.ts; only the content line we write ourselves may ping,
// and allowed_mentions is always explicit. The result always satisfies Discord's limits and our tighter caps.
import type { NormalizedTicket } from '../domain/ticket.ts';
import type {
  FailureClass,
  FallbackReason,
  ProviderName,
  TriageFailure,
  TriageResult,
  TriageSuccess,
} from '../domain/triage-result.ts';
import { escapeInline, escapeMultiline, escapePlain, fenceCode, isBlank, sanitize, truncate } from './escape.ts';
import { DISCORD_LIMITS, type NotifyLimits, resolveLimits, type ShrinkablePart, shrinkToTotal } from './limits.ts';
import type { DiscordAllowedMentions, DiscordEmbed, DiscordEmbedField, DiscordWebhookPayload } from './types.ts';

export interface BuildMessageOptions {
  now: Date;
  /** Discord role to mention on security escalations; ignored unless it is a snowflake (digits). */
  securityRoleId: string | null;
  /** Adds the triage output as raw JSON; for diagnosing prompts, not for everyday use. */
  debug?: boolean;
  /** Tighter caps for tests or tuning; never looser than Discord's limits. */
  limits?: Partial<NotifyLimits>;
}

export const COLORS = {
  critical: 0xff0000,
  high: 0xff8800,
  medium: 0xffdd00,
  low: 0x00ff00,
  failed: 0x808080,
} as const;

export const CRITICAL_CONTENT = '@here **CRITICAL TICKET** - Immediate attention required';
export const SECURITY_CONTENT = 'SECURITY ESCALATION RECOMMENDED';
export const FAILURE_CONTENT = '**TRIAGE FAILED** - Manual review required';
const SHIELD = '🛡️';
const SIREN = '🚨';
const DRAFT_CUT_SUFFIX = '… (truncated - full ticket in HubSpot)';
const SHORT_CIRCUIT_WORDS = { auto_reply: 'auto-reply', bounce: 'bounce', spam: 'spam' } as const;
export const BUDGET_SPENT_FOOTER = 'cloud budget spent';

const REASON_WORDS: Record<FailureClass, string> = {
  timeout: 'timeout',
  connection: 'connection error',
  http_5xx: 'server error',
  http_4xx: 'request error',
  auth: 'auth failure',
  rate_limited: 'rate limit',
  model_missing: 'missing model',
  invalid_output: 'invalid output',
  circuit_open: 'circuit open',
  disabled: 'disabled',
  no_provider: 'no provider',
  budget_spent: 'budget spent',
  enrichment: 'CRM enrichment failed',
  internal: 'internal error',
};

export function buildDiscordMessage(
  ticket: NormalizedTicket,
  result: TriageResult,
  opts: BuildMessageOptions,
): DiscordWebhookPayload {
  const limits = resolveLimits(opts.limits);
  return result.ok ? buildSuccess(ticket, result, opts, limits) : buildFailure(ticket, result, opts, limits);
}

function buildSuccess(
  ticket: NormalizedTicket,
  result: TriageSuccess,
  opts: BuildMessageOptions,
  limits: NotifyLimits,
): DiscordWebhookPayload {
  const out = result.output;
  const critical = out.priority === 'critical';
  const security = result.securityEscalation;
  const roleId = validRoleId(opts.securityRoleId);
  const cap = (text: string, suffix?: string) => truncate(text, limits.fieldValue, suffix);

  const markers = [critical ? `${SIREN} CRITICAL` : '', security ? SHIELD : ''].filter(Boolean).join(' ');
  const title = titleFor(ticket, `[${out.priority.toUpperCase()}]`, markers, limits);

  const fields: DiscordEmbedField[] = [
    { name: 'Priority', value: capitalize(out.priority), inline: true },
    { name: 'Confidence', value: percent(out.confidence), inline: true },
    { name: 'Handling Mode', value: titleCase(out.handling_mode), inline: true },
    { name: 'Internal Action', value: out.recommended_internal_action, inline: true },
    { name: 'Asana Ticket Type', value: out.asana_ticket_type_if_needed, inline: true },
    { name: 'Customer', value: cap(customerLine(ticket)), inline: true },
    { name: 'Questions for Customer', value: cap(listOr(out.questions_for_customer, (q, i) => `${i + 1}. ${q}`)) },
    { name: 'Reply Draft', value: cap(replyDraft(out.reply_needed, out.reply_draft), DRAFT_CUT_SUFFIX) },
    { name: 'Internal Notes', value: cap(listOr(out.internal_notes, (n) => `• ${n}`)) },
  ];
  // Why the guard escalated (which signals, or the LLM check): readers trust an escalation they can check.
  const why = security ? (result.securityReasons ?? []).map(escapeInline).filter((r) => !isBlank(r)) : [];
  if (why.length > 0) fields.push({ name: 'Why Security', value: cap(why.map((r) => `• ${r}`).join('\n')) });
  // Blank checks come after escaping: sanitizing can empty a string that looked non-blank.
  const warnings = result.warnings.map(escapeInline).filter((w) => !isBlank(w));
  if (warnings.length > 0) {
    fields.push({ name: 'Warnings', value: cap(warnings.map((w) => `⚠️ ${w}`).join('\n')) });
  }
  const rawJson = opts.debug ? JSON.stringify(out) : '';
  if (opts.debug) fields.push({ name: 'Raw JSON', value: fenceCode(rawJson, limits.fieldValue, 'json') });

  const embed: DiscordEmbed = {
    title,
    description: truncate(nonBlank(escapeMultiline(out.customer_summary), 'No summary available'), limits.description),
    color: critical ? COLORS.critical : COLORS[out.priority],
    fields,
    footer: { text: truncate(successFooter(result, opts.now), DISCORD_LIMITS.footer) },
    timestamp: opts.now.toISOString(),
  };
  setUrl(embed, ticket.hubspot_ticket_url);

  const byName = (name: string): ShrinkablePart => {
    const field = fields.find((f) => f.name === name);
    return {
      get: () => field?.value ?? '',
      set: (v) => {
        if (field) field.value = v;
      },
    };
  };
  const parts: ShrinkablePart[] = [
    // Diagnostics give way first; the fence is rebuilt shorter rather than cut, so it stays closed.
    ...(opts.debug ? [{ ...byName('Raw JSON'), shrink: (max: number) => fenceCode(rawJson, max, 'json') }] : []),
    byName('Internal Notes'),
    { ...byName('Reply Draft'), suffix: DRAFT_CUT_SUFFIX },
    {
      get: () => embed.description ?? '',
      set: (v) => {
        embed.description = v;
      },
    },
    byName('Questions for Customer'),
    byName('Why Security'),
    byName('Warnings'),
    byName('Customer'),
  ];
  shrinkToTotal(embed, parts, limits.total);

  const payload: DiscordWebhookPayload = { embeds: [embed], allowed_mentions: mentionsFor(critical, security, roleId) };
  const content = contentFor(critical, security, roleId, limits.content);
  if (content) payload.content = content;
  return payload;
}

function buildFailure(
  ticket: NormalizedTicket,
  result: TriageFailure,
  opts: BuildMessageOptions,
  limits: NotifyLimits,
): DiscordWebhookPayload {
  const provider = result.lastProvider ?? lastAttemptedProvider(result);
  const embed: DiscordEmbed = {
    title: titleFor(ticket, '[TRIAGE FAILED]', '', limits),
    description: truncate(
      'Automatic triage failed. Open the ticket in HubSpot and triage it by hand.',
      limits.description,
    ),
    color: COLORS.failed,
    fields: [
      { name: 'Error Type', value: result.errorClass, inline: true },
      {
        name: 'Provider',
        value: truncate(
          escapeInline(provider ? withFallback(provider, result.fallbackReasons) : 'none'),
          limits.fieldValue,
        ),
        inline: true,
      },
      {
        name: 'Error Details',
        value: truncate(nonBlank(escapeMultiline(result.errorMessage), 'None'), limits.fieldValue),
      },
      {
        name: 'Raw Output',
        value: isBlank(sanitize(result.rawOutput ?? ''))
          ? 'None'
          : fenceCode((result.rawOutput ?? '').slice(0, 500), limits.fieldValue),
      },
    ],
    footer: {
      text: truncate(
        escapePlain(`${budgetSpent(result) ? `${BUDGET_SPENT_FOOTER} | ` : ''}Request ID: ${ticket.request_id}`),
        DISCORD_LIMITS.footer,
      ),
    },
    timestamp: opts.now.toISOString(),
  };
  setUrl(embed, ticket.hubspot_ticket_url);
  return { content: FAILURE_CONTENT, embeds: [embed], allowed_mentions: { parse: [] } };
}

function titleFor(ticket: NormalizedTicket, tag: string, markers: string, limits: NotifyLimits): string {
  const prefix = `${markers ? `${markers} ` : ''}${tag} Ticket #${truncate(escapeInline(ticket.ticket_id), 40)}: `;
  const subject = nonBlank(escapeInline(ticket.subject), '(no subject)');
  return truncate(prefix + subject, limits.title);
}

function customerLine(ticket: NormalizedTicket): string {
  const name = nonBlank(escapeInline(ticket.customer_name ?? ''), 'Unknown');
  const tier = escapeInline(ticket.customer_tier ?? '');
  return isBlank(tier) ? name : `${name} (${tier})`;
}

function listOr(items: string[], format: (item: string, index: number) => string): string {
  const kept = items.map((item) => escapeInline(item)).filter((item) => !isBlank(item));
  return kept.length > 0 ? kept.map(format).join('\n') : 'None';
}

function replyDraft(needed: boolean, draft: string | null): string {
  return needed ? nonBlank(escapeMultiline(draft ?? ''), 'No reply needed') : 'No reply needed';
}

function successFooter(result: TriageSuccess, now: Date): string {
  const triaged = result.shortCircuit
    ? `Decided by rules without an LLM (${SHORT_CIRCUIT_WORDS[result.shortCircuit]})`
    : budgetSpent(result)
      ? `${capitalize(BUDGET_SPENT_FOOTER)}; triaged by ${withFallback(result.provider, result.fallbackReasons)}`
      : `Triaged via ${withFallback(result.provider, result.fallbackReasons)}`;
  const parts = [triaged, `model ${result.model}`];
  parts.push(`prompt ${result.promptVersion}`);
  if (result.repaired) parts.push('repaired');
  parts.push(utcMinute(now));
  return escapePlain(parts.join(' | '));
}

/** The cloud provider was skipped because its daily token budget is spent (said once, at the footer's start). */
function budgetSpent(result: TriageResult): boolean {
  return result.fallbackReasons.some((r) => r.reason === 'budget_spent');
}

/** "groq (after local timeout)": the providers that failed before the one named, and why. */
function withFallback(provider: string, reasons: FallbackReason[]): string {
  const before = reasons
    .filter((r) => r.provider !== provider && r.reason !== 'budget_spent')
    .map((r) => `${r.provider} ${REASON_WORDS[r.reason]}`);
  return before.length > 0 ? `${provider} (after ${before.join(', ')})` : provider;
}

function lastAttemptedProvider(result: TriageFailure): ProviderName | null {
  const attempted = result.attempts.filter((a) => a.outcome !== 'skipped');
  return attempted.at(-1)?.provider ?? result.attempts.at(-1)?.provider ?? null;
}

function mentionsFor(critical: boolean, security: boolean, roleId: string | null): DiscordAllowedMentions {
  // An explicit role list, never parse:['roles'], so only our own role can be pinged even if a role mention
  // somehow slipped into the content.
  const mentions: DiscordAllowedMentions = { parse: critical ? ['everyone'] : [] };
  if (security && roleId) mentions.roles = [roleId];
  return mentions;
}

function contentFor(critical: boolean, security: boolean, roleId: string | null, max: number): string | null {
  const role = security && roleId ? ` <@&${roleId}>` : '';
  if (critical && security) {
    const full = `${CRITICAL_CONTENT}\n${SHIELD} ${SECURITY_CONTENT}${role}`;
    // With a role id the full form passes our 100-character cap, so the urgent wording gives way first.
    return full.length <= max ? full : `@here **CRITICAL TICKET** - ${SECURITY_CONTENT}${role}`;
  }
  if (critical) return CRITICAL_CONTENT;
  if (security) return `${SHIELD} **${SECURITY_CONTENT}**${role}`;
  return null;
}

function validRoleId(roleId: string | null): string | null {
  return roleId && /^\d{1,25}$/.test(roleId) ? roleId : null;
}

/** Discord rejects the whole message for a malformed embed URL, so anything but http(s) is left out. */
function setUrl(embed: DiscordEmbed, url: string | null): void {
  if (!url) return;
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') embed.url = parsed.href;
  } catch {
    // An unparseable link only loses the title link; the ticket id is still in the title.
  }
}

function percent(confidence: number): string {
  const clamped = Number.isFinite(confidence) ? Math.min(1, Math.max(0, confidence)) : 0;
  return `${Math.round(clamped * 100)}%`;
}

function titleCase(value: string): string {
  return value.split('_').map(capitalize).join(' ');
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function utcMinute(now: Date): string {
  return `${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function nonBlank(text: string, fallback: string): string {
  return isBlank(text) ? fallback : text;
}
