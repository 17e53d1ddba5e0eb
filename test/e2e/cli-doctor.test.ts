// `triage doctor` as a subprocess against a real database and the fakes: a dead Ollama URL exits 1 with the fix
// printed; everything configured and answering exits 0; an Ollama that never answers costs the deadline; --deep
// reports a model that answers one ticket within the schema and one outside it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { findFreePort } from '../../src/db/embedded.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../fakes/hubspot.ts';
import { type FakeOllama, ollamaChat, startFakeOllama } from '../fakes/ollama.ts';
import { baseUrlOf, type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.ts';
import { validOutput } from '../fixtures/triage.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { cleanEnv, PROJECT_ROOT } from '../helpers/process.ts';

const execFileAsync = promisify(execFile);
const GROQ_KEY = 'gsk_doctor_e2e_key_0123456789';
const HUBSPOT_TOKEN = 'pat-na1-doctor-e2e-0123456789';
const WEBHOOK_TOKEN = 'doctor-e2e-webhook-token-0123';

async function doctor(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['bin/triage.js', 'doctor', ...args], {
      cwd: PROJECT_ROOT,
      env: cleanEnv({ LOG_LEVEL: 'warn', NODE_ENV: 'test', ...env }),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let tdb: TestDatabase;
let ollama: FakeOllama;
let openai: FakeOpenAI;
let discord: FakeDiscord;
let hubspot: FakeHubSpot;
let allGood: Record<string, string>;

before(async () => {
  [tdb, ollama, openai, discord, hubspot] = await Promise.all([
    createTestDatabase(),
    startFakeOllama(),
    startFakeOpenAI(),
    startFakeDiscord(),
    startFakeHubSpot({ accessToken: HUBSPOT_TOKEN }),
  ]);
  allGood = {
    DATABASE_URL: tdb.url,
    HUBSPOT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    LOCAL_LLM_URL: ollama.url,
    GROQ_API_KEY: GROQ_KEY,
    GROQ_BASE_URL: baseUrlOf(openai),
    DISCORD_WEBHOOK_URL: discord.webhook.url,
    HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
    HUBSPOT_API_BASE_URL: hubspot.baseUrl,
  };
});
after(async () => {
  await Promise.all([ollama?.close(), openai?.close(), discord?.close(), hubspot?.close()]);
  await tdb?.drop();
});

function assertNoSecrets(text: string) {
  for (const secret of [GROQ_KEY, HUBSPOT_TOKEN, WEBHOOK_TOKEN, discord.webhook.token]) {
    assert.ok(!text.includes(secret), 'a secret was printed');
  }
}

describe('triage doctor', () => {
  test('--help lists doctor and send; each has its own help', async () => {
    const { stdout } = await execFileAsync(process.execPath, ['bin/triage.js', '--help'], { cwd: PROJECT_ROOT });
    assert.match(stdout, /^ {2}doctor +Check the configuration live/m);
    assert.match(stdout, /^ {2}send +Post a delivery to the webhook the way HubSpot would/m);
    const help = await doctor(['--help'], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: triage doctor \[--deep\] \[--json\] \[--timeout-ms N\]/);
  });

  test('a dead Ollama URL: exit 1, the failure and its fix printed', async () => {
    const dead = `http://127.0.0.1:${await findFreePort()}`;
    const result = await doctor([], { ...allGood, LOCAL_LLM_URL: dead });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /^ {2}FAIL {2}local LLM +Ollama at http:\/\/127\.0\.0\.1:\d+\/: nothing accepts connections/m,
    );
    assert.match(result.stdout, /^ +fix: Start Ollama there \(`ollama serve`/m);
    assert.match(result.stdout, /^ {2}ok {4}database /m, 'the other checks still ran');
    assert.match(result.stdout, /1 failed, 0 warning\(s\), 5 ok, 0 skipped/);
  });

  test('everything configured and answering: exit 0, every check ok, no secret printed', async () => {
    const result = await doctor(['--json'], allGood);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as { status: string; checks: { name: string; status: string }[] };
    assert.equal(report.status, 'ok');
    assert.deepEqual(
      report.checks.map((check) => `${check.name}:${check.status}`),
      ['database:ok', 'webhook auth:ok', 'local LLM:ok', 'cloud LLM:ok', 'discord:ok', 'hubspot:ok'],
    );
    assertNoSecrets(result.stdout + result.stderr);
    assert.ok(
      discord.requests.every((request) => request.method === 'GET'),
      'doctor posted nothing to Discord',
    );
  });

  test('an Ollama that never answers: exit 1 after the deadline, not a hang', async () => {
    const hung = await startFakeOllama();
    hung.setFixed('/api/tags', 'hang');
    try {
      const started = performance.now();
      const result = await doctor(['--timeout-ms', '500'], { ...allGood, LOCAL_LLM_URL: hung.url });
      const elapsed = performance.now() - started;
      assert.equal(result.code, 1);
      assert.match(result.stdout, /FAIL {2}local LLM +Ollama at .*: no answer within 500 ms/);
      // Node's start-up dominates; a hang would run into the 60 s exec timeout.
      assert.ok(elapsed < 20_000, `took ${elapsed} ms`);
    } finally {
      await hung.close();
    }
  });

  test('--deep: one answer within the schema, one outside it, reported per ticket without a repair call', async () => {
    const scripted = await startFakeOllama();
    scripted.enqueue(
      ollamaChat(validOutput({ priority: 'critical', recommended_internal_action: 'Escalate to security' })),
      ollamaChat({ priority: 'urgent', summary: 'The customer asks how to export contacts.' }),
    );
    try {
      const env = { ...allGood, LOCAL_LLM_URL: scripted.url, TRIAGE_PROVIDERS: 'local,rules' };
      const result = await doctor(['--deep'], env);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(
        result.stdout,
        /^ {2}warn {2}self-test local LLM +local \(llama3\.1:8b\): 1 of 2 answers schema-valid without repair$/m,
      );
      assert.match(
        result.stdout,
        /security report: schema-valid in \d+ ms: critical \/ reply_and_internal_followup \/ Escalate to security$/m,
      );
      assert.match(result.stdout, /how-to question: NOT schema-valid after \d+ ms: .*priority/m);
      assert.match(result.stdout, /fix: This model does not keep to the JSON schema/);
      assert.equal(scripted.requests.length, 2, 'two tickets, no repair call');
      const chat = scripted.requests[0]?.body as { format?: unknown; stream?: boolean };
      assert.equal(chat.stream, false);
      assert.equal(typeof chat.format, 'object', 'sent with the JSON schema, as the pipeline sends it');
    } finally {
      await scripted.close();
    }
  });
});
