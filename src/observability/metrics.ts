// Prometheus metrics (prom-client) on a registry of our own, created per service instance so tests can build
// several apps in one process. Labels never carry ticket text or identifiers, only bounded values.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'triage_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'triage_webhook_deliveries_total',
      help: 'Webhook deliveries by outcome (accepted, duplicate, rejected)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    ticketsProcessed: new Counter({
      name: 'triage_tickets_processed_total',
      help: 'Tickets the worker ended, by final state (posted, posted_as_failure = a TRIAGE FAILED message, not_posted) and provider',
      labelNames: ['status', 'provider'] as const,
      registers: [registry],
    }),
    cloudBudgetSkips: new Counter({
      name: 'triage_cloud_budget_skips_total',
      help: 'Tickets whose cloud provider was skipped because CLOUD_DAILY_TOKEN_BUDGET was spent',
      registers: [registry],
    }),
    shortCircuits: new Counter({
      name: 'triage_short_circuit_total',
      help: 'Tickets decided by rules without any LLM call, by kind (auto_reply, bounce, spam)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    securityChecks: new Counter({
      name: 'triage_security_checks_total',
      help: 'LLM security checks (SECURITY_LLM_CHECK) by result: yes, no, invalid (answer off its schema), error (the call failed or timed out), skipped (no LLM available)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    providerCalls: new Histogram({
      name: 'triage_provider_call_duration_seconds',
      help: 'LLM provider call latency by provider and outcome',
      labelNames: ['provider', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const CIRCUIT_VALUES = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * Gauges read at scrape time from the service's parts: queue depth by state (staged, pending, failed) and each
 * provider's circuit (0 closed, 1 half-open, 2 open). A source that fails (the database away) keeps its last values.
 */
export function registerServiceGauges(
  metrics: Metrics,
  sources: {
    queueDepth?: () => Promise<Record<string, number>>;
    circuits?: () => { name: string; state: keyof typeof CIRCUIT_VALUES; enabled: boolean }[];
    cloudBudget?: () => Promise<{ usedTokens: number; limitTokens: number; estimatedCost: number | null }>;
  },
): void {
  const { queueDepth, circuits, cloudBudget } = sources;
  if (cloudBudget) registerBudgetGauges(metrics, cloudBudget);
  if (queueDepth) {
    new Gauge({
      name: 'triage_queue_depth',
      help: 'Tickets by queue state: staged (committed, job not added yet), pending (jobs waiting or retrying), failed (jobs out of attempts)',
      labelNames: ['state'] as const,
      registers: [metrics.registry],
      async collect() {
        try {
          for (const [state, n] of Object.entries(await queueDepth())) this.set({ state }, n);
        } catch {
          // unreachable database: /health says so; the gauge keeps its last reading
        }
      },
    });
  }
  if (circuits) {
    new Gauge({
      name: 'triage_provider_circuit_state',
      help: 'Circuit breaker of each enabled provider: 0 closed, 1 half-open, 2 open',
      labelNames: ['provider'] as const,
      registers: [metrics.registry],
      collect() {
        for (const c of circuits()) if (c.enabled) this.set({ provider: c.name }, CIRCUIT_VALUES[c.state]);
      },
    });
  }
}

/**
 * Today's cloud tokens (all processes together, read from the database at scrape time), the budget, and the
 * estimated cost when CLOUD_PRICE_PER_MILLION_TOKENS is set. A failed read (database away) keeps the last values.
 */
function registerBudgetGauges(
  metrics: Metrics,
  read: () => Promise<{ usedTokens: number; limitTokens: number; estimatedCost: number | null }>,
): void {
  const gauges = [
    [
      'triage_cloud_tokens_today',
      'Cloud LLM tokens (prompt + completion) used this UTC day, all processes',
      'usedTokens',
    ],
    ['triage_cloud_token_budget', 'CLOUD_DAILY_TOKEN_BUDGET: cloud tokens allowed per UTC day', 'limitTokens'],
    [
      'triage_cloud_cost_today_estimate',
      'Estimated cloud cost this UTC day: tokens x CLOUD_PRICE_PER_MILLION_TOKENS / 1e6 (absent without a price)',
      'estimatedCost',
    ],
  ] as const;
  for (const [name, help, key] of gauges) {
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      async collect() {
        const value = await read().then(
          (reading) => reading[key],
          () => null,
        );
        if (value !== null) this.set(value);
      },
    });
  }
}
