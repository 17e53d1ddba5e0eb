// `triage send <file|-> [--url U] [--token T] [--secret S]`: posts one delivery body to the webhook the way HubSpot
// would: the bytes exactly as read (signatures are over them), with a shared token or a v3 signature computed by the
// same function the server checks with. Prints the status on stderr and the JSON answer on stdout; non-2xx → 1.
import { readFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { publicRequestUri, signatureV3 } from '../intake/auth.ts';
import { describeRequestError } from './probe.ts';

export interface SendOptions {
  /** A file path, or '-' for stdin. */
  source: string;
  url?: string;
  token?: string;
  secret?: string;
  /** The development token file (null when webhook authentication is configured). */
  tokenFile: string | null;
  stdin: () => Promise<Buffer>;
  out: (text: string) => void;
  err: (text: string) => void;
  now?: () => number;
}

/** HubSpot's workflow webhooks wait 30 s for an answer; so does this. */
const TIMEOUT_MS = 30_000;

export async function runSend(config: Config, options: SendOptions): Promise<number> {
  let body: Buffer;
  try {
    body = options.source === '-' ? await options.stdin() : await readFile(options.source);
  } catch (error) {
    options.err(`Cannot read ${options.source}: ${(error as Error).message}\n`);
    return 1;
  }
  const problem = bodyProblem(body);
  if (problem) {
    options.err(`${options.source === '-' ? 'stdin' : options.source}: ${problem}\n`);
    return 1;
  }
  const url = options.url ?? `http://127.0.0.1:${config.port}/webhook/hubspot`;
  if (!URL.canParse(url)) {
    options.err(`--url: not a URL: ${url}\n`);
    return 2;
  }
  const credentials = await credentialsFor(config, options);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credentials.kind === 'token') headers['x-webhook-token'] = credentials.token;
  if (credentials.kind === 'secret') {
    const timestamp = String((options.now ?? Date.now)());
    // HubSpot signs the URL it calls; behind a proxy that is PUBLIC_URL followed by the path the service sees.
    const target = new URL(url);
    const pathAndQuery = `${target.pathname}${target.search}`;
    const uri = config.webhook.publicUrl ? publicRequestUri(config.webhook.publicUrl, pathAndQuery) : url;
    headers['x-hubspot-signature-v3'] = signatureV3(credentials.secret, 'POST', uri, body, timestamp);
    headers['x-hubspot-request-timestamp'] = timestamp;
  }
  options.err(`POST ${url} (${describeCredentials(credentials)}, ${body.length} bytes)\n`);

  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    const local = new URL(url).hostname === '127.0.0.1' || new URL(url).hostname === 'localhost';
    const hint = local ? ' Start the service (npm start), or give --url.' : '';
    options.err(`No answer from ${url}: ${describeRequestError(error, TIMEOUT_MS)}.${hint}\n`);
    return 1;
  }
  const text = await response.text();
  options.err(`HTTP ${response.status} ${response.statusText}\n`);
  options.out(text.endsWith('\n') ? text : `${text}\n`);
  return response.ok ? 0 : 1;
}

type Credentials =
  | { kind: 'token'; token: string; from: string }
  | { kind: 'secret'; secret: string; from: string }
  | { kind: 'none' };

/**
 * The options win; without them the environment the service reads: HUBSPOT_WEBHOOK_TOKEN, then
 * HUBSPOT_CLIENT_SECRET (signing), then the development token file a running `npm start` created.
 */
async function credentialsFor(config: Config, options: SendOptions): Promise<Credentials> {
  if (options.secret) return { kind: 'secret', secret: options.secret, from: '--secret' };
  if (options.token) return { kind: 'token', token: options.token, from: '--token' };
  if (config.webhook.token) return { kind: 'token', token: config.webhook.token, from: 'HUBSPOT_WEBHOOK_TOKEN' };
  if (config.webhook.clientSecret) {
    return { kind: 'secret', secret: config.webhook.clientSecret, from: 'HUBSPOT_CLIENT_SECRET' };
  }
  if (options.tokenFile) {
    const token = await readFile(options.tokenFile, 'utf8').catch(() => null);
    if (token?.trim()) return { kind: 'token', token: token.trim(), from: options.tokenFile };
  }
  return { kind: 'none' };
}

function describeCredentials(credentials: Credentials): string {
  switch (credentials.kind) {
    case 'token':
      return `X-Webhook-Token from ${credentials.from}`;
    case 'secret':
      return `X-HubSpot-Signature-v3 with the secret from ${credentials.from}`;
    case 'none':
      return 'no credentials: expect 401 (give --token or --secret)';
  }
}

/** Only a JSON object or array is a delivery; anything else is refused here rather than by the server. */
function bodyProblem(body: Buffer): string | null {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (typeof json !== 'object' || json === null) {
    return 'a delivery is a JSON object (one ticket) or an array (HubSpot webhook events)';
  }
  return null;
}
