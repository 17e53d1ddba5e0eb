// The overview's run numbers for the window: attempts by outcome and provider, fallbacks and their reasons, repairs,
// guard interventions, latency quantiles (as bucket bounds), cloud tokens and their estimated cost, and a bar chart
// of attempts per hour or day (inline SVG: no script, no external asset).

import { latencyQuantileBound, type RunSummary, type SeriesPoint } from '../../db/run-store.ts';
import { LATENCY_BUCKETS_MS } from '../../db/schema.ts';
import { type Html, html, trusted } from '../html.ts';

const share = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${((part / whole) * 100).toFixed(0)} %`);

function latency(buckets: number[], q: number): string {
  const bound = latencyQuantileBound(buckets, q);
  if (bound === undefined) return 'n/a';
  if (bound === null) return `> ${LATENCY_BUCKETS_MS.at(-1)! / 1000} s`;
  return `≤ ${bound < 1000 ? `${bound} ms` : `${bound / 1000} s`}`;
}

const REASON_WORDS: Record<string, string> = {
  timeout: 'timed out',
  connection: 'unreachable',
  http_5xx: 'server error',
  http_4xx: 'refused',
  auth: 'credentials refused',
  rate_limited: 'rate limited',
  model_missing: 'model missing',
  invalid_output: 'answer outside the schema',
  circuit_open: 'skipped, circuit open',
  disabled: 'not configured',
  budget_spent: 'skipped, cloud budget spent',
  internal: 'our bug',
};

/** Stacked bars: posted (accent), posted_as_failure and not_posted (red), one per slot. */
export function seriesChart(series: SeriesPoint[], unit: 'hour' | 'day'): Html {
  if (series.length === 0) return html`<p class="muted">No attempts in this window.</p>`;
  const width = 600;
  const height = 120;
  const max = Math.max(...series.map((p) => p.posted + p.posted_as_failure + p.not_posted), 1);
  const slot = width / series.length;
  const bar = Math.max(1, slot * 0.8);
  const rects = series
    .map((p, i) => {
      const x = (i * slot).toFixed(1);
      const okH = (p.posted / max) * (height - 10);
      const badH = ((p.posted_as_failure + p.not_posted) / max) * (height - 10);
      const label = `${p.start.toISOString().slice(0, unit === 'hour' ? 13 : 10)}${unit === 'hour' ? ':00' : ''} UTC: ${p.posted} posted, ${p.posted_as_failure} posted as failure, ${p.not_posted} not posted`;
      return `<g><title>${label}</title><rect class="a" x="${x}" y="${(height - okH).toFixed(1)}" width="${bar.toFixed(1)}" height="${okH.toFixed(1)}"/><rect class="b" x="${x}" y="${(height - okH - badH).toFixed(1)}" width="${bar.toFixed(1)}" height="${badH.toFixed(1)}"/></g>`;
    })
    .join('');
  // Built from numbers and ISO dates only; nothing here comes from a ticket.
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="Attempts per ${unit}: posted and failures">${trusted(rects)}</svg>
<p class="muted">Attempts per ${unit} (UTC), most recent on the right; red: posted as failure or not posted. Peak ${max}.</p>`;
}

export function runsSection(summary: RunSummary, unit: 'hour' | 'day', pricePerMillion: number | null): Html {
  const answered = Object.values(summary.answeredBy).reduce((a, b) => a + b, 0);
  const card = (n: string | number, label: string) =>
    html`<div class="card"><div class="n">${n}</div><div class="l">${label}</div></div>`;
  const tokens = summary.cloudPromptTokens + summary.cloudCompletionTokens;
  const cost = pricePerMillion === null ? null : (tokens / 1_000_000) * pricePerMillion;
  const reasons = [...summary.fallbackReasons].sort((a, b) => b.count - a.count);
  return html`<h2>Triage attempts</h2>
${seriesChart(summary.series, unit)}
<div class="cards">
${card(summary.runs, 'attempts')}${['local', 'groq', 'rules'].map((p) => card(share(summary.answeredBy[p] ?? 0, answered), `answered by ${p === 'groq' ? 'cloud' : p}`))}${card(share(summary.fellBack, summary.runs), 'fell back')}${card(share(summary.repaired, answered), 'repaired')}${card(share(summary.guarded, answered), 'guard changed the answer')}${card(latency(summary.latencyBuckets, 0.5), 'latency p50')}${card(latency(summary.latencyBuckets, 0.95), 'latency p95')}${card(tokens.toLocaleString('en'), 'cloud tokens')}${card(cost === null ? 'no price set' : `$${cost.toFixed(2)}`, 'estimated cloud cost (CLOUD_PRICE_PER_MILLION_TOKENS)')}
</div>
<p class="muted">Latency is the attempt's total time, shown as the upper bound of its bucket (${LATENCY_BUCKETS_MS.map((b) => (b < 1000 ? `${b} ms` : `${b / 1000} s`)).join(', ')}).</p>
${
  reasons.length === 0
    ? html`<p class="muted">No fallback in this window.</p>`
    : html`<p>Fallback reasons: ${reasons.map((r, i) => html`${i > 0 ? ', ' : ''}<span class="tag">${r.provider === 'groq' ? 'cloud' : r.provider} ${REASON_WORDS[r.reason] ?? r.reason}: ${r.count}</span>`)}</p>`
}`;
}
