// One-shot commands next to a running `npm start` on the embedded default: they use its server (found through
// DATA_DIR) instead of refusing the locked directory, and leave it running.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { cleanEnv, jsonLine, PROJECT_ROOT, spawnService } from '../helpers/process.ts';

const run = promisify(execFile);

test('stats and replay work while serve runs on the embedded database, and leave its server running', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'triage-beside-'));
  const env = cleanEnv({ DATA_DIR: dataDir, PORT: '0', TRIAGE_PROVIDERS: 'rules' });
  const service = spawnService(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], env);
  const triage = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: PROJECT_ROOT, env });
  try {
    const url = String(
      jsonLine(await service.waitForLine((l) => jsonLine(l)?.msg === 'service started', 120_000))?.url,
    );
    assert.ok(existsSync(join(dataDir, 'postgres.running.json')), 'the running server is recorded in DATA_DIR');

    const stats = await triage('stats', '--json');
    assert.equal(JSON.parse(stats.stdout).total, 0);
    assert.match(stats.stderr, /using the embedded postgres of the running instance/);

    const replay = await triage('replay', 'never-seen-1').then(
      () => assert.fail('replay of an unknown ticket exits 1'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    assert.equal(replay.code, 1);
    assert.deepEqual(JSON.parse(replay.stdout), { ticket_id: 'never-seen-1', portal_id: null, status: 'unknown' });
    assert.doesNotMatch(replay.stderr, /in use by another running instance/);

    const health = (await (await fetch(`${url}/health`)).json()) as { dependencies: { database: { status: string } } };
    assert.equal(health.dependencies.database.status, 'up', 'the one-shot commands left the server running');

    service.child.kill('SIGTERM');
    assert.deepEqual(await service.waitForExit(60_000), { code: 0, signal: null }, service.stderr());
    assert.equal(existsSync(join(dataDir, 'postgres.running.json')), false, 'the record goes with the server');
  } finally {
    service.killGroup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
