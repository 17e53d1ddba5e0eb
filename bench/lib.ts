// Shared benchmark helpers: a database to measure against (embedded unless BENCH_DATABASE_URL is set) and
// percentile summaries. Benchmarks print markdown rows for bench/RESULTS.md.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '../src/db/client.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createLogger } from '../src/observability/logger.ts';

export interface BenchDatabase extends Database {
  url: string;
  label: string;
  release(): Promise<void>;
}

export async function openBenchDatabase(max = 20): Promise<BenchDatabase> {
  const external = process.env.BENCH_DATABASE_URL;
  let stopEmbedded = async () => {};
  let url = external;
  let dir: string | null = null;
  if (!url) {
    dir = mkdtempSync(join(tmpdir(), 'triage-bench-'));
    const embedded = await startEmbeddedPostgres({ dataDir: dir, logger: createLogger({ level: 'warn' }) });
    stopEmbedded = () => embedded.stop();
    url = embedded.url;
  }
  const database = createDatabase(url, { max });
  await migrateDatabase(database.pool);
  return {
    ...database,
    url,
    label: external ? 'external PostgreSQL' : 'embedded PostgreSQL 17',
    async release() {
      await database.close();
      await stopEmbedded();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
  };
}

export async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await fn(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

export const ms = (value: number) => `${value.toFixed(3)} ms`;

export interface ProcessCpu {
  comm: string;
  ppid: number;
  /** User + system CPU seconds used so far. */
  seconds: number;
}

/**
 * Every process's CPU use so far, read from /proc (Linux); null where /proc is not there. Clock ticks are taken as
 * 100 per second (Linux's USER_HZ on every common build).
 */
export function readProcessCpu(): Map<number, ProcessCpu> | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const all = new Map<number, ProcessCpu>();
  for (const entry of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid … utime(14) stime(15): comm may hold spaces and parentheses, so split after the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    all.set(Number(entry), { comm, ppid: Number(fields[1]), seconds: (Number(fields[11]) + Number(fields[12])) / 100 });
  }
  return all;
}

/** The processes of `processes` that are `pid` or descend from it. */
export function subtree(processes: Map<number, ProcessCpu>, pid: number): Map<number, ProcessCpu> {
  const tree = new Map<number, ProcessCpu>();
  for (const [id, info] of processes) {
    for (let cur: number | undefined = id; cur !== undefined && cur > 1; cur = processes.get(cur)?.ppid) {
      if (cur === pid) {
        tree.set(id, info);
        break;
      }
    }
  }
  return tree;
}
