// Plain-text renderings of a report and of a comparison, for a terminal: fixed-width columns, percentages with the
// counts behind them, no colour. The JSON report (`--json`) is the machine-readable form.
import { PRIORITIES } from '../domain/triage-output.ts';
import type { Comparison } from './compare.ts';
import { failedChecks } from './compare.ts';
import { checkTicket, METRICS, type MetricName, NO_OUTPUT, type Rate, REPORT_SPLITS } from './metrics.ts';
import type { EvalReport } from './report.ts';
import type { TicketOutcome } from './run.ts';

export const METRIC_LABELS: Record<MetricName, string> = {
  priority_exact: 'priority exact',
  priority_acceptable: 'priority acceptable',
  handling_mode: 'handling mode',
  action: 'internal action',
  security_recall: 'security recall',
  security_precision: 'security precision',
  false_critical_rate: 'false critical rate',
  schema_valid_before_repair: 'schema valid before repair',
  schema_valid_after_repair: 'schema valid after repair',
};

const LABEL_WIDTH = 28;
const COLUMN_WIDTH = 20;

const percent = (value: number | null) => (value === null ? '-' : `${(value * 100).toFixed(1)} %`);
const showRate = (r: Rate) => (r.value === null ? '-' : `${percent(r.value)} (${r.hits}/${r.total})`);
const orDash = (v: number | null) => (v === null ? '-' : String(v));
const row = (label: string, cells: string[], width = COLUMN_WIDTH) =>
  `${label.padEnd(LABEL_WIDTH)}${cells.map((c) => c.padEnd(width)).join('')}`.trimEnd();

export function formatReport(report: EvalReport): string {
  const s = report.splits;
  const model = report.model ? ` (model ${report.model})` : '';
  const lines = [
    `Evaluation of ${report.file} (${report.tickets.length} tickets, sha256 ${report.file_sha256.slice(0, 12)})`,
    `provider ${report.provider}${model}, prompt ${report.prompt_version}, concurrency ${report.concurrency}, ` +
      `split ${report.split}, ${(report.duration_ms / 1000).toFixed(1)} s`,
    '',
    row('metric', [...REPORT_SPLITS]),
    row(
      'tickets',
      REPORT_SPLITS.map((k) => String(s[k].tickets)),
    ),
    ...METRICS.map((m) =>
      row(
        METRIC_LABELS[m],
        REPORT_SPLITS.map((k) => showRate(s[k].metrics[m])),
      ),
    ),
    row(
      'no output (chain failed)',
      REPORT_SPLITS.map((k) => String(s[k].errors)),
    ),
    row(
      'latency p50 / p95 ms',
      REPORT_SPLITS.map((k) =>
        s[k].tickets === 0 ? '-' : `${orDash(s[k].latency_ms.p50)} / ${orDash(s[k].latency_ms.p95)}`,
      ),
    ),
    row(
      'tokens prompt / completion',
      REPORT_SPLITS.map((k) => `${s[k].tokens.prompt} / ${s[k].tokens.completion}`),
    ),
    row('answered by', [describeCounts(s.all.by_provider)], 0),
  ];
  if (s.all.errors > 0) lines.push(row('failures by class', [describeCounts(s.all.errors_by_class)], 0));
  lines.push('', ...formatConfusion(report), '', ...formatKinds(report), '', ...formatMisses(report.tickets));
  return `${lines.join('\n')}\n`;
}

function describeCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
}

function formatConfusion(report: EvalReport): string[] {
  const columns = [...PRIORITIES, NO_OUTPUT];
  const matrix = report.splits.all.confusion;
  const width = 10;
  const line = (label: string, cells: string[]) =>
    `${label.padEnd(12)}${cells.map((c) => c.padStart(width)).join('')}`.trimEnd();
  return [
    'Priority confusion, all splits (rows: expected = first listed priority; columns: output; none = no output)',
    line('expected', columns),
    ...PRIORITIES.map((p) =>
      line(
        p,
        columns.map((c) => String(matrix[p]?.[c] ?? 0)),
      ),
    ),
  ];
}

function formatKinds(report: EvalReport): string[] {
  const kinds = Object.entries(report.splits.all.by_kind).sort((a, b) => b[1].tickets - a[1].tickets);
  return [
    'Tickets passing every check, by kind (all splits)',
    ...kinds.map(
      ([kind, k]) => `  ${kind.padEnd(18)}${showRate({ hits: k.pass, total: k.tickets, value: k.pass / k.tickets })}`,
    ),
  ];
}

function formatMisses(tickets: TicketOutcome[]): string[] {
  const misses = tickets.filter((t) => !checkTicket(t).pass);
  if (misses.length === 0) return ['Misses: none (every ticket passes priority, handling mode, action and security)'];
  return [
    `Misses: ${misses.length} of ${tickets.length} tickets fail a check (acceptable priority, handling mode, action, security)`,
    ...misses.map((t) => `  ${t.id.padEnd(6)} ${t.split.padEnd(8)} ${t.kind.padEnd(16)} ${describeMiss(t)}`),
  ];
}

export function describeMiss(t: TicketOutcome): string {
  if (t.got === null) return `no output (${t.error ?? 'failed'})`;
  const failed = failedChecks(checkTicket(t));
  const parts: string[] = [];
  if (failed.includes('priority')) parts.push(`priority ${t.got.priority} (want ${t.labels.priorities.join('|')})`);
  if (failed.includes('handling_mode'))
    parts.push(`mode ${t.got.handling_mode} (want ${t.labels.handling_modes.join('|')})`);
  if (failed.includes('action')) parts.push(`action ${t.got.action} (want ${t.labels.internal_actions.join('|')})`);
  if (failed.includes('security'))
    parts.push(
      t.labels.security ? 'not escalated to security (security ticket)' : 'escalated to security (not security)',
    );
  return parts.join('; ');
}

export function formatComparison(c: Comparison, a: EvalReport, b: EvalReport, files: [string, string]): string {
  const points = (c.tolerance * 100).toFixed(1);
  const describe = (r: EvalReport) =>
    `${r.provider}${r.model ? ` ${r.model}` : ''}, prompt ${r.prompt_version}, ${r.tickets.length} tickets, ${r.created_at}`;
  const lines = [
    `Comparing b = ${files[1]} against a = ${files[0]} (regression: a rate worse by more than ${points} points)`,
    `  a: ${describe(a)}`,
    `  b: ${describe(b)}`,
  ];
  if (!c.sameSet) lines.push('  note: the reports come from different ticket files; flips cover only ids in both');
  const splits = REPORT_SPLITS.filter((k) => a.splits[k].tickets > 0 || b.splits[k].tickets > 0);
  const line = (cells: string[]) =>
    `${cells[0]!.padEnd(LABEL_WIDTH)}${cells
      .slice(1)
      .map((x) => x.padEnd(12))
      .join('')}`.trimEnd();
  lines.push('', line(['metric', 'split', 'a', 'b', 'delta']));
  for (const d of c.deltas.filter((d) => splits.includes(d.split))) {
    const delta = d.delta === null ? '-' : `${d.delta >= 0 ? '+' : ''}${(d.delta * 100).toFixed(1)}`;
    lines.push(
      line([METRIC_LABELS[d.metric], d.split, percent(d.a), percent(d.b), delta, d.regression ? 'REGRESSION' : '']),
    );
  }
  for (const l of c.latency.filter((l) => splits.includes(l.split))) {
    const pair = (x: { p50: number | null; p95: number | null }) => `${orDash(x.p50)}/${orDash(x.p95)}`;
    lines.push(line(['latency p50/p95 ms', l.split, pair(l.a), pair(l.b)]));
  }
  const tokens = (t: { prompt: number; completion: number }) => `${t.prompt}/${t.completion}`;
  lines.push(line(['tokens prompt/completion', 'all', tokens(c.tokens.a), tokens(c.tokens.b)]), '');
  lines.push(
    c.regressions.length === 0
      ? `No regression beyond ${points} points.`
      : `Regressions beyond ${points} points: ${c.regressions.map((d) => `${METRIC_LABELS[d.metric]} (${d.split})`).join(', ')}`,
  );
  const flips = (title: string, list: Comparison['passToFail']) =>
    `${title} (${list.length})${list.length ? `: ${list.map((f) => `${f.id} [${f.failed.join(', ')}]`).join(', ')}` : ''}`;
  lines.push(flips('pass → fail', c.passToFail), flips('fail → pass', c.failToPass));
  if (c.onlyInA.length > 0) lines.push(`only in a (${c.onlyInA.length}): ${c.onlyInA.join(', ')}`);
  if (c.onlyInB.length > 0) lines.push(`only in b (${c.onlyInB.length}): ${c.onlyInB.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
