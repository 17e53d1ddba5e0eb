// The report's arithmetic, pure: from per-ticket outcomes to rates per split. docs/evaluation.md defines each
// metric; the definitions below are the reference. A rate with an empty denominator is null ("not measurable"), never 0.
import { PRIORITIES } from '../domain/triage-output.ts';
import { SPLITS } from './dataset.ts';
import type { TicketOutcome } from './run.ts';

export const METRICS = [
  'priority_exact',
  'priority_acceptable',
  'handling_mode',
  'action',
  'security_recall',
  'security_precision',
  'false_critical_rate',
  'schema_valid_before_repair',
  'schema_valid_after_repair',
] as const;
export type MetricName = (typeof METRICS)[number];

/** Every metric is better when higher, except these. */
export const LOWER_IS_BETTER: ReadonlySet<MetricName> = new Set(['false_critical_rate']);

export interface Rate {
  value: number | null;
  hits: number;
  total: number;
}

export const REPORT_SPLITS = ['all', ...SPLITS] as const;
export type ReportSplit = (typeof REPORT_SPLITS)[number];

/** Column for tickets that got no recommendation at all. */
export const NO_OUTPUT = 'none';

export interface SplitReport {
  tickets: number;
  /** Tickets the chain ended in a failure for (no recommendation). */
  errors: number;
  metrics: Record<MetricName, Rate>;
  latency_ms: { p50: number | null; p95: number | null; mean: number | null };
  tokens: { prompt: number; completion: number };
  /** expected (first listed priority) → output priority (or 'none') → count. */
  confusion: Record<string, Record<string, number>>;
  by_provider: Record<string, number>;
  errors_by_class: Record<string, number>;
  /** Per ticket kind (eval/README.md): tickets, and how many pass all four checks. */
  by_kind: Record<string, { tickets: number; pass: number }>;
}

/** Which of a ticket's checks passed; `pass` is all four of priority (acceptable), mode, action and security. */
export interface TicketChecks {
  priority_exact: boolean;
  priority: boolean;
  handling_mode: boolean;
  action: boolean;
  security: boolean;
  pass: boolean;
}

export function checkTicket(outcome: TicketOutcome): TicketChecks {
  const { got, labels } = outcome;
  const escalated = got?.escalated ?? false;
  const priority = got !== null && (labels.priorities as string[]).includes(got.priority);
  const handling_mode = got !== null && (labels.handling_modes as string[]).includes(got.handling_mode);
  const action = got !== null && (labels.internal_actions as string[]).includes(got.action);
  const security = got !== null && escalated === labels.security;
  return {
    priority_exact: got !== null && got.priority === labels.priorities[0],
    priority,
    handling_mode,
    action,
    security,
    pass: priority && handling_mode && action && security,
  };
}

export const rate = (hits: number, total: number): Rate => ({ hits, total, value: total === 0 ? null : hits / total });

/** Nearest-rank percentile: the smallest sample with at least p % of the samples at or below it. */
export function percentile(samples: number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function computeSplitReport(outcomes: TicketOutcome[]): SplitReport {
  const n = outcomes.length;
  const count = (predicate: (o: TicketOutcome, c: TicketChecks) => boolean) =>
    outcomes.filter((o) => predicate(o, checkTicket(o))).length;
  const labelledSecurity = outcomes.filter((o) => o.labels.security);
  const escalated = outcomes.filter((o) => o.got?.escalated === true);
  const criticalNotAcceptable = outcomes.filter((o) => !(o.labels.priorities as string[]).includes('critical'));
  const answered = outcomes.filter((o) => o.schema !== 'no_answer');
  const latencies = outcomes.map((o) => o.latency_ms);

  const metrics: Record<MetricName, Rate> = {
    priority_exact: rate(
      count((_, c) => c.priority_exact),
      n,
    ),
    priority_acceptable: rate(
      count((_, c) => c.priority),
      n,
    ),
    handling_mode: rate(
      count((_, c) => c.handling_mode),
      n,
    ),
    action: rate(
      count((_, c) => c.action),
      n,
    ),
    security_recall: rate(labelledSecurity.filter((o) => o.got?.escalated === true).length, labelledSecurity.length),
    security_precision: rate(escalated.filter((o) => o.labels.security).length, escalated.length),
    false_critical_rate: rate(
      criticalNotAcceptable.filter((o) => o.got?.priority === 'critical').length,
      criticalNotAcceptable.length,
    ),
    schema_valid_before_repair: rate(answered.filter((o) => o.schema === 'valid').length, answered.length),
    schema_valid_after_repair: rate(
      answered.filter((o) => o.schema === 'valid' || o.schema === 'repaired').length,
      answered.length,
    ),
  };

  return {
    tickets: n,
    errors: outcomes.filter((o) => o.got === null).length,
    metrics,
    latency_ms: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      mean: n === 0 ? null : Math.round(latencies.reduce((a, b) => a + b, 0) / n),
    },
    tokens: {
      prompt: outcomes.reduce((sum, o) => sum + o.tokens.prompt, 0),
      completion: outcomes.reduce((sum, o) => sum + o.tokens.completion, 0),
    },
    confusion: confusionMatrix(outcomes),
    by_provider: tally(outcomes.map((o) => o.provider).filter((p): p is string => p !== null)),
    errors_by_class: tally(outcomes.map((o) => o.error).filter((e): e is string => e !== null)),
    by_kind: byKind(outcomes),
  };
}

export function confusionMatrix(outcomes: TicketOutcome[]): Record<string, Record<string, number>> {
  const columns = [...PRIORITIES, NO_OUTPUT];
  const matrix: Record<string, Record<string, number>> = {};
  for (const expected of PRIORITIES) matrix[expected] = Object.fromEntries(columns.map((c) => [c, 0]));
  for (const o of outcomes) {
    const row = matrix[o.labels.priorities[0]!]!;
    const column = o.got?.priority ?? NO_OUTPUT;
    row[column] = (row[column] ?? 0) + 1;
  }
  return matrix;
}

export function computeSplits(outcomes: TicketOutcome[]): Record<ReportSplit, SplitReport> {
  return {
    all: computeSplitReport(outcomes),
    main: computeSplitReport(outcomes.filter((o) => o.split === 'main')),
    heldout: computeSplitReport(outcomes.filter((o) => o.split === 'heldout')),
  };
}

function byKind(outcomes: TicketOutcome[]): Record<string, { tickets: number; pass: number }> {
  const kinds: Record<string, { tickets: number; pass: number }> = {};
  for (const o of outcomes) {
    const entry = kinds[o.kind] ?? { tickets: 0, pass: 0 };
    kinds[o.kind] = entry;
    entry.tickets++;
    if (checkTicket(o).pass) entry.pass++;
  }
  return kinds;
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
