// buildApp(deps) returns a Fastify instance with every route registered (operator endpoints, the webhook, the
// dashboard) that is not listening yet: service.ts listens, tests use inject() or listen on port 0. Every dependency
// arrives as a parameter; one error handler renders HttpError and hides other errors.
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import type { Config } from './config.ts';
import { forbidden, HttpError, payloadTooLarge } from './http/errors.ts';
import type { Lifecycle } from './http/lifecycle.ts';
import { sanitizeRequestId } from './http/request-id.ts';
import { type WebhookRouteDeps, webhookRoutes } from './intake/webhook-route.ts';
import type { HealthReport } from './observability/health.ts';
import { type Logger, lazyChildLogger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import { checkAccess } from './web/access.ts';
import { type WebDeps, webRoutes } from './web/routes.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  health: () => Promise<HealthReport>;
  /** Cheap readiness probe: can we reach the database right now? */
  databaseReachable: () => Promise<boolean>;
  /** Whether this process's queue runner works; absent when the process runs no workers. */
  queueRunning?: () => boolean;
  /** The webhook route's queue and credentials (the rest of its dependencies come from here). */
  intake: Pick<WebhookRouteDeps, 'auth' | 'queue' | 'now' | 'unauthenticatedLimit'>;
  /** The stores the dashboard reads and writes through; absent, the app has no dashboard. */
  dashboard?: Pick<WebDeps, 'tickets' | 'runs' | 'feedback' | 'now'>;
}

export const BODY_LIMIT_BYTES = 1024 * 1024;
// Routes whose every request is routine, or (the webhook) already logged by the route itself.
const QUIET_ROUTES = new Set(['/health', '/health/live', '/health/ready', '/metrics', '/webhook/hubspot']);
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify takes the same forms (boolean, hop count, addresses); the union only confuses its overloads.
    trustProxy: deps.config.trustProxy as boolean,
    genReqId: (req) => sanitizeRequestId(req.headers['x-request-id']),
    childLoggerFactory: (logger, bindings, options) => lazyChildLogger(logger as Logger, bindings, options),
  });

  // Set when the request arrives, so every answer carries it, errors included. Callback-style hooks: these two run
  // for every request, and an async hook costs a promise each time.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const latency = reply.elapsedTime;
    deps.metrics.httpRequests.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      latency / 1000,
    );
    // The path only: a query string may carry the webhook token.
    const fields = {
      method: request.method,
      route,
      status: reply.statusCode,
      latency_ms: Math.round(latency * 10) / 10,
    };
    if (QUIET_ROUTES.has(route)) request.log.debug(fields, 'http.request');
    else request.log.info(fields, 'http.request');
    done();
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not_found', message: 'Route not found', request_id: request.id });
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const http = toHttpError(error);
    if (http.statusCode >= 500 && http.code === 'internal_error') {
      request.log.error({ err: { type: error.name, message: error.message, stack: error.stack } }, 'request failed');
    }
    reply.headers(http.headers);
    reply.code(http.statusCode).send({
      error: http.code,
      message: http.message,
      ...(http.details ? { details: http.details } : {}),
      request_id: request.id,
    });
  });

  app.get('/health/live', async () => ({ status: 'live' }));

  app.get('/health/ready', async (_request, reply) => {
    if (deps.lifecycle.isDraining()) return reply.code(503).send({ status: 'shutting_down' });
    if (!(await deps.databaseReachable())) return reply.code(503).send({ status: 'database_unreachable' });
    if (deps.queueRunning && !deps.queueRunning()) return reply.code(503).send({ status: 'queue_not_running' });
    return { status: 'ready' };
  });

  app.get('/health', async (_request, reply) => {
    if (deps.lifecycle.isDraining()) return reply.code(503).send({ status: 'shutting_down' });
    return deps.health();
  });

  // The same access as the dashboard: ADMIN_TOKEN (Bearer, for Prometheus) when set, else loopback only.
  app.get('/metrics', async (request, reply) => {
    const verdict = checkAccess(request, deps.config.adminToken, Date.now());
    if (verdict === 'loopback_only') throw forbidden('/metrics is only served to localhost until ADMIN_TOKEN is set');
    if (verdict === 'login_required') {
      throw new HttpError(401, 'unauthorized', 'Send ADMIN_TOKEN as a Bearer token', {
        headers: { 'www-authenticate': 'Bearer realm="hubspot-triage"' },
      });
    }
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  if (deps.dashboard) {
    const token = deps.intake.auth.token;
    await app.register(
      webRoutes({
        ...deps.dashboard,
        adminToken: deps.config.adminToken,
        development: deps.config.env === 'development',
        cloudPricePerMillionTokens: deps.config.cost.cloudPricePerMillionTokens,
        health: deps.health,
        // The sample form goes through the real webhook route, authenticated like any sender.
        sendSample: token
          ? async (ticket) => {
              const response = await app.inject({
                method: 'POST',
                url: '/webhook/hubspot',
                headers: {
                  'content-type': 'application/json',
                  [deps.intake.auth.tokenHeader ?? 'x-webhook-token']: token,
                },
                payload: JSON.stringify(ticket),
              });
              return { statusCode: response.statusCode, body: response.body };
            }
          : undefined,
      }),
    );
  }
  await app.register(
    webhookRoutes({
      ...deps.intake,
      maxEvents: deps.config.webhookMaxEvents,
      logger: deps.logger,
      metrics: deps.metrics,
      lifecycle: deps.lifecycle,
    }),
  );
  return app;
}

/** Maps Fastify's own errors (body parsing, limits, rate limiting) onto our codes; anything unknown is a 500. */
function toHttpError(error: FastifyError | HttpError): HttpError {
  if (error instanceof HttpError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'invalid_json', 'Request body is not valid JSON');
    case 'FST_CSRF_MISSING_SECRET':
    case 'FST_CSRF_INVALID_TOKEN':
      return new HttpError(
        403,
        'csrf_token_invalid',
        'The form is stale or came from another site: reload the page and send it again',
      );
    default:
      break;
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new HttpError(error.statusCode, 'bad_request', error.message);
  }
  return new HttpError(500, 'internal_error', 'An unexpected error occurred', { cause: error });
}
