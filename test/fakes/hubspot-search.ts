// The fake's POST /crm/v3/objects/tickets/search: createdate comparisons (AND within a filter group, OR across
// groups), a createdate sort, `limit`/`after` offset paging with string cursors, HubSpot's 400 VALIDATION_ERROR body
// for a request it would refuse (and for filters this fake does not model, so a test never passes by accident).
import type { FakeTicket } from './hubspot.ts';

/** createdate of every fake object that sets none (the fake's GET routes use it too). */
export const CREATED = '2026-11-01T10:00:00.000Z';

export interface SearchAnswer {
  status: number;
  body: unknown;
}

const OPERATORS = new Set(['GT', 'GTE', 'LT', 'LTE', 'EQ']);
/** What HubSpot returns when a search names no properties. */
const DEFAULT_PROPERTIES = ['createdate', 'hs_lastmodifieddate', 'hs_object_id', 'hs_pipeline', 'hs_pipeline_stage'];
const MAX_LIMIT = 200;

type Filter = { operator: string; ms: number };

export function searchTickets(text: string, tickets: FakeTicket[], maxResults: number): SearchAnswer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return invalid('Invalid input JSON on line 1');
  }
  if (!isObject(json)) return invalid('Invalid input JSON: expected an object');

  const groups: Filter[][] = [];
  const rawGroups = json.filterGroups ?? [];
  if (!Array.isArray(rawGroups)) return invalid('filterGroups must be an array');
  for (const group of rawGroups) {
    if (!isObject(group) || !Array.isArray(group.filters)) return invalid('each filter group needs a filters array');
    const filters: Filter[] = [];
    for (const filter of group.filters) {
      if (!isObject(filter)) return invalid('a filter must be an object');
      const { propertyName, operator, value } = filter;
      if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
        return invalid(`Invalid operator ${JSON.stringify(operator)}`);
      }
      if (propertyName !== 'createdate') return invalid('the fake searches on createdate only');
      const ms = typeof value === 'string' ? toMs(value) : Number.NaN;
      if (!Number.isFinite(ms)) return invalid(`${JSON.stringify(value)} is not a valid datetime for createdate`);
      filters.push({ operator, ms });
    }
    groups.push(filters);
  }

  let direction = 1;
  const sorts = json.sorts ?? [];
  if (!Array.isArray(sorts) || sorts.length > 1) return invalid('sorts must be an array of at most one sort');
  const sort = sorts[0];
  if (sort !== undefined) {
    if (!isObject(sort) || sort.propertyName !== 'createdate') return invalid('the fake sorts on createdate only');
    if (sort.direction !== 'ASCENDING' && sort.direction !== 'DESCENDING') return invalid('Invalid sort direction');
    direction = sort.direction === 'ASCENDING' ? 1 : -1;
  }

  const properties = json.properties ?? DEFAULT_PROPERTIES;
  if (!Array.isArray(properties) || !properties.every((name) => typeof name === 'string')) {
    return invalid('properties must be an array of strings');
  }
  const limit = json.limit ?? 10;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return invalid(`limit must be between 1 and ${MAX_LIMIT}`);
  }
  const after = json.after ?? '0';
  if (typeof after !== 'string' || !/^\d+$/.test(after)) return invalid('after must be a numeric string cursor');
  const offset = Number(after);
  if (offset + limit > maxResults) return invalid(`Paging is limited to ${maxResults} results`);

  const createdMs = (ticket: FakeTicket) => toMs(ticket.properties.createdate ?? CREATED);
  const matches = tickets
    .filter((ticket) => groups.length === 0 || groups.some((group) => group.every((f) => test(createdMs(ticket), f))))
    .sort((a, b) => direction * (createdMs(a) - createdMs(b)) || compareIds(a.id, b.id));
  const page = matches.slice(offset, offset + limit).map((ticket) => {
    const props = pickProperties(ticket.id, ticket.properties, properties);
    return {
      id: ticket.id,
      properties: props,
      createdAt: new Date(createdMs(ticket)).toISOString(),
      updatedAt: props.hs_lastmodifieddate,
      archived: false,
    };
  });
  const body: Record<string, unknown> = { total: matches.length, results: page };
  if (offset + limit < matches.length) body.paging = { next: { after: String(offset + limit) } };
  return { status: 200, body };
}

function test(ms: number, filter: Filter): boolean {
  switch (filter.operator) {
    case 'GT':
      return ms > filter.ms;
    case 'GTE':
      return ms >= filter.ms;
    case 'LT':
      return ms < filter.ms;
    case 'LTE':
      return ms <= filter.ms;
    default:
      return ms === filter.ms;
  }
}

/** HubSpot takes datetimes as ms epoch strings or ISO-8601. */
function toMs(value: string): number {
  return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function invalid(message: string): SearchAnswer {
  return {
    status: 400,
    body: {
      status: 'error',
      message,
      correlationId: 'c0ffee00-0000-4000-8000-000000000400',
      category: 'VALIDATION_ERROR',
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** HubSpot returns each requested property (null when unset) plus the ones it always includes. */
export function pickProperties(id: string, stored: Record<string, string | null>, requested: string[]) {
  const out: Record<string, string | null> = {
    hs_object_id: id,
    createdate: stored.createdate ?? CREATED,
    hs_lastmodifieddate: stored.hs_lastmodifieddate ?? CREATED,
  };
  for (const name of requested) out[name] = stored[name] ?? out[name] ?? null;
  return out;
}
