// POST /webhook/hubspot (CONTRACTS.md §1): keeps the raw bytes for signatures, authenticates, parses and normalises
// every delivery shape, and answers 2xx only after the job is committed. Unauthenticated requests are rate limited
// per IP; authenticated deliveries never are. Logs carry ids and outcomes, never bodies, emails or secrets.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { TriageTicketPayload } from '../domain/job.ts';
import { type DeliveryResult, parseDelivery } from '../domain/normalize.ts';
import {
  HttpError,
  invalidJson,
  serviceUnavailable,
  tooManyEvents,
  unauthorized,
  unsupportedMediaType,
  validationError,
} from '../http/errors.ts';
import type { Lifecycle } from '../http/lifecycle.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { authenticateWebhook, type WebhookAuthConfig } from './auth.ts';
import type { EnqueueOutcome, IntakeQueue } from './enqueue.ts';

export interface WebhookRouteDeps {
  auth: WebhookAuthConfig;
  queue: IntakeQueue;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  now?: () => number;
  /** Events one Webhooks-API delivery may carry (HubSpot sends at most 100); more is refused whole with 413. */
  maxEvents?: number;
  /** Unauthenticated requests allowed per IP per window before 429. */
  unauthenticatedLimit?: { max: number; windowMs: number };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the outcome line (webhook.accepted|duplicate|rejected) is written. */
    webhookLogged?: boolean;
  }
}

const CLOCK_SKEW_MS = 5 * 60 * 1000;
const RETRY_AFTER_UNAVAILABLE_S = 30;
const RETRY_AFTER_DRAINING_S = 5;
const EMPTY_BODY = Buffer.alloc(0);

export function webhookRoutes(deps: WebhookRouteDeps): FastifyPluginAsync {
  const now = deps.now ?? Date.now;
  const maxEvents = deps.maxEvents ?? 100;
  const log = deps.logger.child({ component: 'intake' });

  /** Counts and logs a refused delivery: its webhook.rejected line. */
  function logRefusal(
    requestId: string,
    reason: string,
    status: number,
    latencyMs: number,
    extra: Record<string, unknown>,
  ): void {
    deps.metrics.webhookDeliveries.inc({ outcome: 'rejected' });
    log.warn({ request_id: requestId, reason, status, latency_ms: latencyMs, ...extra }, 'webhook.rejected');
  }

  /** A refusal from the handler: logged, and returned for the handler to throw. */
  function refuse(
    requestId: string,
    started: number,
    reason: string,
    error: HttpError,
    extra: Record<string, unknown> = {},
  ): HttpError {
    logRefusal(requestId, reason, error.statusCode, elapsed(started), extra);
    return error;
  }

  return async (app: FastifyInstance) => {
    // The signatures are over the exact bytes, so JSON is parsed here, after authentication, not by Fastify.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(/^application\/([\w.-]+\+)?json(\s*;.*)?$/, { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
    app.addContentTypeParser('*', (request, _payload, done) => {
      done(unsupportedMediaType(request.headers['content-type']), undefined);
    });

    // Errors raised before the handler (body too large, wrong content type) still get their lines.
    app.addHook('onError', async (request, reply, error) => {
      if (request.webhookLogged) return;
      request.webhookLogged = true;
      log.info({ request_id: request.id }, 'webhook.received');
      logRefusal(
        request.id,
        (error as { code?: string }).code ?? 'error',
        (error as { statusCode?: number }).statusCode ?? 500,
        Math.round(reply.elapsedTime * 10) / 10,
        { source_ip: request.ip },
      );
    });

    // The limiter is consulted only for requests that failed authentication: HubSpot's deliveries never wait on it.
    const limit = deps.unauthenticatedLimit ?? { max: 30, windowMs: 60_000 };
    await app.register(rateLimit, {
      global: false,
      max: limit.max,
      timeWindow: limit.windowMs,
      errorResponseBuilder: (_request, context) =>
        new HttpError(429, 'rate_limited', 'Too many unauthenticated requests', {
          headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
        }),
    });
    const limitUnauthenticated = app.rateLimit();

    app.post('/webhook/hubspot', async (request, reply) => {
      const started = performance.now();
      const requestId = request.id;
      const receivedAt = new Date(now()).toISOString();
      const body = Buffer.isBuffer(request.body) ? request.body : null;
      log.info({ request_id: requestId, bytes: body?.length ?? 0 }, 'webhook.received');

      request.webhookLogged = true;

      if (deps.lifecycle.isDraining()) {
        throw refuse(
          requestId,
          started,
          'shutting_down',
          serviceUnavailable('Service is shutting down', RETRY_AFTER_DRAINING_S),
        );
      }
      const auth = authenticateWebhook(
        {
          method: request.method,
          rawBody: body ?? EMPTY_BODY,
          headers: request.headers,
          url: request.raw.url ?? request.url,
        },
        deps.auth,
        now(),
      );
      if (!auth.ok) {
        const refusal = { source_ip: request.ip, attempted: auth.attempted };
        try {
          await limitUnauthenticated.call(app, request, reply);
        } catch (error) {
          throw refuse(requestId, started, 'rate_limited', error as HttpError, refusal);
        }
        throw refuse(requestId, started, 'unauthorized', unauthorized(), refusal);
      }
      if (body === null) throw refuse(requestId, started, 'unsupported_media_type', unsupportedMediaType(undefined));

      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw refuse(requestId, started, 'invalid_json', invalidJson((error as Error).message.slice(0, 200)));
      }
      if (Array.isArray(json) && json.length > maxEvents) {
        throw refuse(requestId, started, 'too_many_events', tooManyEvents(json.length, maxEvents), {
          events: json.length,
        });
      }
      const delivery = parseDelivery(json, { receivedAt, requestId });
      if (delivery.kind === 'error') {
        const { field, reason, message } = delivery.error;
        throw refuse(requestId, started, 'validation_error', validationError(field, reason, message), {
          field,
          field_reason: reason,
        });
      }
      warnOnClockSkew(delivery, json, now(), requestId, log);

      const payloads = toPayloads(delivery, requestId, receivedAt);
      let outcomes: EnqueueOutcome[];
      try {
        outcomes = await deps.queue.enqueue(payloads);
      } catch (error) {
        throw refuse(
          requestId,
          started,
          'store_unavailable',
          serviceUnavailable('Ticket store unavailable, retry later', RETRY_AFTER_UNAVAILABLE_S, error),
          { error: (error as Error).message.slice(0, 200) },
        );
      }

      if (delivery.kind === 'events') {
        const duplicates = outcomes.filter((o) => o.status === 'duplicate').map((o) => o.ticketId);
        deps.metrics.webhookDeliveries.inc({ outcome: 'accepted' });
        log.info(
          {
            request_id: requestId,
            ticket_ids: outcomes.map((o) => o.ticketId),
            ignored: delivery.ignored,
            duplicates: duplicates.length,
            auth: auth.method,
            latency_ms: elapsed(started),
          },
          'webhook.accepted',
        );
        return reply.code(200).send({
          status: 'accepted',
          accepted: outcomes.filter((o) => o.status === 'accepted').map((o) => o.ticketId),
          ...(duplicates.length > 0 ? { duplicates } : {}),
          ignored: delivery.ignored + delivery.duplicates,
          request_id: requestId,
        });
      }

      // Object literals whole, without spreads: V8 builds a spread's copy on a slow path, and this runs per delivery.
      const outcome = outcomes[0]!;
      const ticketId = outcome.ticketId;
      const latencyMs = elapsed(started);
      if (outcome.status === 'duplicate') {
        deps.metrics.webhookDeliveries.inc({ outcome: 'duplicate' });
        log.info(
          { request_id: requestId, ticket_id: ticketId, auth: auth.method, latency_ms: latencyMs },
          'webhook.duplicate',
        );
        return reply.code(200).send({
          status: 'duplicate',
          ticket_id: ticketId,
          message: 'Ticket already processed',
          original_processed_at: outcome.originalProcessedAt,
          request_id: requestId,
        });
      }
      deps.metrics.webhookDeliveries.inc({ outcome: 'accepted' });
      const alreadyQueued = outcome.alreadyQueued;
      log.info(
        {
          request_id: requestId,
          ticket_id: ticketId,
          auth: auth.method,
          latency_ms: latencyMs,
          already_queued: alreadyQueued,
        },
        'webhook.accepted',
      );
      return reply
        .code(200)
        .send(
          alreadyQueued
            ? { status: 'accepted', ticket_id: ticketId, request_id: requestId, already_queued: true }
            : { status: 'accepted', ticket_id: ticketId, request_id: requestId },
        );
    });
  };
}

function toPayloads(
  delivery: Exclude<DeliveryResult, { kind: 'error' }>,
  requestId: string,
  receivedAt: string,
): TriageTicketPayload[] {
  if (delivery.kind === 'ticket') {
    const { ticket } = delivery;
    return [
      {
        v: 1,
        request_id: requestId,
        received_at: receivedAt,
        ticket_id: ticket.ticket_id,
        portal_id: ticket.portal_id,
        ticket,
        event: null,
      },
    ];
  }
  return delivery.creations.map((event) => ({
    v: 1,
    request_id: requestId,
    received_at: receivedAt,
    ticket_id: event.ticket_id,
    portal_id: event.portal_id,
    ticket: null,
    event,
  }));
}

/** HubSpot's own timestamps far ahead of ours mean one of the clocks is wrong; worth an operator's look. */
function warnOnClockSkew(
  delivery: Exclude<DeliveryResult, { kind: 'error' }>,
  json: unknown,
  nowMs: number,
  requestId: string,
  log: Logger,
): void {
  const times =
    delivery.kind === 'events'
      ? delivery.creations.map((event) => (event.occurred_at ? Date.parse(event.occurred_at) : Number.NaN))
      : [Number((json as { occurredAt?: unknown }).occurredAt)];
  const ahead = Math.max(...times.filter(Number.isFinite).map((t) => t - nowMs), Number.NEGATIVE_INFINITY);
  if (ahead > CLOCK_SKEW_MS) log.warn({ request_id: requestId, skew_ms: Math.round(ahead) }, 'webhook.clock_skew');
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;
