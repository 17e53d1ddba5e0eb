// The rooms of src/ and the direction of their imports (docs/architecture.md): a room imports only from the rooms it
// is allowed to, no two rooms reach each other, each table has one writer, and graphile-worker's schema is only
// named in src/queue/. Reads the source text, so it covers type-only imports too.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(import.meta.dirname, '../../src');

// Each room and the rooms it may import (besides itself). The entry points (app, service, cli, main) may import all.
const BASE = ['domain'];
const OUTBOUND = ['domain', 'http', 'observability'];
const LOWER = ['domain', 'http', 'observability', 'config', 'db', 'queue', 'hubspot', 'triage', 'notify'];
const ALLOWED: Record<string, string[] | 'any'> = {
  domain: [],
  http: BASE,
  observability: BASE,
  config: BASE,
  version: [],
  db: ['domain', 'observability'],
  queue: ['domain', 'db', 'observability'],
  hubspot: OUTBOUND,
  triage: OUTBOUND,
  notify: OUTBOUND,
  intake: LOWER,
  pipeline: [...LOWER, 'intake'],
  web: [...LOWER, 'intake', 'pipeline'],
  ops: [...LOWER, 'intake', 'pipeline'],
  eval: ['domain', 'observability', 'triage', 'config'],
  app: 'any',
  service: 'any',
  cli: 'any',
  main: 'any',
};

interface SourceFile {
  path: string;
  room: string;
  text: string;
}

function sourceFiles(dir = SRC): SourceFile[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    if (!entry.name.endsWith('.ts')) return [];
    return [{ path, room: roomOf(path), text: readFileSync(path, 'utf8') }];
  });
}

const roomOf = (path: string) => relative(SRC, path).split(sep)[0]!.replace(/\.ts$/, '');

/** Relative specifiers of static imports/re-exports (type-only included) and dynamic imports. */
export function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
    specifiers.push(match[1]!);
  }
  for (const match of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

function roomEdges(files: SourceFile[]): { from: string; to: string; file: string }[] {
  return files.flatMap((file) =>
    importsOf(file.text)
      .map((specifier) => resolve(dirname(file.path), specifier))
      .filter((target) => target.startsWith(SRC + sep))
      .map((target) => ({ from: file.room, to: roomOf(target), file: relative(SRC, file.path) }))
      .filter((edge) => edge.from !== edge.to),
  );
}

/** Pairs of rooms that reach each other through imports. */
export function cyclePairs(edges: { from: string; to: string }[]): string[] {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) graph.set(from, (graph.get(from) ?? new Set()).add(to));
  const reach = (start: string) => {
    const seen = new Set<string>();
    const stack = [start];
    while (stack.length > 0) {
      for (const next of graph.get(stack.pop()!) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return seen;
  };
  const pairs: string[] = [];
  for (const a of [...graph.keys()].sort()) {
    for (const b of reach(a)) if (a < b && reach(b).has(a)) pairs.push(`${a} <-> ${b}`);
  }
  return pairs;
}

const files = sourceFiles();

test('the architecture check reads imports, type-only and multi-line ones included, and finds a cycle', () => {
  const text = "import type {\n  A,\n  B,\n} from '../db/x.ts';\nexport { c } from './y.ts';\nawait import('../z.ts');";
  assert.deepEqual(importsOf(text), ['../db/x.ts', './y.ts', '../z.ts']);
  assert.deepEqual(
    cyclePairs([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'a' },
    ]),
    ['a <-> b', 'a <-> c', 'b <-> c'],
  );
  assert.ok(files.length > 50, `read ${files.length} source files`);
});

test('every room of src/ is in the table, and imports only the rooms it may', () => {
  const unknown = [...new Set(files.map((file) => file.room))].filter((room) => !(room in ALLOWED));
  assert.deepEqual(unknown, [], 'a new room needs its line in ALLOWED and in docs/architecture.md');
  const wrong = roomEdges(files)
    .filter(({ from, to }) => ALLOWED[from] !== 'any' && !(ALLOWED[from] as string[]).includes(to))
    .map(({ file, to }) => `${file} imports ${to}/`);
  assert.deepEqual(wrong, []);
});

test('no two rooms reach each other', () => {
  assert.deepEqual(cyclePairs(roomEdges(files)), []);
});

test('each table is written by one module', () => {
  const writers: Record<string, string> = {
    processed_tickets: 'db/ticket-store.ts',
    triage_runs: 'db/run-store.ts',
    service_state: 'db/service-state.ts',
    portal_pacing: 'queue/mover.ts',
    ticket_feedback: 'db/feedback-store.ts',
    run_stats_hourly: 'db/run-store.ts',
    fallback_stats_hourly: 'db/run-store.ts',
    cloud_token_usage: 'db/token-usage-store.ts',
    sop_chunks: 'db/sop-store.ts',
  };
  const drizzleNames: Record<string, string> = {
    processedTickets: 'processed_tickets',
    triageRuns: 'triage_runs',
    ticketFeedback: 'ticket_feedback',
    runStatsHourly: 'run_stats_hourly',
    fallbackStatsHourly: 'fallback_stats_hourly',
    cloudTokenUsage: 'cloud_token_usage',
    sopChunks: 'sop_chunks',
  };
  const found: Record<string, Set<string>> = {};
  const add = (table: string, name: string) => {
    found[table] = (found[table] ?? new Set()).add(name);
  };
  for (const file of files) {
    const name = relative(SRC, file.path);
    for (const table of Object.keys(writers)) {
      const sqlWrite = new RegExp(`\\b(insert\\s+into|update|delete\\s+from)\\s+${table}\\b`, 'i');
      if (sqlWrite.test(file.text)) add(table, name);
    }
    for (const [variable, table] of Object.entries(drizzleNames)) {
      if (new RegExp(`\\.(insert|update|delete)\\(${variable}\\)`).test(file.text)) add(table, name);
    }
  }
  for (const [table, writer] of Object.entries(writers)) {
    assert.deepEqual([...(found[table] ?? [])], [writer], `writers of ${table}`);
  }
});

test("graphile-worker's schema is named only in src/queue/, and never its private tables", () => {
  const outside = files
    .filter((file) => /graphile_worker\./.test(file.text) && file.room !== 'queue')
    .map((file) => relative(SRC, file.path));
  assert.deepEqual(outside, []);
  const privateTables = files.filter((file) => /_private_/.test(file.text)).map((file) => relative(SRC, file.path));
  assert.deepEqual(privateTables, []);
});
