// The worker task `triage-ticket`: claim (lease, renewed while working) → enrich an event-only ticket → triage chain
// (policy guard included) → notify → mark `posted` (or `posted_as_failure` for a TRIAGE FAILED message) and record
// the run, atomically. A ticket is marked posted only after Discord answered 2xx; anything retryable releases the
// claim and fails the job, so graphile-worker retries it with back-off (the ticket stays `triaging`, the attempt's run
// is `not_posted`). A Discord configuration error (4xx) ends the ticket `not_posted` without a retry storm.
import { hostname } from 'node:os';
import type { Task } from 'graphile-worker';
import { isDataError } from '../db/errors.ts';
import type { RunStore } from '../db/run-store.ts';
import type { NewTriageRun, RunTimings } from '../db/schema.ts';
import { DISCORD_CONFIG_ERROR, type TicketStore } from '../db/ticket-store.ts';
import type { TriageTicketPayload } from '../domain/job.ts';
import type { FinalState } from '../domain/states.ts';
import type { TicketKey } from '../domain/ticket.ts';
import { hubspotTicketUrl, type NormalizedTicket } from '../domain/ticket.ts';
import { type HubSpotClient, HubSpotError } from '../hubspot/client.ts';
import { DiscordError } from '../notify/discord-client.ts';
import { buildDiscordMessage } from '../notify/embed.ts';
import type { DiscordWebhookPayload, Notifier } from '../notify/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { failureWithoutAttempts, type TriageChain, type TriageFailure, type TriageResult } from '../triage/index.ts';
import { decide } from './decide.ts';

export interface PipelineDeps {
  store: TicketStore;
  runs: RunStore;
  chain: TriageChain;
  notifier: Notifier;
  hubspot: HubSpotClient;
  logger: Logger;
  metrics: Metrics;
  securityRoleId: string | null;
  /** How long a claim lasts without renewal; a dead worker's ticket can be retaken after this. */
  leaseMs: number;
  /** Wall clock for timestamps shown to people. */
  now?: () => Date;
  /** Waits between retries of the commit after a post (tests shorten them). */
  sleep?: (ms: number) => Promise<void>;
}

/** Thrown to make graphile-worker retry the job later (its message lands in the job's last_error). */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
}

const PROCESS_ID = `${hostname()}:${process.pid}`;

export function createTriageTask(deps: PipelineDeps): Task<'triage-ticket'> {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ component: 'pipeline' });

  return async (payload, helpers) => {
    const started = performance.now();
    const key: TicketKey = { ticketId: payload.ticket_id, portalId: payload.portal_id };
    const attempt = helpers.job.attempts;
    const limits = { number: attempt, max: helpers.job.max_attempts };
    const owner = `${PROCESS_ID}:job-${helpers.job.id}:${attempt}`;
    const fields = { request_id: payload.request_id, ticket_id: payload.ticket_id, attempt };

    const claim = await deps.store.claimTicket(key, owner, deps.leaseMs);
    if (!claim.claimed) {
      if (decide({ stage: claim.reason === 'posted' ? 'claim_posted' : 'claim_held' }, limits).action === 'skip') {
        log.info(fields, 'pipeline.skipped_posted');
        return;
      }
      const until = claim.reason === 'held' ? claim.claimedUntil?.toISOString() : null;
      throw new RetryLater(`ticket is claimed by another worker until ${until}`);
    }
    const heartbeat = startHeartbeat(deps, key, owner, log, fields);
    const timings: RunTimings = {
      queueWaitMs: attempt === 1 ? Math.max(0, now().getTime() - Date.parse(payload.received_at)) : null,
      enrichmentMs: null,
      providers: [],
      notifyMs: null,
      totalMs: 0,
    };
    const run = (extra: Partial<NewTriageRun> & Pick<NewTriageRun, 'status'>): NewTriageRun => ({
      ticketId: payload.ticket_id,
      portalId: payload.portal_id,
      requestId: payload.request_id,
      attempt,
      timings: { ...timings, totalMs: round(performance.now() - started) },
      ...extra,
    });

    let posted = false;
    try {
      let ticket: NormalizedTicket;
      let result: TriageResult;
      const enrichStarted = performance.now();
      const enriched = await enrich(payload, deps.hubspot, helpers.abortSignal);
      if (payload.ticket === null) timings.enrichmentMs = round(performance.now() - enrichStarted);
      if (enriched.ok) {
        ticket = enriched.ticket;
        result = await deps.chain.run(ticket, helpers.abortSignal);
        countGuards(deps.metrics, result);
        for (const a of result.attempts) {
          if (a.outcome === 'skipped') continue;
          const outcome = a.outcome === 'ok' ? 'ok' : (a.failureClass ?? 'failed');
          deps.metrics.providerCalls.observe({ provider: a.provider, outcome }, a.latencyMs / 1000);
        }
        timings.providers = result.attempts.map((a) => ({
          provider: a.provider,
          outcome: a.outcome,
          latencyMs: round(a.latencyMs),
        }));
        if (result.ok && result.securityCheck) timings.securityCheck = result.securityCheck;
        if (
          !result.ok &&
          helpers.abortSignal.aborted &&
          decide({ stage: 'triage_aborted' }, limits).action === 'retry'
        ) {
          // graphile-worker aborts running jobs on shutdown: that is a deploy, not a triage failure to post. The next
          // process retries the ticket.
          await deps.runs.recordRun(run({ status: 'not_posted', ...runDetails(result) }));
          await deps.store.releaseClaim(key, owner, 'aborted: the worker was shutting down');
          throw new RetryLater('triage aborted: the worker is shutting down');
        }
      } else if (decide({ stage: 'enrich', retryable: enriched.error.retryable }, limits).action === 'retry') {
        await deps.runs.recordRun(
          run({ status: 'not_posted', errorClass: 'enrichment', errorMessage: enriched.error.message }),
        );
        await deps.store.releaseClaim(key, owner, `enrichment: ${enriched.error.errorClass}`);
        throw new RetryLater(`HubSpot enrichment failed (${enriched.error.errorClass})`);
      } else {
        // Nothing to triage: a person still has to hear about the ticket, so the failure is what gets posted.
        ticket = placeholderTicket(payload);
        result = enrichmentFailure(enriched.error, deps.chain.promptVersion);
      }

      const message = buildDiscordMessage(ticket, result, { now: now(), securityRoleId: deps.securityRoleId });
      const critical = result.ok && result.output.priority === 'critical';
      const notifyStarted = performance.now();
      let sent: Awaited<ReturnType<Notifier['send']>>;
      try {
        sent = await deps.notifier.send(message, { critical });
      } catch (error) {
        timings.notifyMs = round(performance.now() - notifyStarted);
        return await notifyFailed(error, {
          deps,
          key,
          owner,
          limits,
          ticket,
          placeholder: !enriched.ok,
          result,
          message,
          run,
          log,
          fields,
        });
      }
      posted = true;
      timings.notifyMs = round(performance.now() - notifyStarted);

      const provider = result.ok ? result.provider : result.lastProvider;
      const state: FinalState = result.ok ? 'posted' : 'posted_as_failure';
      const marked = await commitAfterPost(
        deps,
        {
          ...key,
          owner,
          state,
          provider,
          discordMessageId: sent.messageId,
          error: result.ok ? null : `${result.errorClass}: ${result.errorMessage}`,
        },
        run({
          status: state,
          ...runDetails(result),
          ticket: enriched.ok ? ticket : null, // a placeholder is not worth keeping: replay re-fetches it
          notification: message,
          discordMessageId: sent.messageId,
        }),
        log,
        fields,
      );
      if (!marked) log.error(fields, 'pipeline.claim_lost: the lease expired while notifying; a duplicate is possible');
      deps.metrics.ticketsProcessed.inc({ status: state, provider: provider ?? 'none' });
      log.info(
        {
          ...fields,
          provider,
          state,
          repaired: result.ok ? result.repaired : false,
          discord_message_id: sent.messageId,
          total_ms: round(performance.now() - started),
        },
        'pipeline.posted',
      );
    } catch (error) {
      if (!(error instanceof RetryLater) && !posted) {
        const message = `internal: ${(error as Error).message}`.slice(0, 500);
        const decision = decide({ stage: 'internal' }, limits);
        log.error({ ...fields, err: error, last_attempt: decision.action === 'fail' }, 'pipeline.internal_error');
        // Unexpected (e.g. the database went away): give the claim back so the retry is not blocked by our lease, or
        // on the last attempt end the ticket `not_posted`, so a redelivery or replay can queue it again. If the database
        // cannot say so now, the lease sweeper does it later.
        const settle =
          decision.action === 'fail'
            ? deps.store.markTicketProcessed({
                ...key,
                owner,
                state: 'not_posted',
                provider: null,
                error: message,
              })
            : deps.store.releaseClaim(key, owner, message);
        const settled = await settle.catch(() => false);
        if (decision.action === 'fail' && settled) {
          deps.metrics.ticketsProcessed.inc({ status: 'not_posted', provider: 'none' });
        }
      }
      throw error;
    } finally {
      heartbeat.stop();
    }
  };
}

/** Once Discord answered 2xx the ticket must be marked posted, or a retry would post it again. */
const COMMIT_RETRY_DELAYS_MS = [100, 250, 500, 1_000, 2_000];
const COMMIT_RETRY_BUDGET_MS = 10 * 60_000;

/**
 * Marks the ticket posted and records the run in one transaction, retrying with back-off while the database is
 * away (the heartbeat keeps the claim meanwhile). If the database refuses the run record itself (not a connection
 * problem), the ticket is marked posted without it and the loss is logged: record-keeping never causes a repost.
 */
async function commitAfterPost(
  deps: PipelineDeps,
  mark: Parameters<RunStore['finishTicket']>[0],
  record: NewTriageRun,
  log: Logger,
  fields: object,
): Promise<boolean> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await deps.runs.finishTicket(mark, record);
    } catch (error) {
      if (isDataError(error)) {
        log.error({ ...fields, err: { message: (error as Error).message } }, 'pipeline.run_record_refused');
        return deps.store.markTicketProcessed(mark);
      }
      if (Date.now() - started > COMMIT_RETRY_BUDGET_MS) throw error;
      if (attempt === 0) log.warn({ ...fields, err: { message: (error as Error).message } }, 'pipeline.commit_retry');
      await sleep(COMMIT_RETRY_DELAYS_MS[Math.min(attempt, COMMIT_RETRY_DELAYS_MS.length - 1)]!);
    }
  }
}

interface NotifyFailure {
  deps: PipelineDeps;
  key: TicketKey;
  owner: string;
  limits: { number: number; max: number };
  ticket: NormalizedTicket;
  /** The ticket could not be fetched: `ticket` is a stand-in, not worth keeping. */
  placeholder: boolean;
  result: TriageResult;
  message: DiscordWebhookPayload;
  run: (extra: Partial<NewTriageRun> & Pick<NewTriageRun, 'status'>) => NewTriageRun;
  log: Logger;
  fields: Record<string, unknown>;
}

/** Discord refused or was unreachable: configuration errors end the ticket, anything else is retried. */
async function notifyFailed(error: unknown, ctx: NotifyFailure): Promise<void> {
  const { deps, key, owner, result, run, log, fields } = ctx;
  const discord = error instanceof DiscordError ? error : null;
  const errorClass = discord?.errorClass ?? 'discord_unavailable';
  const detail = `${errorClass}: ${(error as Error).message}`.slice(0, 500);
  const record = run({
    status: 'not_posted',
    ...runDetails(result),
    errorClass,
    errorMessage: detail,
    ticket: ctx.placeholder ? null : ctx.ticket,
    notification: ctx.message,
  });
  const decision = decide({ stage: 'notify', config: errorClass === DISCORD_CONFIG_ERROR }, ctx.limits);
  if (decision.action === 'fail') {
    await deps.runs.finishTicket(
      { ...key, owner, state: 'not_posted', provider: result.ok ? result.provider : null, error: detail },
      record,
    );
    deps.metrics.ticketsProcessed.inc({ status: 'not_posted', provider: 'none' });
    log.error({ ...fields, error_class: errorClass, status: discord?.status ?? null }, 'pipeline.not_posted');
    return; // the job completes: retrying cannot help until a person fixes the configuration (then: triage replay)
  }
  await deps.runs.recordRun(record);
  await deps.store.releaseClaim(key, owner, detail);
  log.warn({ ...fields, error_class: errorClass }, 'pipeline.notify_retry');
  throw new RetryLater(`Discord notification failed (${errorClass}); will retry`);
}

type Enriched = { ok: true; ticket: NormalizedTicket } | { ok: false; error: HubSpotError };

async function enrich(payload: TriageTicketPayload, hubspot: HubSpotClient, signal: AbortSignal): Promise<Enriched> {
  if (payload.ticket) return { ok: true, ticket: payload.ticket };
  try {
    const ticket = await hubspot.fetchTicketForEnrichment(payload.ticket_id, payload.portal_id, {
      receivedAt: payload.received_at,
      requestId: payload.request_id,
      signal,
    });
    return { ok: true, ticket };
  } catch (error) {
    if (error instanceof HubSpotError) return { ok: false, error };
    throw error;
  }
}

function placeholderTicket(payload: TriageTicketPayload): NormalizedTicket {
  return {
    ticket_id: payload.ticket_id,
    subject: '(ticket could not be fetched from HubSpot)',
    body: '',
    from_email: null,
    customer_name: null,
    customer_tier: null,
    product_area: null,
    hubspot_ticket_url: hubspotTicketUrl(payload.portal_id, payload.ticket_id),
    portal_id: payload.portal_id,
    received_at: payload.received_at,
    request_id: payload.request_id,
  };
}

function enrichmentFailure(error: HubSpotError, promptVersion: string): TriageFailure {
  return failureWithoutAttempts(
    'enrichment',
    `HubSpot CRM: ${error.errorClass}: ${error.message}`.slice(0, 500),
    promptVersion,
  );
}

/** Tickets the cost guards touched (decided without an LLM, sent past a spent cloud budget), and security checks. */
function countGuards(metrics: PipelineDeps['metrics'], result: TriageResult): void {
  if (result.ok && result.shortCircuit) metrics.shortCircuits.inc({ kind: result.shortCircuit });
  if (result.fallbackReasons.some((r) => r.reason === 'budget_spent')) metrics.cloudBudgetSkips.inc();
  if (result.ok && result.securityCheck) metrics.securityChecks.inc({ result: result.securityCheck.result });
}

function runDetails(result: TriageResult): Partial<NewTriageRun> {
  const common = {
    fallbackReasons: result.fallbackReasons,
    promptVersion: result.promptVersion,
    sopChunks: result.sopChunks ?? null,
  };
  if (!result.ok) {
    return {
      ...common,
      provider: result.lastProvider,
      errorClass: result.errorClass,
      errorMessage: result.errorMessage,
    };
  }
  return {
    ...common,
    provider: result.provider,
    model: result.model,
    repaired: result.repaired,
    guardInterventions: result.interventions,
    promptTokens: result.usage.promptTokens,
    completionTokens: result.usage.completionTokens,
    output: result.output,
  };
}

/** Renews the claim every third of the lease while the job works, so only a dead worker's claim ever expires. */
function startHeartbeat(deps: PipelineDeps, key: TicketKey, owner: string, log: Logger, fields: object) {
  let failing = false;
  const timer = setInterval(
    () => {
      deps.store.renewClaim(key, owner, deps.leaseMs).then(
        (renewed) => {
          failing = false;
          if (!renewed) log.warn(fields, 'pipeline.heartbeat_lost');
        },
        () => {
          // Once per outage, not once per beat: the commit after a post may retry here for minutes.
          if (!failing) log.warn(fields, 'pipeline.heartbeat_failed');
          failing = true;
        },
      );
    },
    Math.max(50, Math.floor(deps.leaseMs / 3)),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
