// The delivery driver: HubSpot as the service sees it. It sends distinct tickets (spec and flat workflow bodies) and
// re-deliveries of tickets already sent, at a bounded rate for a bounded time, and retries every non-2xx answer or
// connection error with back-off for a bounded number of tries, as HubSpot does. A ticket is acknowledged once any
// of its deliveries got a 2xx: from then on the service owns it.
import { setMaxListeners } from 'node:events';
import { PORTAL_ID, specDelivery, WEBHOOK_TOKEN } from '../../helpers/pipeline.ts';

export interface DeliveryRecord {
  id: string;
  redelivery: boolean;
  firstSentAt: number;
  ackAt: number | null;
  /** Every answer in order: an HTTP status, or the error's name for connection errors and timeouts. */
  answers: (number | string)[];
}

export interface DriverResult {
  /** Distinct ticket ids, in the order they were first sent. */
  ids: string[];
  deliveries: DeliveryRecord[];
  acknowledged: Set<string>;
  /** Ticket ids none of whose deliveries got a 2xx within the tries. */
  unacknowledged: Set<string>;
  /** Count of answers per status (and per error name). */
  answers: Record<string, number>;
}

export interface DriverOptions {
  /** Where to deliver; several URLs are used in turn (a load balancer). Read at every try (restarts may move it). */
  urls: () => string[];
  /** First numeric ticket id; ids count up from it. */
  firstId: number;
  ratePerSecond: number;
  durationMs: number;
  /** Every n-th send is a re-delivery of a ticket already sent (default 4; 0 = none). */
  redeliverEvery?: number;
  maxTries?: number;
  timeoutMs?: number;
  /** The body for a ticket id; default: spec format for even ids, flat workflow body for odd ones. */
  body?: (id: string) => unknown;
}

export interface Driver {
  /** Resolves when the sending time is over and every delivery has settled (acknowledged or out of tries). */
  done: Promise<DriverResult>;
  /** Stops sending new deliveries now (deliveries in flight still retry). */
  stopSending(): void;
  /** Abandons everything (clean-up after a failed scenario). */
  abort(): void;
  /** Acknowledged so far. */
  acknowledged: Set<string>;
}

/** The flat body a HubSpot workflow sends with a customized payload (README "Try it"). */
export function flatDelivery(id: string, options: { subject?: string; content?: string } = {}) {
  return {
    ticket_id: id,
    subject: options.subject ?? `Flat subject ${id}`,
    content: options.content ?? `Flat body of ticket ${id}: the CSV export returns an error.`,
    email: 'ana@example.com',
    customer_tier: 'enterprise',
  };
}

export const defaultBody = (id: string) => (Number(id) % 2 === 0 ? specDelivery(id) : flatDelivery(id));

/** The portal a ticket's job is keyed by, given how defaultBody delivers it. */
export const portalOf = (id: string): string | null => (Number(id) % 2 === 0 ? String(PORTAL_ID) : null);

/** Sends one body until a 2xx or the tries run out; HubSpot's back-off, compressed for a test. */
export async function deliver(
  record: DeliveryRecord,
  body: unknown,
  urls: () => string[],
  options: { maxTries: number; timeoutMs: number; signal: AbortSignal; turn: () => number },
): Promise<void> {
  const text = JSON.stringify(body);
  for (let attempt = 1; attempt <= options.maxTries && !options.signal.aborted; attempt++) {
    const list = urls();
    const url = list[options.turn() % list.length];
    try {
      const response = await fetch(`${url}/webhook/hubspot`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-token': WEBHOOK_TOKEN },
        body: text,
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
      });
      await response.arrayBuffer();
      record.answers.push(response.status);
      if (response.status >= 200 && response.status < 300) {
        record.ackAt = performance.now();
        return;
      }
    } catch (error) {
      record.answers.push((error as Error).name === 'TypeError' ? 'connection_error' : (error as Error).name);
    }
    if (attempt === options.maxTries) return;
    const backoff = Math.min(200 * 2 ** (attempt - 1), 3000) * (0.75 + Math.random() * 0.5);
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        options.signal.removeEventListener('abort', onAbort);
        resolve();
      }, backoff);
      options.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export function startDriver(options: DriverOptions): Driver {
  const maxTries = options.maxTries ?? 12;
  const timeoutMs = options.timeoutMs ?? 5000;
  const redeliverEvery = options.redeliverEvery ?? 4;
  const body = options.body ?? defaultBody;
  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // one listener per delivery in flight
  const ids: string[] = [];
  const deliveries: DeliveryRecord[] = [];
  const inFlight: Promise<void>[] = [];
  const acknowledged = new Set<string>();
  let sends = 0;
  let turn = 0;
  let nextId = options.firstId;

  const sendOne = () => {
    sends += 1;
    const redelivery = redeliverEvery > 0 && sends % redeliverEvery === 0 && ids.length > 0;
    const id = redelivery ? ids[Math.floor(Math.random() * ids.length)]! : String(nextId++);
    if (!redelivery) ids.push(id);
    const record: DeliveryRecord = { id, redelivery, firstSentAt: performance.now(), ackAt: null, answers: [] };
    deliveries.push(record);
    inFlight.push(
      deliver(record, body(id), options.urls, {
        maxTries,
        timeoutMs,
        signal: abort.signal,
        turn: () => turn++,
      }).then(() => {
        if (record.ackAt !== null) acknowledged.add(id);
      }),
    );
  };

  let stopSendingNow: () => void = () => {};
  const sending = new Promise<void>((resolve) => {
    const timer = setInterval(sendOne, 1000 / options.ratePerSecond);
    const end = setTimeout(() => stopSendingNow(), options.durationMs);
    stopSendingNow = () => {
      clearInterval(timer);
      clearTimeout(end);
      resolve();
    };
    abort.signal.addEventListener('abort', () => stopSendingNow());
  });

  const done = (async (): Promise<DriverResult> => {
    await sending;
    await Promise.all(inFlight);
    const answers: Record<string, number> = {};
    for (const d of deliveries) for (const a of d.answers) answers[String(a)] = (answers[String(a)] ?? 0) + 1;
    return {
      ids,
      deliveries,
      acknowledged,
      unacknowledged: new Set(ids.filter((id) => !acknowledged.has(id))),
      answers,
    };
  })();

  return { done, stopSending: () => stopSendingNow(), abort: () => abort.abort(), acknowledged };
}

/** "200:103,503:23": the answers a run got, for the result line. */
export const answerSummary = (answers: Record<string, number>) =>
  Object.entries(answers)
    .map(([k, v]) => `${k}:${v}`)
    .join(',');
