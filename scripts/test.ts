// Test runner: provides a PostgreSQL server (DATABASE_URL when set, else an embedded one in a temporary directory),
// migrates a template database once for this run, then runs every test file under node's test runner. Each test
// file clones its own database from the template (test/helpers/db.ts); everything this run created is dropped after.
// Every file runs with test/helpers/leak-check.ts loaded, which fails it when its tests leave anything open.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase } from '../src/db/client.ts';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createLogger } from '../src/observability/logger.ts';

/** The fault suite starts its own PostgreSQL and service processes and runs for minutes: `npm run test:faults`. */
const FAULT_SUITE = join('test', 'faults');
const LEAK_CHECK = new URL('../test/helpers/leak-check.ts', import.meta.url).href;

function collect(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .sort()
    .filter((name) => join(path, name) !== FAULT_SUITE)
    .flatMap((name) => collect(join(path, name)));
}

const args = process.argv.slice(2);
const roots = args.filter((arg) => !arg.startsWith('--'));
const flags = args.filter((arg) => arg.startsWith('--'));
const files = (roots.length > 0 ? roots : ['test']).flatMap(collect);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const templateDb = `triage_tpl_${runId}`;
let embedded: EmbeddedDatabase | null = null;
let embeddedDir: string | null = null;

async function main(): Promise<number> {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embeddedDir = mkdtempSync(join(tmpdir(), 'triage-test-pg-'));
    embedded = await startEmbeddedPostgres({ dataDir: embeddedDir, logger: createLogger({ level: 'warn' }) });
    serverUrl = embedded.url;
    console.log(`# using an embedded PostgreSQL on port ${embedded.port}`);
  }
  await admin(serverUrl, `create database "${templateDb}"`);
  const template = createDatabase(withDatabase(serverUrl, templateDb), { max: 2 });
  try {
    await migrateDatabase(template.pool);
  } finally {
    await template.close();
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEST_SERVER_URL: serverUrl,
    TEST_TEMPLATE_DB: templateDb,
    TEST_RUN_ID: runId,
  };
  delete env.DATABASE_URL; // tests pass each child process its own database explicitly
  const concurrency = process.env.TEST_CONCURRENCY ?? '2';
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      LEAK_CHECK,
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-timeout=180000',
      ...flags,
      ...files,
    ],
    { stdio: 'inherit', env },
  );
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1))));
}

async function cleanup(): Promise<void> {
  const serverUrl = embedded?.url ?? process.env.DATABASE_URL;
  if (serverUrl) {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>(
        'select datname from pg_database where datname like $1 or datname = $2',
        [`triage_test_${runId}_%`, templateDb],
      );
      for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
    } finally {
      await client.end();
    }
  }
  await embedded?.stop();
  if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(error);
} finally {
  await cleanup().catch((error) => console.error('cleanup failed:', error));
}
process.exit(code);
