// `triage doctor --deep`: the model self-test. Two fixed, synthetic tickets (no customer data) go to each configured
// LLM exactly as the pipeline would send them, but straight to the provider: no repair call, no fallback, no
// guard. The report says whether each answer was schema-valid as given, how long it took and what it decided, so a
// model that ignores the schema shows up here rather than on real tickets.
import { readFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { OLLAMA_DEFAULTS } from '../domain/providers.ts';
import type { NormalizedTicket } from '../domain/ticket.ts';
import { triageJsonSchema } from '../domain/triage-output.ts';
import type { ProviderName } from '../domain/triage-result.ts';
import { providersOptions } from '../pipeline/wiring.ts';
import { buildTriageProviders } from '../triage/index.ts';
import { parseTriageOutput } from '../triage/parse.ts';
import { buildPrompt } from '../triage/prompt.ts';
import type { TriageProvider } from '../triage/providers/provider.ts';
import type { Check, Outcome } from './doctor-checks.ts';

interface SelfTestTicket {
  label: string;
  ticket: NormalizedTicket;
  /** What a sensible triage says, for the report (the policy guard enforces the security part anyway). */
  expected: { priorities: string[]; action?: string };
}

const base = {
  from_email: null,
  customer_name: 'Self Test',
  customer_tier: 'standard',
  product_area: null,
  hubspot_ticket_url: null,
  portal_id: null,
  received_at: '2026-01-01T00:00:00.000Z',
  request_id: 'doctor-self-test',
};

export const SELF_TEST_TICKETS: SelfTestTicket[] = [
  {
    label: 'security report',
    ticket: {
      ...base,
      ticket_id: 'self-test-1',
      subject: 'I can see invoices of other companies',
      body: 'When I change the number at the end of the invoice page URL I can open invoices that belong to other customers, with their names and addresses. This looks like unauthorized access to other accounts.',
    },
    expected: { priorities: ['high', 'critical'], action: 'Escalate to security' },
  },
  {
    label: 'how-to question',
    ticket: {
      ...base,
      ticket_id: 'self-test-2',
      subject: 'How do I export my contacts to CSV?',
      body: 'Hi, where do I find the option to export all my contacts as a CSV file? Thanks!',
    },
    expected: { priorities: ['low', 'medium'] },
  },
];

export interface TicketReport {
  ticket: string;
  schema_valid: boolean;
  latency_ms: number;
  priority?: string;
  handling_mode?: string;
  action?: string;
  as_expected?: boolean;
  expected: string;
  errors?: string[];
  error?: string;
}

/** One self-test check per configured LLM provider (the rules engine is deterministic and needs none). */
export function selfTestChecks(config: Config): Check[] {
  const names = config.providers.filter(
    (name): name is Exclude<ProviderName, 'rules'> =>
      (name === 'local' && (config.local.explicit || config.env !== 'production')) ||
      (name === 'groq' && config.groq.apiKey !== null),
  );
  return names.map((name) => ({
    name: `self-test ${name === 'local' ? 'local LLM' : 'cloud LLM'}`,
    run: async () => selfTest(providerFor(config, name), await sopText(config)),
  }));
}

function providerFor(config: Config, name: 'local' | 'groq'): TriageProvider {
  const [entry] = buildTriageProviders(providersOptions(config, [name]), { now: Date.now });
  return entry!.provider!;
}

const sopText = async (config: Config) => (config.sop.file ? await readFile(config.sop.file, 'utf8') : undefined);

/** Sends the fixed tickets one after the other (as a worker would) and judges each answer as given. */
export async function selfTest(provider: TriageProvider, sop?: string): Promise<Outcome> {
  const reports: TicketReport[] = [];
  for (const { label, ticket, expected: wanted } of SELF_TEST_TICKETS) {
    const expected = `${wanted.priorities.join(' or ')}${wanted.action ? ` and ${wanted.action}` : ''}`;
    const prompt = buildPrompt(ticket, { contextTokens: OLLAMA_DEFAULTS.numCtx, ...(sop ? { sopText: sop } : {}) });
    const started = performance.now();
    try {
      const answer = await provider.complete({ system: prompt.system, user: prompt.user, ticket }, triageJsonSchema);
      const latency = Math.round(performance.now() - started);
      const parsed = parseTriageOutput(answer.text);
      if (!parsed.ok) {
        const errors = parsed.errors.slice(0, 10);
        reports.push({ ticket: label, schema_valid: false, latency_ms: latency, expected, errors });
        continue;
      }
      const { priority, handling_mode, recommended_internal_action: action } = parsed.output;
      const asExpected =
        wanted.priorities.includes(priority) && (wanted.action === undefined || wanted.action === action);
      reports.push({
        ticket: label,
        schema_valid: true,
        latency_ms: latency,
        priority,
        handling_mode,
        action,
        as_expected: asExpected,
        expected,
      });
    } catch (error) {
      const latency = Math.round(performance.now() - started);
      reports.push({
        ticket: label,
        schema_valid: false,
        latency_ms: latency,
        expected,
        error: (error as Error).message,
      });
    }
  }
  return judge(provider, reports);
}

function judge(provider: TriageProvider, reports: TicketReport[]): Outcome {
  const valid = reports.filter((report) => report.schema_valid).length;
  const failedCalls = reports.filter((report) => report.error !== undefined).length;
  const lines = reports.map(describeTicket);
  const summary = `${provider.name} (${provider.model}): ${valid} of ${reports.length} answers schema-valid without repair`;
  const data = { provider: provider.name, model: provider.model, tickets: reports };
  if (failedCalls > 0) {
    return {
      status: 'fail',
      detail: summary,
      lines,
      data,
      fix: 'The model did not answer; run doctor without --deep to see why (reachability, key, model name).',
    };
  }
  if (valid < reports.length) {
    return {
      status: valid === 0 ? 'fail' : 'warn',
      detail: summary,
      lines,
      data,
      fix:
        'This model does not keep to the JSON schema: such tickets need a repair call (slower) or fall to the next ' +
        'provider. Use a model that follows structured output (Ollama >= 0.5 with e.g. llama3.1:8b or qwen2.5:7b), ' +
        'or put the cloud provider first in TRIAGE_PROVIDERS.',
    };
  }
  return { status: 'ok', detail: summary, lines, data };
}

function describeTicket(report: TicketReport): string {
  const took = `${report.latency_ms} ms`;
  if (report.error !== undefined) return `${report.ticket}: no answer after ${took} (${report.error})`;
  if (!report.schema_valid) {
    const errors = report.errors ?? [];
    const more = errors.length > 2 ? `; and ${errors.length - 2} more` : '';
    return `${report.ticket}: NOT schema-valid after ${took}: ${errors.slice(0, 2).join('; ')}${more}`;
  }
  const verdict = `${report.priority} / ${report.handling_mode} / ${report.action}`;
  return `${report.ticket}: schema-valid in ${took}: ${verdict}${report.as_expected ? '' : ` (expected ${report.expected})`}`;
}
