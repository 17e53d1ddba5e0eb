// PostgreSQL errors by cause: the data's own (SQLSTATE classes 22 data exception and 23 integrity constraint), which
// retrying cannot fix, as opposed to the database or the connection, which may come back.
import { OperatorError } from '../domain/operator-error.ts';

export function isDataError(error: unknown): boolean {
  const code =
    (error as { code?: unknown } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Why the configured database cannot be used, as the operator should read it: the variable, where it points (never
 * the password) and the likely fix.
 */
export function databaseUnreachable(url: string, error: unknown, fromEnv: boolean): OperatorError {
  const { problem, fix } = describeDatabaseFailure(url, error, fromEnv);
  return new OperatorError(`${problem}. ${fix}`, { cause: error });
}

/** The same diagnosis in two parts, what is wrong and what to do, for a checklist (`triage doctor`). */
export function describeDatabaseFailure(
  url: string,
  error: unknown,
  fromEnv: boolean,
): { problem: string; fix: string } {
  const where = describeUrl(url);
  const source = fromEnv ? `DATABASE_URL (${where})` : `the embedded PostgreSQL (${where})`;
  const code = (error as { code?: string })?.code;
  const message = (error as Error)?.message ?? String(error);
  let reason: [string, string];
  if (code === 'ECONNREFUSED')
    reason = ['nothing accepts connections there', 'Start PostgreSQL, or fix the host and port'];
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reason = ['its host name does not resolve', 'Fix the host'];
  else if (code === '3D000') reason = [message, 'Create it (createdb) or name an existing database in the URL'];
  else if (code === '28P01' || code === '28000') reason = [message, 'Fix the user name or password in the URL'];
  else if (/timeout/i.test(message)) reason = ['no answer in time', 'Check that the host is reachable from here'];
  else if (/terminated unexpectedly|unexpected/i.test(message)) {
    reason = ['the server there does not speak the PostgreSQL protocol (an HTTP port?)', 'Fix the port'];
  } else reason = [message, 'Check the server and the URL'];
  const unset = fromEnv ? ' Unset DATABASE_URL to use the embedded PostgreSQL in development.' : '';
  return { problem: `Cannot use ${source}: ${reason[0]}`, fix: `${reason[1]}.${unset}` };
}

/** postgres://user@host:port/database, without the password or query. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'an unparsable URL';
  }
}
