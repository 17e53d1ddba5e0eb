// `triage serve|worker|migrate|cleanup|stats|replay|export-feedback|doctor|send|eval`, parsed with node:util parseArgs. Validates the environment it
// is given into a Config and hands it down. Nothing runs at import: main.ts calls runCli and owns the process.
import { parseArgs } from 'node:util';
import { type Config, ConfigError, developmentTokenFile, loadConfig } from './config.ts';
import type { ProcessingStats } from './db/ticket-store.ts';
import { IN_PROGRESS_STATES, RUN_OUTCOMES, STATE_GUIDE, SUCCESS_RATE_RULE } from './domain/states.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { DEFAULT_TIMEOUT_MS } from './ops/defaults.ts';
import type { ReplayPlan } from './pipeline/replay.ts';
import type { Service } from './service.ts';
import { VERSION } from './version.ts';

// Each command loads only what it runs (dynamic imports below): `--version`, `eval`, `send` and `doctor` do not pay
// for the HTTP server, the queue and the database layer.

/** A long-running command's service, and the logger its shutdown reports to. */
export interface Started {
  service: Service;
  logger: Logger;
}

const USAGE = `Usage: triage <command> [options]

Commands:
  serve      Run the service: webhook intake, worker and daily cleanup in one process (default)
  worker     Run only queue workers (scale out next to one or more servers)
  migrate    Apply database migrations and exit
  cleanup    Delete idempotency rows and run records older than RETENTION_DAYS
  stats      Print tickets by state (posted, posted_as_failure, not_posted, in progress) and the success rate
  replay     Queue a not_posted ticket again (triage replay <ticket_id>)
  export-feedback  Print the team's dashboard feedback as candidate evaluation-set lines (JSONL)
  doctor     Check the configuration live and print a checklist with fixes (--deep: model self-test)
  send       Post a delivery to the webhook the way HubSpot would (triage send <file|->)
  eval       Measure a provider against the labelled set eval/tickets.jsonl (no database)

Run 'triage <command> --help' for a command's options. Configuration comes from the environment and .env;
see .env.example.`;

const COMMAND_HELP: Record<string, string> = {
  'export-feedback':
    'Usage: triage export-feedback [--days N]\n\nPrints the feedback given on the dashboard in the last N days (default ' +
    "30) as JSONL lines in the evaluation set's format (eval/README.md), labelled by the person's answers. They " +
    'hold real customer text: review and scrub them before adding any to eval/tickets.jsonl.',
  serve:
    'Usage: triage serve\n\nStarts the HTTP server, the queue workers and the cleanup cron. Stops cleanly on SIGTERM/SIGINT.',
  worker: 'Usage: triage worker\n\nStarts only the queue workers (no HTTP server). Stops cleanly on SIGTERM/SIGINT.',
  migrate: 'Usage: triage migrate\n\nApplies the database migrations (safe to run while other replicas start).',
  cleanup:
    'Usage: triage cleanup [--days N]\n\nDeletes records older than N days (default RETENTION_DAYS) and prints the counts as JSON.',
  stats:
    'Usage: triage stats [--hours N] [--json]\n\nPrints the tickets of the last N hours (default 24) by state, and ' +
    `the success rate.\n\nTicket states:\n${stateLines()}\n\n${SUCCESS_RATE_RULE}.`,
  replay:
    'Usage: triage replay <ticket_id> [--portal ID|none] [--force] [--fetch]\n\nQueues the ticket again, with the ' +
    'ticket the last run saw (or, after retention, a fresh HubSpot fetch). The portal is found when exactly one ' +
    'matches the id; otherwise name it with --portal (none: the ticket came without one). A ticket id never seen ' +
    'here is refused unless --fetch is given (the worker then fetches it from HubSpot). A ticket that is already ' +
    'posted or posted_as_failure is only replayed with --force, which posts a second message. What it will do is ' +
    'printed first.',
  doctor:
    'Usage: triage doctor [--deep] [--json] [--timeout-ms N]\n\nChecks each configured dependency live: the database ' +
    '(reachable, migrated), Ollama (reachable, model pulled), the cloud LLM key and model, the Discord webhook, the ' +
    'HubSpot token. Prints one line per check (ok, warn, FAIL, skip) and a fix under each problem; exits 1 when any ' +
    'check failed. Changes nothing: no migration, no database started. Each check gives up after --timeout-ms ' +
    `(default ${DEFAULT_TIMEOUT_MS}). --deep also sends two fixed test tickets to each configured LLM and reports ` +
    'whether the answers were schema-valid without repair, the latency and the verdicts. --json prints the report as JSON.',
  send:
    'Usage: triage send <file|-> [--url URL] [--token TOKEN] [--secret SECRET]\n\nPosts the delivery in the file ' +
    '(- reads stdin; a JSON object, or an array of HubSpot webhook events) to the webhook, by default ' +
    'http://127.0.0.1:$PORT/webhook/hubspot, as X-Webhook-Token (--token) or signed like HubSpot with ' +
    'X-HubSpot-Signature-v3 (--secret: the app client secret; the signed URL uses PUBLIC_URL when set). Without ' +
    'either: HUBSPOT_WEBHOOK_TOKEN, else HUBSPOT_CLIENT_SECRET, else the development token file of `npm start`. ' +
    'Prints the HTTP status (stderr) and the JSON answer (stdout); exits 1 on a non-2xx answer.',
  eval:
    'Usage: triage eval [--provider local|groq|rules] [--model NAME] [--file PATH] [--concurrency N]\n' +
    '                   [--split main|heldout|all] [--json]\n' +
    '       triage eval --compare a.json b.json [--json]\n\nRuns the labelled tickets (default eval/tickets.jsonl) ' +
    'through the triage chain built from the configuration (only --provider when given; --model replaces its model) ' +
    'and prints accuracy, security recall/precision, schema validity, latency, tokens, a confusion matrix and the ' +
    'misses; --json prints the report as JSON. --compare diffs two JSON reports and exits 1 when a metric got worse ' +
    'by more than 2 points. See docs/evaluation.md.',
};

/**
 * Runs one command. A one-shot command resolves to its exit code; `serve` and `worker` resolve to the started
 * service, which the caller runs until a signal.
 */
export async function runCli(argv: string[], env: Record<string, string | undefined>): Promise<number | Started> {
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'serve';
  const rest = argv[0] === command ? argv.slice(1) : argv;
  if (command === 'help' || (argv[0] !== command && (rest.includes('--help') || rest.includes('-h')))) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (rest.includes('--version')) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const help = COMMAND_HELP[command];
  if (!help) {
    process.stderr.write(`Unknown command: ${command}\n\n${USAGE}\n`);
    return 2;
  }

  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: command === 'replay' || command === 'send' || command === 'eval',
      options: {
        portal: { type: 'string' },
        force: { type: 'boolean' },
        fetch: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        days: { type: 'string' },
        hours: { type: 'string' },
        json: { type: 'boolean' },
        deep: { type: 'boolean' },
        'timeout-ms': { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        secret: { type: 'string' },
        provider: { type: 'string' },
        model: { type: 'string' },
        file: { type: 'string' },
        concurrency: { type: 'string' },
        split: { type: 'string' },
        compare: { type: 'string' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${help}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  if (command === 'replay' && positionals.length !== 1) {
    process.stderr.write(`replay takes exactly one ticket id\n\n${help}\n`);
    return 2;
  }
  if (command === 'send' && positionals.length !== 1) {
    process.stderr.write(`send takes exactly one file (or - for stdin)\n\n${help}\n`);
    return 2;
  }

  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }

  if (command === 'doctor' || command === 'send') return runOps(command, values, positionals[0] ?? '-', config);

  const longRunning = command === 'serve' || command === 'worker';
  // One-shot commands print their result on stdout, so their logs go to stderr.
  const logger = createLogger({ level: config.logLevel, destination: longRunning ? process.stdout : process.stderr });
  if (command === 'eval') {
    const [{ runEvalCommand }, { createChainFromConfig }] = await Promise.all([
      import('./eval/command.ts'),
      import('./pipeline/wiring.ts'),
    ]);
    const deps = { config, logger, createChain: createChainFromConfig, stdout: process.stdout, stderr: process.stderr };
    return runEvalCommand(values, positionals, deps);
  }

  if (longRunning) {
    const { startService } = await import('./service.ts');
    const service = await startService(config, logger, { role: command === 'worker' ? 'worker' : 'serve' });
    if (service.url) process.stderr.write(startupBanner(config, service.url));
    return { service, logger };
  }
  return runOneShot(command, values, positionals, config, logger);
}

async function runOneShot(
  command: string,
  values: Record<string, string | boolean | undefined>,
  positionals: string[],
  config: Config,
  logger: Logger,
): Promise<number> {
  const days = parsePositive(values.days, command === 'export-feedback' ? 30 : config.retentionDays);
  const hours = parsePositive(values.hours, 24);
  if (days === null || hours === null) {
    process.stderr.write('--days and --hours take a positive whole number\n');
    return 2;
  }
  const [{ openDatabase, Releasers }, { createTicketStore }, { createRunStore }, { createFeedbackStore }] =
    await Promise.all([
      import('./service.ts'),
      import('./db/ticket-store.ts'),
      import('./db/run-store.ts'),
      import('./db/feedback-store.ts'),
    ]);
  const releasers = new Releasers(logger);
  try {
    // One-shot commands work next to a running `npm start`: they use its embedded server.
    const database = await openDatabase(config, logger, releasers, { attach: true });
    const store = createTicketStore(database.db);
    const runs = createRunStore(database.db);
    if (command === 'migrate') {
      process.stdout.write('migrations applied\n');
    } else if (command === 'cleanup') {
      process.stdout.write(
        `${JSON.stringify({ retention_days: days, deleted: await (await import('./db/retention.ts')).deleteOldRecords({ tickets: store, runs, feedback: createFeedbackStore(database.db) }, days) })}\n`,
      );
    } else if (command === 'export-feedback') {
      const since = new Date(Date.now() - days * 86_400_000);
      const { exportFeedback } = await import('./web/export-feedback.ts');
      const counts = await exportFeedback(createFeedbackStore(database.db), since, (line) =>
        process.stdout.write(line),
      );
      process.stderr.write(
        `${counts.exported} line(s) exported, ${counts.skipped} answer(s) skipped (not useful and no priority named, or the run's copy of the ticket is gone)\n`,
      );
    } else if (command === 'stats') {
      const stats = await store.getProcessingStats(new Date(Date.now() - hours * 3_600_000));
      process.stdout.write(values.json ? `${JSON.stringify(stats)}\n` : formatStats(stats, hours));
    } else if (command === 'replay') {
      const portal = values.portal;
      const request = {
        ticketId: positionals[0]!,
        portalId: typeof portal === 'string' ? (portal === 'none' ? null : portal) : undefined,
        force: values.force === true,
        fetch: values.fetch === true,
      };
      const deps = { tickets: store, runs };
      const { planReplay, replayTicket } = await import('./pipeline/replay.ts');
      const plan = await planReplay(deps, request);
      process.stderr.write(`${describeReplay(request.ticketId, plan)}\n`);
      const outcome = plan.status === 'queue' ? await replayTicket(deps, request, { plan }) : plan;
      const { portalId, ...rest } = outcome as typeof outcome & { portalId?: string | null };
      process.stdout.write(
        `${JSON.stringify({ ticket_id: request.ticketId, portal_id: portalId ?? null, ...rest })}\n`,
      );
      if (outcome.status !== 'queued') return 1;
    }
    return 0;
  } finally {
    await releasers.releaseAll();
  }
}

/** doctor and send (src/ops/): they open no database of their own and log nothing. */
async function runOps(
  command: 'doctor' | 'send',
  values: Record<string, string | boolean | undefined>,
  source: string,
  config: Config,
): Promise<number> {
  const tokenFile = developmentTokenFile(config);
  if (command === 'send') {
    const { runSend } = await import('./ops/send.ts');
    const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
    return runSend(config, {
      source,
      url: text('url'),
      token: text('token'),
      secret: text('secret'),
      tokenFile,
      stdin: async () => Buffer.concat(await process.stdin.toArray()),
      out: (chunk) => process.stdout.write(chunk),
      err: (chunk) => process.stderr.write(chunk),
    });
  }
  const timeoutMs = parsePositive(values['timeout-ms'], DEFAULT_TIMEOUT_MS);
  if (timeoutMs === null) {
    process.stderr.write('--timeout-ms takes a positive whole number\n');
    return 2;
  }
  const { runDoctor } = await import('./ops/doctor.ts');
  return runDoctor(config, {
    deep: values.deep === true,
    json: values.json === true,
    timeoutMs,
    tokenFile,
    write: (chunk) => process.stdout.write(chunk),
  });
}

/** A few plain lines for the person who just ran `npm start`: where to look and what to try (on stderr). */
export function startupBanner(config: Config, url: string): string {
  const tokenFile = developmentTokenFile(config);
  const lines = [`hubspot-triage ${VERSION} is running (${config.env})`, `  Dashboard: ${url}/`];
  lines.push(`  Webhook:   POST ${url}/webhook/hubspot`);
  if (tokenFile) {
    const body = JSON.stringify({
      ticket_id: 'demo-1',
      subject: 'CSV export does nothing',
      content: 'Since this morning the export button on the Reports page does nothing.',
    });
    lines.push(
      `  Token:     ${tokenFile} (send it as X-Webhook-Token)`,
      `  Try it:    curl -sS ${url}/webhook/hubspot -H 'content-type: application/json' \\`,
      `               -H "x-webhook-token: $(cat '${tokenFile}')" -d '${body}'`,
    );
  }
  const notify = config.notify.mode === 'console' || !config.notify.webhookUrl;
  lines.push(
    `  Messages:  ${notify ? 'printed here (set DISCORD_WEBHOOK_URL to post to Discord)' : 'posted to Discord'}`,
  );
  lines.push('  Stop:      Ctrl-C', '');
  return `${lines.join('\n')}\n`;
}

function describeReplay(ticketId: string, plan: ReplayPlan): string {
  const portal = (id: string | null) => (id === null ? 'no portal' : `portal ${id}`);
  switch (plan.status) {
    case 'unknown':
      return `Ticket ${ticketId} was never seen here; nothing queued. Give --fetch to queue it from HubSpot anyway.`;
    case 'ambiguous':
      return `Ticket ${ticketId} is known under several portals (${plan.portals.map((p) => p ?? 'none').join(', ')}); nothing queued. Name one with --portal.`;
    case 'already_posted':
      return `Ticket ${ticketId} (${portal(plan.portalId)}) is already ${plan.state}; nothing queued. --force posts it a second time.`;
    case 'in_progress':
      return `Ticket ${ticketId} (${portal(plan.portalId)}) is triaging right now; nothing queued.`;
    case 'already_queued':
      return `Ticket ${ticketId} (${portal(plan.portalId)}) is already queued; nothing to do.`;
    case 'queue':
      return `Queueing ticket ${ticketId} (${portal(plan.portalId)}) ${plan.from === 'last_run' ? 'with the copy its last run saw' : 'to be fetched from HubSpot'}${plan.previous ? `; it was ${plan.previous}` : ''}.`;
  }
}

function parsePositive(value: string | boolean | undefined, fallback: number): number | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1) return null;
  return Number(value);
}

/** The ticket states, their meanings and what to do, for `triage stats --help` (docs/operations.md has the same table). */
function stateLines(): string {
  return Object.entries(STATE_GUIDE)
    .map(([state, guide]) => `  ${state.padEnd(18)} ${guide.meaning}\n  ${''.padEnd(18)} what to do: ${guide.action}`)
    .join('\n');
}

function formatStats(stats: ProcessingStats, hours: number) {
  const rate = stats.success_rate === null ? 'n/a' : `${(stats.success_rate * 100).toFixed(1)}%`;
  const providers = Object.entries(stats.posted_by_provider)
    .map(([provider, n]) => `${provider}=${n}`)
    .join(' ');
  const inProgress = IN_PROGRESS_STATES.map((state) => `${state} ${stats.states[state]}`).join(', ');
  return [
    `Last ${hours} h (since ${stats.since.toISOString()})`,
    `  tickets:           ${stats.total}`,
    ...RUN_OUTCOMES.map((state) => `  ${`${state}:`.padEnd(19)}${stats.states[state]}`),
    `  in progress:       ${stats.in_progress} (${inProgress})`,
    `  success rate:      ${rate} (posted / ended)`,
    `  duplicates:        ${stats.duplicates}`,
    `  posted by:         ${providers || 'none'}`,
    '',
  ].join('\n');
}
