// The CI gate's rule (eval/thresholds.json): per split, a minimum for rates that should go up and a maximum for the
// ones that should go down. A threshold on a metric the run could not measure (empty denominator) is a violation too,
// so a gate cannot pass by accident on an empty split.
import { z } from 'zod';
import { METRICS, type MetricName, REPORT_SPLITS, type ReportSplit } from './metrics.ts';
import type { EvalReport } from './report.ts';

const bounds = z.partialRecord(z.enum(METRICS), z.number().min(0).max(1));
export const thresholdsSchema = z.object({
  provider: z.string(),
  note: z.string().optional(),
  splits: z.partialRecord(z.enum(REPORT_SPLITS), z.object({ min: bounds.optional(), max: bounds.optional() })),
});
export type Thresholds = z.infer<typeof thresholdsSchema>;

export function parseThresholds(text: string, file: string): Thresholds {
  const parsed = thresholdsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || 'file'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Every threshold the report misses, as a sentence naming split, metric, value and bound. */
export function checkThresholds(report: EvalReport, thresholds: Thresholds): string[] {
  const violations: string[] = [];
  for (const [split, rule] of Object.entries(thresholds.splits) as [
    ReportSplit,
    NonNullable<Thresholds['splits']['all']>,
  ][]) {
    const check = (kind: 'min' | 'max') => {
      for (const [metric, bound] of Object.entries(rule[kind] ?? {}) as [MetricName, number][]) {
        const { value, hits, total } = report.splits[split].metrics[metric];
        if (value === null)
          violations.push(`${split}: ${metric} is not measurable (no tickets for it), ${kind} ${bound}`);
        else if (kind === 'min' ? value < bound : value > bound) {
          const word = kind === 'min' ? 'below the minimum' : 'above the maximum';
          violations.push(`${split}: ${metric} ${value.toFixed(4)} (${hits}/${total}) is ${word} ${bound}`);
        }
      }
    };
    check('min');
    check('max');
  }
  return violations;
}
