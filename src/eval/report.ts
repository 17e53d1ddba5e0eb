// The evaluation report: what was run (file and its hash, provider, model, prompt version), the metrics per split,
// and every ticket's outcome, so `--compare` can diff two saved reports ticket by ticket. `version` changes when
// the shape does; reading a saved report checks the fields compare uses and names the one that is wrong.
import { z } from 'zod';
import { computeSplits, METRICS, type ReportSplit, type SplitReport } from './metrics.ts';
import type { TicketOutcome } from './run.ts';

export const REPORT_VERSION = 1;

export interface ReportMeta {
  file: string;
  file_sha256: string;
  /** The provider the chain was restricted to, or 'chain' for the configured order. */
  provider: string;
  providers: string[];
  model: string | null;
  prompt_version: string;
  split: 'all' | 'main' | 'heldout';
  concurrency: number;
  created_at: string;
  duration_ms: number;
}

export interface EvalReport extends ReportMeta {
  version: typeof REPORT_VERSION;
  splits: Record<ReportSplit, SplitReport>;
  tickets: TicketOutcome[];
}

export function buildReport(meta: ReportMeta, outcomes: TicketOutcome[]): EvalReport {
  return { version: REPORT_VERSION, ...meta, splits: computeSplits(outcomes), tickets: outcomes };
}

const rateSchema = z.object({ value: z.number().nullable(), hits: z.number(), total: z.number() });
const splitSchema = z.object({
  tickets: z.number(),
  metrics: z.object(Object.fromEntries(METRICS.map((m) => [m, rateSchema])) as Record<string, typeof rateSchema>),
  latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
  tokens: z.object({ prompt: z.number(), completion: z.number() }),
});
const storedReportSchema = z.object({
  version: z.literal(REPORT_VERSION),
  file_sha256: z.string(),
  provider: z.string(),
  model: z.string().nullable(),
  prompt_version: z.string(),
  splits: z.object({ all: splitSchema, main: splitSchema, heldout: splitSchema }),
  tickets: z.array(
    z.object({
      id: z.string(),
      split: z.string(),
      labels: z.object({
        priorities: z.array(z.string()),
        handling_modes: z.array(z.string()),
        internal_actions: z.array(z.string()),
        security: z.boolean(),
      }),
      got: z
        .object({ priority: z.string(), handling_mode: z.string(), action: z.string(), escalated: z.boolean() })
        .nullable(),
    }),
  ),
});

/** Reads a report saved with `--json`; throws naming the file and the first wrong field. */
export function parseStoredReport(text: string, file: string): EvalReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = storedReportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: not an eval report (--json): ${issue.path.join('.') || 'report'}: ${issue.message}`);
  }
  return value as EvalReport;
}
