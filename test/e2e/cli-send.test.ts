// `triage send` as a subprocess against the real service configured for HubSpot signatures only: a v3-signed
// delivery is accepted and its ticket row is in the database; the wrong secret gets 401 and exit 1; the client
// secret from the environment and a body on stdin work too; nothing listening is a clear error.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { findFreePort } from '../../src/db/embedded.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { type RunningService, specDelivery, startService, ticketRow } from '../helpers/pipeline.ts';
import { cleanEnv, PROJECT_ROOT } from '../helpers/process.ts';

const execFileAsync = promisify(execFile);
const SECRET = 'send-e2e-client-secret-0123';
const PUBLIC_URL = 'https://triage.example.com';

let tdb: TestDatabase;
let service: RunningService;
let dir: string;

async function send(args: string[], env: Record<string, string> = {}, input?: string) {
  const run = execFileAsync(process.execPath, ['bin/triage.js', 'send', ...args], {
    cwd: PROJECT_ROOT,
    env: cleanEnv({ LOG_LEVEL: 'warn', NODE_ENV: 'test', PUBLIC_URL, ...env }),
    timeout: 60_000,
  });
  if (input !== undefined) run.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await run;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function deliveryFile(name: string, body: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(body, null, 2));
  return file;
}

before(async () => {
  tdb = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'triage-send-'));
  // Signatures only: no shared token, so only a correct v3 signature over PUBLIC_URL gets in.
  service = await startService(tdb.url, {
    HUBSPOT_WEBHOOK_TOKEN: '',
    HUBSPOT_CLIENT_SECRET: SECRET,
    PUBLIC_URL,
    TRIAGE_PROVIDERS: 'rules',
  });
});
after(async () => {
  service?.kill();
  rmSync(dir, { recursive: true, force: true });
  await tdb?.drop();
});

describe('triage send', () => {
  test('a v3-signed delivery is accepted and its ticket is in the database', async () => {
    const file = deliveryFile('one.json', specDelivery('SEND-1'));
    const result = await send([file, '--url', `${service.url}/webhook/hubspot`, '--secret', SECRET]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /X-HubSpot-Signature-v3 with the secret from --secret/);
    assert.match(result.stderr, /^HTTP 200 OK$/m);
    const answer = JSON.parse(result.stdout) as { status: string; ticket_id: string };
    assert.equal(answer.status, 'accepted');
    assert.equal(answer.ticket_id, 'SEND-1');
    assert.ok(await ticketRow(tdb.pool, 'SEND-1'), 'the ticket row exists');
    assert.ok(!(result.stdout + result.stderr).includes(SECRET), 'the secret is not printed');
  });

  test('the wrong secret: 401 printed, exit 1, nothing stored', async () => {
    const file = deliveryFile('two.json', specDelivery('SEND-2'));
    const result = await send([file, '--url', `${service.url}/webhook/hubspot`, '--secret', 'not-the-secret']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^HTTP 401 Unauthorized$/m);
    assert.equal(JSON.parse(result.stdout).error, 'unauthorized');
    assert.equal(await ticketRow(tdb.pool, 'SEND-2'), undefined);
  });

  test('from stdin, signed with HUBSPOT_CLIENT_SECRET from the environment', async () => {
    const body = JSON.stringify(specDelivery('SEND-3'));
    const env = { HUBSPOT_CLIENT_SECRET: SECRET };
    const result = await send(['-', '--url', `${service.url}/webhook/hubspot`], env, body);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /secret from HUBSPOT_CLIENT_SECRET/);
    assert.ok(await ticketRow(tdb.pool, 'SEND-3'));
  });

  test('not JSON is refused before sending; nothing listening says how to start the service', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'subject: hello');
    const invalid = await send([bad, '--secret', SECRET]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /bad\.json: not JSON/);

    const file = deliveryFile('four.json', specDelivery('SEND-4'));
    const port = await findFreePort();
    const nobody = await send([file, '--secret', SECRET], { PORT: String(port) });
    assert.equal(nobody.code, 1);
    assert.match(
      nobody.stderr,
      new RegExp(`No answer from http://127\\.0\\.0\\.1:${port}/webhook/hubspot: nothing accepts`),
    );
    assert.match(nobody.stderr, /Start the service \(npm start\)/);
  });
});
