// `triage eval --compare a.json b.json`: b against a, metric by metric and ticket by ticket. A regression is a rate
// that moved the wrong way by more than the tolerance (docs/evaluation.md); latency and tokens are shown, never
// judged, since they depend on the machine and the provider's load.
import { checkTicket, LOWER_IS_BETTER, METRICS, type MetricName, REPORT_SPLITS, type ReportSplit } from './metrics.ts';
import type { EvalReport } from './report.ts';

/** Two percentage points: about four tickets of the 215-ticket set, one security ticket of fifty. */
export const DEFAULT_TOLERANCE = 0.02;

export interface MetricDelta {
  split: ReportSplit;
  metric: MetricName;
  a: number | null;
  b: number | null;
  delta: number | null;
  regression: boolean;
}

export interface Flip {
  id: string;
  split: string;
  /** The checks (priority, handling_mode, action, security) that failed in the failing report. */
  failed: string[];
}

type LatencyPair = { p50: number | null; p95: number | null };

export interface Comparison {
  tolerance: number;
  sameSet: boolean;
  deltas: MetricDelta[];
  regressions: MetricDelta[];
  passToFail: Flip[];
  failToPass: Flip[];
  onlyInA: string[];
  onlyInB: string[];
  latency: { split: ReportSplit; a: LatencyPair; b: LatencyPair }[];
  tokens: { a: { prompt: number; completion: number }; b: { prompt: number; completion: number } };
}

export function compareReports(a: EvalReport, b: EvalReport, tolerance = DEFAULT_TOLERANCE): Comparison {
  const deltas: MetricDelta[] = [];
  for (const split of REPORT_SPLITS) {
    for (const metric of METRICS) {
      const va = a.splits[split].metrics[metric].value;
      const vb = b.splits[split].metrics[metric].value;
      const delta = va === null || vb === null ? null : vb - va;
      // A hair of slack so a delta of exactly the tolerance is not a regression through rounding.
      const worse = delta === null ? 0 : LOWER_IS_BETTER.has(metric) ? delta : -delta;
      deltas.push({ split, metric, a: va, b: vb, delta, regression: worse > tolerance + 1e-9 });
    }
  }

  const byId = new Map(a.tickets.map((t) => [t.id, t]));
  const idsB = new Set(b.tickets.map((t) => t.id));
  const passToFail: Flip[] = [];
  const failToPass: Flip[] = [];
  for (const tb of b.tickets) {
    const ta = byId.get(tb.id);
    if (!ta) continue;
    const ca = checkTicket(ta);
    const cb = checkTicket(tb);
    if (ca.pass && !cb.pass) passToFail.push({ id: tb.id, split: tb.split, failed: failedChecks(cb) });
    if (!ca.pass && cb.pass) failToPass.push({ id: tb.id, split: tb.split, failed: failedChecks(ca) });
  }

  return {
    tolerance,
    sameSet: a.file_sha256 === b.file_sha256,
    deltas,
    regressions: deltas.filter((d) => d.regression),
    passToFail,
    failToPass,
    onlyInA: a.tickets.filter((t) => !idsB.has(t.id)).map((t) => t.id),
    onlyInB: b.tickets.filter((t) => !byId.has(t.id)).map((t) => t.id),
    latency: REPORT_SPLITS.map((split) => ({
      split,
      a: pick(a.splits[split].latency_ms),
      b: pick(b.splits[split].latency_ms),
    })),
    tokens: { a: a.splits.all.tokens, b: b.splits.all.tokens },
  };
}

export function failedChecks(checks: ReturnType<typeof checkTicket>): string[] {
  return (['priority', 'handling_mode', 'action', 'security'] as const).filter((k) => !checks[k]);
}

const pick = (l: LatencyPair): LatencyPair => ({ p50: l.p50, p95: l.p95 });
