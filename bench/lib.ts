// Shared benchmark helpers: a database to measure against (embedded unless BENCH_DATABASE_URL is set) and
// percentile summaries. Benchmarks print markdown rows for bench/RESULTS.md.
import { mkdtempSync, rmSync } from 'node:fs';
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
