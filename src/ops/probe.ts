// The small HTTP and masking helpers `triage doctor` shares between its checks: one GET that always consumes the
// body and never follows redirects, a plain reading of why a request failed, and URLs with their secrets hidden.

export interface Probe {
  status: number;
  /** The parsed JSON body, or undefined when it was not JSON. */
  json: unknown;
  ms: number;
}

export async function getJson(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<Probe> {
  const started = performance.now();
  const response = await fetch(url, {
    headers: { accept: 'application/json', ...headers },
    redirect: 'manual',
    signal,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, ms: Math.round(performance.now() - started) };
}

/** Why a request got no HTTP answer at all, in words an operator can act on. */
export function describeRequestError(error: unknown, timeoutMs: number): string {
  const name = (error as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'nothing accepts connections there (connection refused)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'its host name does not resolve';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was dropped before an answer';
    default:
      return cause?.message ?? (error as Error)?.message ?? String(error);
  }
}

/** A URL safe to print: no user password, and for a Discord webhook no token (its last path segment). */
export function maskUrl(url: string, options: { lastSegment?: boolean } = {}): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (options.lastSegment) parsed.pathname = parsed.pathname.replace(/[^/]+\/?$/, '***');
    parsed.search = '';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

/** A secret shown as its length only, so two configurations can be told apart without revealing either. */
export const maskSecret = (secret: string): string => `*** (${secret.length} characters)`;
