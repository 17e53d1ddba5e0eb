// Provider, Discord, queue and database status on the overview, read from the same report as /health: breaker
// state, last answer and last failure of each LLM (as this process saw them), the cloud budget, Discord's rate-limit
// state, queue depth, and the warnings.
import type { HealthReport } from '../../observability/health.ts';
import { type Html, html, when } from '../html.ts';

const STATUS_CLASS: Record<string, string> = { up: 'good', running: 'good', down: 'bad', rate_limited: 'warn' };

const date = (value: unknown) =>
  typeof value === 'string' ? when(new Date(value)) : html`<span class="muted">never</span>`;

function llmFacts(dep: Record<string, unknown>): Html {
  if (dep.status === 'disabled') return html`<span class="muted">not configured</span>`;
  const budget = dep.budget as
    | { used_tokens?: number; limit_tokens?: number; spent?: boolean; estimated_cost?: number | null }
    | undefined;
  return html`circuit ${String(dep.circuit ?? 'unknown')}; last answer ${date(dep.last_success_at)}; last failure ${
    dep.last_error ? html`${String(dep.last_error)} ${date(dep.last_error_at)}` : html`<span class="muted">none</span>`
  }${
    budget
      ? html`; cloud tokens today ${budget.used_tokens ?? 0} of ${budget.limit_tokens ?? '∞'}${budget.spent ? html` <b class="bad">budget spent</b>` : ''}${
          budget.estimated_cost === null || budget.estimated_cost === undefined
            ? ''
            : `, about $${budget.estimated_cost.toFixed(2)}`
        }`
      : ''
  }`;
}

export function servicesSection(report: HealthReport): Html {
  const { database, queue, local_llm, cloud_llm, discord } = report.dependencies;
  const row = (name: string, status: string, facts: Html | string) =>
    html`<tr><td>${name}</td><td><span class="tag ${STATUS_CLASS[status] ?? ''}">${status}</span></td><td>${facts}</td></tr>`;
  return html`<h2>Services</h2>
${report.warnings.length > 0 ? html`<ul class="notice bad">${report.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
<div class="scroll"><table><thead><tr><th>part</th><th>status</th><th>details</th></tr></thead><tbody>
${row('database', database.status, `${database.latency_ms.toFixed(1)} ms`)}
${row('queue', queue.status, `${queue.staged ?? '?'} staged, ${queue.pending ?? '?'} waiting or retrying, ${queue.failed ?? '?'} jobs out of retries`)}
${row('local LLM', local_llm.status, llmFacts(local_llm))}
${row('cloud LLM', cloud_llm.status, llmFacts(cloud_llm))}
${discord ? row('Discord', discord.status, discord.sink === 'console' ? 'console sink (no Discord)' : html`last answer ${String(discord.last_status ?? 'none yet')}; ${discord.blocked_until ? html`rate limited until ${date(discord.blocked_until)}` : 'not rate limited'}; ${String(discord.waiting ?? 0)} waiting`) : row('Discord', 'unknown', 'no worker in this process')}
</tbody></table></div>`;
}
