// Turns a provider's raw text into a validated TriageOutput (CONTRACTS.md §2): finds the JSON (raw, fenced, inside
// prose, the first balanced object that validates, one level of JSON-in-a-string), normalises the forgivable
// differences, then validates with the one zod schema. Errors are field-path messages for the repair call.
import {
  ASANA_TYPES,
  HANDLING_MODES,
  INTERNAL_ACTIONS,
  PRIORITIES,
  SUMMARY_MAX,
  type TriageOutput,
  triageOutputSchema,
} from '../domain/triage-output.ts';
import type { GuardIntervention } from '../domain/triage-result.ts';

export type ParseResult =
  | { ok: true; output: TriageOutput; interventions: GuardIntervention[] }
  | { ok: false; errors: string[]; raw: string };

const ENUMS: Record<string, readonly string[]> = {
  priority: PRIORITIES,
  handling_mode: HANDLING_MODES,
  recommended_internal_action: INTERNAL_ACTIONS,
  asana_ticket_type_if_needed: ASANA_TYPES,
};
const KNOWN_KEYS = Object.keys(triageOutputSchema.shape);
const MAX_CANDIDATES = 50;

const canonical = (value: string) =>
  value
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');

/** Every plausible JSON value in the text, in the order a reader would take them. */
function* candidates(text: string): Generator<unknown> {
  const trimmed = text.trim();
  const direct = tryJson(trimmed);
  if (direct !== undefined) yield direct;
  for (const match of trimmed.matchAll(/```[a-zA-Z]*\s*\n?([\s\S]*?)```/g)) {
    const fenced = tryJson((match[1] ?? '').trim());
    if (fenced !== undefined) yield fenced;
  }
  let produced = 0;
  for (const slice of balancedObjects(trimmed)) {
    const value = tryJson(slice);
    if (value !== undefined) yield value;
    if (++produced >= MAX_CANDIDATES) return;
  }
}

function tryJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Substrings that form balanced {...}, string-aware, outer objects first, then the ones nested inside them. */
function* balancedObjects(text: string): Generator<string> {
  for (let start = text.indexOf('{'); start !== -1; start = text.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        yield text.slice(start, i + 1);
        break;
      }
    }
  }
}

function normalize(input: Record<string, unknown>): {
  value: Record<string, unknown>;
  interventions: GuardIntervention[];
} {
  const interventions: GuardIntervention[] = [];
  const value: Record<string, unknown> = {};
  // Unknown keys are dropped; keys are matched exactly so a typo still surfaces as "required" for the repair.
  for (const key of KNOWN_KEYS) if (key in input) value[key] = input[key];

  for (const [key, allowed] of Object.entries(ENUMS)) {
    const raw = value[key];
    if (typeof raw !== 'string') continue;
    const hit = allowed.find((a) => canonical(a) === canonical(raw));
    if (hit) value[key] = hit;
  }
  if (typeof value.reply_needed === 'string' && /^(true|false)$/i.test(value.reply_needed.trim())) {
    value.reply_needed = value.reply_needed.trim().toLowerCase() === 'true';
  }
  value.confidence = normalizeConfidence(value.confidence);

  const summary = value.customer_summary;
  if (typeof summary === 'string' && summary.length > SUMMARY_MAX) {
    value.customer_summary = `${summary.slice(0, SUMMARY_MAX - 1).trimEnd()}…`;
    interventions.push({
      kind: 'summary_truncated',
      detail: `Customer summary truncated from ${summary.length} to ${SUMMARY_MAX} characters.`,
    });
  }

  if (value.reply_needed === false) {
    value.reply_draft = null;
  } else if (value.reply_needed === true && (value.reply_draft === undefined || isBlank(value.reply_draft))) {
    // Choice: keep reply_needed (the model's judgement is the useful part) with a null draft, and tell the human to
    // write the reply, instead of spending a repair call on a missing draft.
    value.reply_draft = null;
    interventions.push({
      kind: 'reply_draft_missing',
      detail: 'The model marked a reply as needed but gave no draft; write the reply manually.',
    });
  }
  return { value, interventions };
}

const isBlank = (v: unknown) => v === null || (typeof v === 'string' && v.trim() === '');

/**
 * Confidence is 0..1. Choice: a number above 1 and at most 100 (or a "85%" string) is read as a percentage, since
 * models often answer 85 for 0.85; exactly 1 stays 1.0. Anything else is left for the schema to reject.
 */
function normalizeConfidence(raw: unknown): unknown {
  let n = raw;
  if (typeof raw === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(raw);
    if (!m) return raw;
    n = m[2] ? Number(m[1]) / 100 : Number(m[1]);
  }
  if (typeof n === 'number' && n > 1 && n <= 100) return n / 100;
  return n;
}

function validate(candidate: unknown): ParseResult | { ok: false; errors: string[] } {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return { ok: false, errors: ['(root): expected a JSON object'] };
  }
  const { value, interventions } = normalize(candidate as Record<string, unknown>);
  const parsed = triageOutputSchema.safeParse(value);
  if (parsed.success) return { ok: true, output: parsed.data, interventions };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  };
}

export function parseTriageOutput(raw: string): ParseResult {
  let firstErrors: string[] | null = null;
  for (const outer of candidates(raw)) {
    // One level of JSON-in-a-string: the model returned a JSON string whose content is the object.
    const inner = typeof outer === 'string' ? candidates(outer) : [outer];
    for (const candidate of inner) {
      const result = validate(candidate);
      if (result.ok) return result;
      // Report the errors of the first object-shaped candidate: that is the answer the model meant.
      if (firstErrors === null && typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate)) {
        firstErrors = result.errors;
      }
    }
  }
  return { ok: false, errors: firstErrors ?? ['(root): no JSON object found in the output'], raw };
}
