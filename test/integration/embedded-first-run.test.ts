// The embedded PostgreSQL's first run: the superuser password never sits where other users can read it, and as root
// a data directory the `postgres` user cannot enter is refused at once, with the fix, instead of a spawn error.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { firstUntraversable, startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { OperatorError } from '../../src/domain/operator-error.ts';
import { createLogger } from '../../src/observability/logger.ts';

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

test('as root, a data directory the postgres user cannot enter is refused with the fix', {
  concurrency: false,
}, async (t) => {
  if (process.getuid?.() !== 0) {
    // Only root hands the server to the `postgres` user; as anyone else the server runs as the caller.
    t.diagnostic('not root: the server runs as this user, nothing to refuse');
    return;
  }
  const closed = join(scratch, 'home-0700');
  mkdirSync(closed, { mode: 0o700 });
  await assert.rejects(startEmbeddedPostgres({ dataDir: join(closed, 'data'), logger }), (error: unknown) => {
    assert.ok(error instanceof OperatorError);
    assert.match(error.message, new RegExp(`cannot enter ${closed} \\(mode 0700\\) on the way to DATA_DIR`));
    assert.match(error.message, /DATABASE_URL/);
    return true;
  });
});
