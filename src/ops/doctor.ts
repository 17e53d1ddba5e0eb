// `triage doctor [--deep] [--json] [--timeout-ms N]`: runs every check at once, each under its own deadline (a
// dependency that never answers costs the timeout, never a hang), prints a checklist with the fix under each
// problem, and resolves to the exit code: 1 when any check failed, else 0.
import type { Config } from '../config.ts';
import { selfTestChecks } from './deep.ts';
import { type Check, type CheckStatus, doctorChecks, type Outcome } from './doctor-checks.ts';

export interface DoctorOptions {
  deep: boolean;
  json: boolean;
  timeoutMs: number;
  tokenFile: string | null;
  write: (text: string) => void;
}

export interface CheckReport extends Outcome {
  name: string;
  ms: number;
}

export { DEFAULT_TIMEOUT_MS } from './defaults.ts';

export async function runDoctor(config: Config, options: DoctorOptions): Promise<number> {
  const reports = await runChecks(config, options);
  options.write(options.json ? `${JSON.stringify(toJson(config, reports))}\n` : formatChecklist(config, reports));
  return reports.some((report) => report.status === 'fail') ? 1 : 0;
}

export async function runChecks(
  config: Config,
  options: Pick<DoctorOptions, 'deep' | 'timeoutMs' | 'tokenFile'>,
): Promise<CheckReport[]> {
  const reports = await Promise.all(doctorChecks(config).map((check) => runCheck(check, config, options)));
  if (!options.deep) return reports;
  // A model is only self-tested once its basic check passed; the failure above already says why not.
  const basic = (name: string) => reports.find((report) => report.name === name.replace('self-test ', ''));
  const deep = await Promise.all(
    selfTestChecks(config).map((check) => {
      const prerequisite = basic(check.name);
      if (prerequisite && prerequisite.status !== 'ok') {
        const outcome: Outcome = { status: 'skipped', detail: `the ${prerequisite.name} check did not pass` };
        return { name: check.name, ms: 0, ...outcome };
      }
      // The model calls have the providers' own timeouts (LOCAL_LLM_TIMEOUT_MS, GROQ_TIMEOUT_MS), as in the service.
      return runCheck(check, config, { ...options, timeoutMs: Number.POSITIVE_INFINITY });
    }),
  );
  return [...reports, ...deep];
}

/**
 * Runs one check under its deadline: at the deadline the signal tells it to stop (it then reports what timed out
 * in its own words), and a moment later the race answers for it even if it did not listen.
 */
export async function runCheck(
  check: Check,
  config: Config,
  options: Pick<DoctorOptions, 'timeoutMs' | 'tokenFile'>,
): Promise<CheckReport> {
  const started = performance.now();
  const controller = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const deadline = new Promise<Outcome>((resolve) => {
    if (!Number.isFinite(options.timeoutMs)) return;
    timers.push(
      setTimeout(() => controller.abort(new DOMException('check timed out', 'TimeoutError')), options.timeoutMs),
      setTimeout(
        () =>
          resolve({
            status: 'fail',
            detail: `no answer within ${options.timeoutMs} ms`,
            fix: 'Check that this dependency is reachable from here (or raise --timeout-ms).',
          }),
        options.timeoutMs + GRACE_MS,
      ),
    );
  });
  try {
    const outcome = await Promise.race([
      check
        .run({ config, signal: controller.signal, timeoutMs: options.timeoutMs, tokenFile: options.tokenFile })
        .catch(
          (error: unknown): Outcome => ({
            status: 'fail',
            detail: `the check itself failed: ${(error as Error).message}`,
            fix: 'Report this as a bug, with the line above.',
          }),
        ),
      deadline,
    ]);
    return { name: check.name, ms: Math.round(performance.now() - started), ...outcome };
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}

/** How long a check may take to wrap up after its signal aborted before the runner answers for it. */
const GRACE_MS = 250;

const LABELS: Record<CheckStatus, string> = { ok: 'ok', warn: 'warn', fail: 'FAIL', skipped: 'skip' };

export function formatChecklist(config: Config, reports: CheckReport[]): string {
  const width = Math.max(...reports.map((report) => report.name.length));
  const lines = [`hubspot-triage doctor (${config.env})`];
  for (const report of reports) {
    lines.push(`  ${LABELS[report.status].padEnd(4)}  ${report.name.padEnd(width)}  ${report.detail}`);
    const indent = ' '.repeat(width + 10);
    for (const line of report.lines ?? []) lines.push(`${indent}${line}`);
    if (report.fix) lines.push(`${indent}fix: ${report.fix}`);
  }
  const count = (status: CheckStatus) => reports.filter((report) => report.status === status).length;
  lines.push(
    `${count('fail')} failed, ${count('warn')} warning(s), ${count('ok')} ok, ${count('skipped')} skipped`,
    '',
  );
  return lines.join('\n');
}

function toJson(config: Config, reports: CheckReport[]) {
  const failed = reports.some((report) => report.status === 'fail');
  return {
    env: config.env,
    status: failed ? 'fail' : reports.some((report) => report.status === 'warn') ? 'warn' : 'ok',
    checks: reports.map(({ name, status, detail, fix, lines, data, ms }) => ({
      name,
      status,
      detail,
      ...(fix ? { fix } : {}),
      ...(lines ? { lines } : {}),
      ...(data ? { report: data } : {}),
      ms,
    })),
  };
}
