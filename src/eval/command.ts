// `triage eval`: loads the labelled set, builds the chain exactly as the service does (cli.ts passes the pipeline's
// createChainFromConfig in, so this room never imports the pipeline), restricted to one provider when asked, runs the
// tickets and prints the report; or, with --compare, diffs two saved reports. Needs no database.
import { readFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { PROVIDER_NAMES } from '../domain/providers.ts';
import type { ProviderName } from '../domain/triage-result.ts';
import type { Logger } from '../observability/logger.ts';
import type { TriageChain } from '../triage/index.ts';
import { compareReports } from './compare.ts';
import { DEFAULT_EVAL_FILE, EvalInputError, loadEvalSet, SPLITS } from './dataset.ts';
import { formatComparison, formatReport } from './format.ts';
import { buildReport, type EvalReport, parseStoredReport } from './report.ts';
import { runTickets } from './run.ts';

export const DEFAULT_CONCURRENCY = 2;
const MAX_CONCURRENCY = 64;
/** Without a terminal (CI logs, pipes) the progress is a line every this many tickets, not a redrawn one. */
const PROGRESS_EVERY = 50;

export interface EvalCommandDeps {
  config: Config;
  logger: Logger;
  createChain: (config: Config, logger: Logger) => Promise<TriageChain>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

type Values = Record<string, string | boolean | undefined>;

class UsageError extends Error {}

interface RunRequest {
  provider: ProviderName | null;
  model: string | null;
  file: string;
  concurrency: number;
  split: 'all' | 'main' | 'heldout';
  json: boolean;
}

export async function runEvalCommand(values: Values, positionals: string[], deps: EvalCommandDeps): Promise<number> {
  try {
    if (typeof values.compare === 'string') {
      if (positionals.length !== 1) throw new UsageError('--compare takes two reports: --compare a.json b.json');
      return await compareCommand(values.compare, positionals[0]!, values.json === true, deps);
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
    return await evalCommand(parseRequest(values), deps);
  } catch (error) {
    if (error instanceof UsageError) {
      deps.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof EvalInputError || error instanceof ReportFileError) {
      deps.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function parseRequest(values: Values): RunRequest {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const provider = text('provider');
  if (provider !== undefined && !(PROVIDER_NAMES as readonly string[]).includes(provider)) {
    throw new UsageError(`--provider must be one of ${PROVIDER_NAMES.join('|')}, got "${provider}"`);
  }
  const model = text('model');
  if (model !== undefined && provider !== 'local' && provider !== 'groq') {
    throw new UsageError('--model needs --provider local or --provider groq (the rules engine has no model)');
  }
  const split = text('split') ?? 'all';
  if (split !== 'all' && !(SPLITS as readonly string[]).includes(split)) {
    throw new UsageError(`--split must be one of all|${SPLITS.join('|')}, got "${split}"`);
  }
  const rawConcurrency = text('concurrency');
  const concurrency = rawConcurrency === undefined ? DEFAULT_CONCURRENCY : Number(rawConcurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got "${rawConcurrency}"`);
  }
  return {
    provider: (provider as ProviderName | undefined) ?? null,
    model: model ?? null,
    file: text('file') ?? DEFAULT_EVAL_FILE,
    concurrency,
    split: split as RunRequest['split'],
    json: values.json === true,
  };
}

/** The configured chain, or only the named provider (with its model replaced when --model is given). */
export function restrictConfig(config: Config, provider: ProviderName | null, model: string | null): Config {
  if (provider === null) return config;
  return {
    ...config,
    providers: [provider],
    local: provider === 'local' && model ? { ...config.local, model } : config.local,
    groq: provider === 'groq' && model ? { ...config.groq, model } : config.groq,
  };
}

async function evalCommand(request: RunRequest, deps: EvalCommandDeps): Promise<number> {
  const set = await loadEvalSet(request.file);
  const tickets = request.split === 'all' ? set.tickets : set.tickets.filter((t) => t.split === request.split);
  if (tickets.length === 0) {
    deps.stderr.write(`${request.file} has no tickets in the ${request.split} split\n`);
    return 1;
  }
  // Per-ticket info lines would bury the progress; warnings (a provider failing) still show.
  const logger = deps.logger.isLevelEnabled('debug')
    ? deps.logger
    : deps.logger.child({ component: 'eval' }, { level: 'warn' });
  const chain = await deps.createChain(restrictConfig(deps.config, request.provider, request.model), logger);
  if (!chain.circuits().some((c) => c.enabled)) {
    deps.stderr.write(
      `no triage provider is enabled for ${request.provider ?? 'the configured chain'} ` +
        '(groq needs GROQ_API_KEY; local needs LOCAL_LLM_URL in production)\n',
    );
    return 1;
  }

  const started = performance.now();
  const outcomes = await runTickets(chain, tickets, {
    concurrency: request.concurrency,
    onProgress: progressWriter(deps.stderr),
  });
  const models = [...new Set(outcomes.map((o) => o.model).filter((m): m is string => m !== null))];
  const report = buildReport(
    {
      file: request.file,
      file_sha256: set.sha256,
      provider: request.provider ?? 'chain',
      providers: chain.circuits().map((c) => c.name),
      model: models.length > 0 ? models.join(', ') : null,
      prompt_version: chain.promptVersion,
      split: request.split,
      concurrency: request.concurrency,
      created_at: new Date().toISOString(),
      duration_ms: Math.round(performance.now() - started),
    },
    outcomes,
  );
  deps.stdout.write(request.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  // A run where no ticket got a recommendation says more about the setup than about the model.
  return report.splits.all.errors === report.tickets.length ? 1 : 0;
}

function progressWriter(stderr: EvalCommandDeps['stderr']) {
  return (done: number, total: number, errors: number) => {
    const text = `eval: ${done}/${total} tickets${errors > 0 ? ` (${errors} without output)` : ''}`;
    if (stderr.isTTY) stderr.write(`\r${text}${done === total ? '\n' : ''}`);
    else if (done % PROGRESS_EVERY === 0 || done === total) stderr.write(`${text}\n`);
  };
}

class ReportFileError extends Error {}

async function readReport(file: string): Promise<EvalReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ReportFileError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return parseStoredReport(text, file);
  } catch (error) {
    throw new ReportFileError((error as Error).message);
  }
}

async function compareCommand(fileA: string, fileB: string, json: boolean, deps: EvalCommandDeps): Promise<number> {
  const [a, b] = await Promise.all([readReport(fileA), readReport(fileB)]);
  const comparison = compareReports(a, b);
  deps.stdout.write(
    json ? `${JSON.stringify(comparison, null, 2)}\n` : formatComparison(comparison, a, b, [fileA, fileB]),
  );
  return comparison.regressions.length > 0 ? 1 : 0;
}
