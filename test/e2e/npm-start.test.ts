import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { postgresDataDir } from '../../src/db/embedded.ts';
import { cleanEnv, jsonLine, spawnService } from '../helpers/process.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('`npm start` with no configuration serves a healthy /health on the embedded database and exits 0 on SIGTERM', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'triage-start-'));
  // Only where to keep data and a free port: no DATABASE_URL, no tokens, nothing else.
  const service = spawnService('npm', ['start', '--silent'], cleanEnv({ DATA_DIR: dataDir, PORT: '0' }));
  try {
    const started = jsonLine(await service.waitForLine((line) => jsonLine(line)?.msg === 'service started', 120_000));
    const url = String(started?.url);
    const embeddedLine = jsonLine(
      service.lines.find((line) => jsonLine(line)?.msg === 'embedded postgres started') ?? '',
    );
    const pgPort = Number(embeddedLine?.port);
    assert.ok(pgPort > 0, 'the embedded PostgreSQL was started');

    const response = await fetch(`${url}/health`);
    assert.equal(response.status, 200);
    const health = (await response.json()) as {
      status: string;
      dependencies: { database: { status: string }; queue: unknown };
    };
    assert.equal(health.status, 'healthy');
    assert.equal(health.dependencies.database.status, 'up');
    assert.deepEqual(health.dependencies.queue, { status: 'running', staged: 0, pending: 0, failed: 0 });
    assert.equal((await fetch(`${url}/health/ready`)).status, 200);

    const pid = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    assert.ok(isAlive(pid));

    service.child.kill('SIGTERM');
    const exit = await service.waitForExit(60_000);
    assert.deepEqual(exit, { code: 0, signal: null }, service.stderr());
    assert.equal(isAlive(pid), false, 'the embedded postgres process is gone');
    assert.equal(await portAccepts(pgPort), false, 'nothing listens on the embedded port');
    assert.equal(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), false, 'postgres shut down cleanly');
    // No secret or token reaches the output; the generated webhook token is only in its file.
    const token = readFileSync(join(dataDir, 'webhook-token'), 'utf8').trim();
    assert.ok(!service.lines.join('\n').includes(token));
  } finally {
    service.killGroup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('as root, `npm start` with DATA_DIR inside a 0700 directory serves a healthy /health (data kept where postgres can reach it)', async (t) => {
  if (process.getuid?.() !== 0) {
    t.diagnostic('not root: the server runs as this user and can enter any directory it can');
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'triage-home-0700-')); // mkdtemp: mode 0700, like /root
  const dataDir = join(home, 'app', '.data');
  const kept = dirname(postgresDataDir(dataDir));
  const service = spawnService('npm', ['start', '--silent'], cleanEnv({ DATA_DIR: dataDir, PORT: '0' }));
  try {
    const started = jsonLine(await service.waitForLine((line) => jsonLine(line)?.msg === 'service started', 120_000));
    const placed = service.lines
      .map(jsonLine)
      .find((line) => line?.msg?.toString().startsWith('the postgres user cannot'));
    assert.equal(placed?.data_dir, join(kept, 'postgres'));
    const health = (await (await fetch(`${String(started?.url)}/health`)).json()) as { status: string };
    assert.equal(health.status, 'healthy');
    service.child.kill('SIGTERM');
    assert.deepEqual(await service.waitForExit(60_000), { code: 0, signal: null }, service.stderr());
  } finally {
    service.killGroup();
    rmSync(home, { recursive: true, force: true });
    rmSync(kept, { recursive: true, force: true });
  }
});
