// Turns any accepted delivery (CONTRACTS §1.2) into NormalizedTicket (§1.3) or a list of ticket-creation events,
// or a FieldError for the 400 response. Total over arbitrary JSON: parseDelivery never throws. Unknown fields are
// ignored; text is trimmed but otherwise kept byte-for-byte (HTML, emoji, any Unicode).

import {
  codePointLength,
  type DeliveryShape,
  detectShape,
  type FieldError,
  fieldError,
  isObject,
  type JsonObject,
  own,
  type Read,
  readFirst,
  readId,
  readText,
} from './shapes.ts';
import { storableValue } from './text.ts';
import { hubspotTicketUrl, type NormalizedTicket } from './ticket.ts';

export type { DeliveryShape, FieldError } from './shapes.ts';

export const MAX_SUBJECT_CHARS = 500;
export const MAX_BODY_CHARS = 100_000;

export interface IntakeContext {
  /** ISO-8601 time the delivery was received. */
  receivedAt: string;
  /** From sanitizeRequestId(). */
  requestId: string;
}

export interface TicketCreationEvent {
  ticket_id: string;
  portal_id: string | null;
  /** ISO-8601 from the event's `occurredAt` (ms epoch); null when absent or unusable. */
  occurred_at: string | null;
  event_id: string | null;
}

export type DeliveryResult =
  | { kind: 'ticket'; shape: Exclude<DeliveryShape, 'events' | 'single_event'>; ticket: NormalizedTicket }
  | {
      kind: 'events';
      shape: 'events' | 'single_event';
      /** Distinct ticket creations in delivery order (first occurrence kept). */
      creations: TicketCreationEvent[];
      /** Events of any other type (property changes, contacts, other objects): acknowledged and dropped. */
      ignored: number;
      /** Repeated creations of a ticket already in this batch. */
      duplicates: number;
    }
  | { kind: 'error'; error: FieldError };

export function parseDelivery(json: unknown, ctx: IntakeContext): DeliveryResult {
  const shape = detectShape(json);
  switch (shape) {
    case null:
      return { kind: 'error', error: fieldError('$', 'invalid_type', 'body must be a JSON object or array') };
    case 'events':
      return parseEvents(json as unknown[], 'events');
    case 'single_event':
      return parseEvents([json], 'single_event');
    case 'spec':
    case 'workflow_object': {
      const read = normalizeTicketObject(json as JsonObject, ctx);
      return read.ok ? { kind: 'ticket', shape, ticket: read.value } : { kind: 'error', error: read.error };
    }
    case 'workflow_flat': {
      const read = normalizeFlat(json as JsonObject, ctx);
      return read.ok ? { kind: 'ticket', shape, ticket: read.value } : { kind: 'error', error: read.error };
    }
  }
}

/** A CRM v3 object as GET /crm/v3/objects/{type}/{id} returns it (only what we read). */
export interface CrmObject {
  id: string;
  properties: Record<string, string | null>;
}

/**
 * The worker's enrichment step: a CRM ticket and its first associated contact (or null) become a NormalizedTicket.
 * Field errors use the CRM body's paths (`properties.content`). Tier and product area are read from the ticket's
 * properties when the client was asked to fetch them.
 */
export function normalizeCrmTicket(
  ticket: CrmObject,
  contact: CrmObject | null,
  ctx: IntakeContext & { portalId: string | null },
): Read<NormalizedTicket> {
  const asDelivery: JsonObject = {
    id: ticket.id,
    portalId: ctx.portalId,
    properties: ticket.properties,
    associatedContacts: contact ? [contact.properties] : [],
  };
  return normalizeTicketObject(asDelivery, ctx);
}

/** Spec format and workflow "all properties" body: the CRM-like object with a `properties` map. */
function normalizeTicketObject(json: JsonObject, ctx: IntakeContext): Read<NormalizedTicket> {
  const properties = own(json, 'properties');
  if (!isObject(properties)) return fail('properties', 'invalid_type', 'properties must be an object');
  const custom = own(json, 'customProperties');
  if (custom !== undefined && custom !== null && !isObject(custom)) return fail('customProperties', 'invalid_type');
  const customProps: JsonObject = isObject(custom) ? custom : {};

  const id = readFirst(
    [
      ['properties.hs_ticket_id', own(properties, 'hs_ticket_id')],
      ['objectId', own(json, 'objectId')],
      ['id', own(json, 'id')],
      ['properties.hs_object_id', own(properties, 'hs_object_id')],
    ],
    readId,
  );
  if (!id.ok) return id;
  if (id.value === null) {
    return fail(
      'objectId',
      'required',
      'a ticket id is required (properties.hs_ticket_id, objectId, id or properties.hs_object_id)',
    );
  }

  const contact = readFirstContact(own(json, 'associatedContacts'));
  if (!contact.ok) return contact;

  const fields = readFields({
    subject: [['properties.subject', own(properties, 'subject')]],
    body: [['properties.content', own(properties, 'content')]],
    email: contact.value.email,
    firstname: contact.value.firstname,
    lastname: contact.value.lastname,
    customerName: [],
    tier: [
      ['customProperties.customer_tier', own(customProps, 'customer_tier')],
      ['properties.customer_tier', own(properties, 'customer_tier')],
    ],
    productArea: [
      ['customProperties.product_area', own(customProps, 'product_area')],
      ['properties.product_area', own(properties, 'product_area')],
    ],
    portalId: [['portalId', own(json, 'portalId')]],
  });
  if (!fields.ok) return fields;
  return { ok: true, value: buildTicket(id.value.value, fields.value, ctx) };
}

/** Workflow customized body: flat keys the admin chose, accepted under the obvious aliases. */
function normalizeFlat(json: JsonObject, ctx: IntakeContext): Read<NormalizedTicket> {
  const id = readFirst(pickFrom(json, 'ticket_id', 'hs_ticket_id', 'hs_object_id', 'objectId', 'id'), readId);
  if (!id.ok) return id;
  if (id.value === null) {
    return fail(
      'ticket_id',
      'required',
      'a ticket id is required (ticket_id, hs_ticket_id, hs_object_id, objectId or id)',
    );
  }
  const fields = readFields({
    subject: pickFrom(json, 'subject'),
    body: pickFrom(json, 'content', 'body'),
    email: pickFrom(json, 'email', 'from_email'),
    firstname: pickFrom(json, 'firstname'),
    lastname: pickFrom(json, 'lastname'),
    customerName: pickFrom(json, 'customer_name'),
    tier: pickFrom(json, 'customer_tier'),
    productArea: pickFrom(json, 'product_area'),
    portalId: pickFrom(json, 'portalId', 'portal_id'),
  });
  if (!fields.ok) return fields;
  return { ok: true, value: buildTicket(id.value.value, fields.value, ctx) };
}

type Candidates = ReadonlyArray<readonly [string, unknown]>;

/** The flat body's value under each alias, paired with the alias as its path. */
function pickFrom(json: JsonObject, ...keys: string[]): Candidates {
  return keys.map((key) => [key, own(json, key)] as const);
}

interface FieldSources {
  subject: Candidates;
  body: Candidates;
  email: Candidates;
  firstname: Candidates;
  lastname: Candidates;
  /** A ready-made full name; wins over firstname/lastname when present. */
  customerName: Candidates;
  tier: Candidates;
  productArea: Candidates;
  portalId: Candidates;
}

interface Fields {
  subject: string;
  body: string;
  email: string | null;
  customerName: string | null;
  tier: string | null;
  productArea: string | null;
  portalId: string | null;
}

function readFields(sources: FieldSources): Read<Fields> {
  const subject = readRequiredText(sources.subject, MAX_SUBJECT_CHARS);
  if (!subject.ok) return subject;
  const body = readRequiredText(sources.body, MAX_BODY_CHARS);
  if (!body.ok) return body;
  const optional: Record<'email' | 'firstname' | 'lastname' | 'customerName' | 'tier' | 'productArea', string | null> =
    { email: null, firstname: null, lastname: null, customerName: null, tier: null, productArea: null };
  for (const key of Object.keys(optional) as Array<keyof typeof optional>) {
    const read = readFirst(sources[key], readText);
    if (!read.ok) return read;
    optional[key] = read.value?.value ?? null;
  }
  const portal = readFirst(sources.portalId, readId);
  if (!portal.ok) return portal;
  const joinedName = [optional.firstname, optional.lastname].filter((part) => part !== null).join(' ');
  return {
    ok: true,
    value: {
      subject: subject.value,
      body: body.value,
      email: optional.email,
      customerName: optional.customerName ?? (joinedName === '' ? null : joinedName),
      tier: optional.tier === null ? null : optional.tier.toLowerCase(),
      productArea: optional.productArea,
      portalId: portal.value?.value ?? null,
    },
  };
}

function readRequiredText(candidates: Candidates, maxChars: number): Read<string> {
  const read = readFirst(candidates, readText);
  if (!read.ok) return read;
  const primaryPath = candidates[0]?.[0] ?? '$';
  if (read.value === null) return fail(primaryPath, 'required');
  if (codePointLength(read.value.value) > maxChars) {
    return fail(read.value.path, 'too_long', `${read.value.path} exceeds ${maxChars} characters`);
  }
  return { ok: true, value: read.value.value };
}

interface ContactSources {
  email: Candidates;
  firstname: Candidates;
  lastname: Candidates;
}

/** The first associated contact, flat or itself CRM-shaped (`{id, properties: {...}}`); absent means all nulls. */
function readFirstContact(value: unknown): Read<ContactSources> {
  const none: ContactSources = { email: [], firstname: [], lastname: [] };
  if (value === undefined || value === null) return { ok: true, value: none };
  if (!Array.isArray(value)) return fail('associatedContacts', 'invalid_type', 'associatedContacts must be an array');
  if (value.length === 0) return { ok: true, value: none };
  const first: unknown = value[0];
  if (!isObject(first)) return fail('associatedContacts[0]', 'invalid_type');
  const nested = own(first, 'properties');
  const [source, prefix] = isObject(nested)
    ? [nested, 'associatedContacts[0].properties']
    : [first, 'associatedContacts[0]'];
  const at = (key: string): Candidates => [[`${prefix}.${key}`, own(source, key)]];
  return { ok: true, value: { email: at('email'), firstname: at('firstname'), lastname: at('lastname') } };
}

/** The normalized ticket, its text made storable once here (NUL and lone surrogates replaced, src/domain/text.ts). */
function buildTicket(ticketId: string, fields: Fields, ctx: IntakeContext): NormalizedTicket {
  return storableValue({
    ticket_id: ticketId,
    subject: fields.subject,
    body: fields.body,
    from_email: fields.email,
    customer_name: fields.customerName,
    customer_tier: fields.tier,
    product_area: fields.productArea,
    hubspot_ticket_url: hubspotTicketUrl(fields.portalId, ticketId),
    portal_id: fields.portalId,
    received_at: ctx.receivedAt,
    request_id: ctx.requestId,
  });
}

/**
 * A Webhooks API batch. Every element must be an object with a subscriptionType; creations (`ticket.creation`,
 * or `object.creation` of objectTypeId 0-5) also need an objectId. One bad element rejects the batch: HubSpot
 * redelivers the whole batch anyway, so accepting part of it would only hide the problem.
 */
function parseEvents(events: unknown[], shape: 'events' | 'single_event'): DeliveryResult {
  const creations: TicketCreationEvent[] = [];
  const seen = new Set<string>();
  let ignored = 0;
  let duplicates = 0;
  for (let i = 0; i < events.length; i++) {
    const at = shape === 'events' ? `[${i}]` : '$';
    const event = events[i];
    if (!isObject(event)) return errorResult(fieldError(at, 'invalid_type', `${at} must be an event object`));
    const type = own(event, 'subscriptionType');
    if (type === undefined || type === null) return errorResult(fieldError(`${at}.subscriptionType`, 'required'));
    if (typeof type !== 'string') return errorResult(fieldError(`${at}.subscriptionType`, 'invalid_type'));
    if (!isTicketCreation(type, own(event, 'objectTypeId'))) {
      ignored++;
      continue;
    }
    const id = readId(own(event, 'objectId'), `${at}.objectId`);
    if (!id.ok) return errorResult(id.error);
    if (id.value === null) return errorResult(fieldError(`${at}.objectId`, 'required'));
    const portal = readId(own(event, 'portalId'), `${at}.portalId`);
    if (!portal.ok) return errorResult(portal.error);
    const key = `${portal.value ?? ''}/${id.value}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    const eventId = readId(own(event, 'eventId'), `${at}.eventId`);
    creations.push({
      ticket_id: id.value,
      portal_id: portal.value,
      occurred_at: toIsoTime(own(event, 'occurredAt')),
      // An odd eventId is informational only; it must not cost us the ticket.
      event_id: eventId.ok ? eventId.value : null,
    });
  }
  return { kind: 'events', shape, creations, ignored, duplicates };
}

function isTicketCreation(type: string, objectTypeId: unknown): boolean {
  return type === 'ticket.creation' || (type === 'object.creation' && objectTypeId === '0-5');
}

function toIsoTime(value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function fail(field: string, reason: FieldError['reason'], message?: string): { ok: false; error: FieldError } {
  return { ok: false, error: fieldError(field, reason, message) };
}

function errorResult(error: FieldError): DeliveryResult {
  return { kind: 'error', error };
}
