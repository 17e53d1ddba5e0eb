// Prometheus metrics (prom-client) on a registry of our own, created per service instance so tests can build
// several apps in one process. Labels never carry ticket text or identifiers, only bounded values.
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

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
      help: 'Tickets finished by the worker, by final status and provider',
      labelNames: ['status', 'provider'] as const,
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
