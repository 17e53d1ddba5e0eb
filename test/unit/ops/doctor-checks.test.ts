// Each doctor check against the fakes (real HTTP servers): what passes, and for every failure the line that says
// what is wrong and the fix; no secret in any of it; a dependency that never answers costs the deadline, not a hang.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../src/config.ts';
import { findFreePort } from '../../../src/db/embedded.ts';
import { formatChecklist, runCheck, runChecks } from '../../../src/ops/doctor.ts';
import {
  type CheckContext,
  checkCloudLlm,
  checkDatabase,
  checkDiscord,
  checkHubSpot,
  checkOllama,
  checkWebhookAuth,
  type Outcome,
} from '../../../src/ops/doctor-checks.ts';
import { type FakeDiscord, startFakeDiscord } from '../../fakes/discord.ts';
import { type FakeHubSpot, startFakeHubSpot } from '../../fakes/hubspot.ts';
import { type FakeOllama, startFakeOllama } from '../../fakes/ollama.ts';
import { baseUrlOf, type FakeOpenAI, groqInvalidApiKey, startFakeOpenAI } from '../../fakes/openai.ts';

const LOCAL_TOKEN = 'local-llm-token-value-123';
const GROQ_KEY = 'gsk_fake_key_value_0123456789';
const HUBSPOT_TOKEN = 'pat-na1-fake-token-0123456789';

let ollama: FakeOllama;
let openai: FakeOpenAI;
let discord: FakeDiscord;
let hubspot: FakeHubSpot;
let dataDir: string;

before(async () => {
  [ollama, openai, discord, hubspot] = await Promise.all([
    startFakeOllama(),
    startFakeOpenAI(),
    startFakeDiscord(),
    startFakeHubSpot({ accessToken: HUBSPOT_TOKEN }),
  ]);
  dataDir = mkdtempSync(join(tmpdir(), 'triage-doctor-'));
});
after(async () => {
  await Promise.all([ollama.close(), openai.close(), discord.close(), hubspot.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

function context(env: Record<string, string>, timeoutMs = 2_000): CheckContext {
  return {
    config: loadConfig({ DATA_DIR: dataDir, ...env }),
    signal: AbortSignal.timeout(timeoutMs),
    timeoutMs,
    tokenFile: null,
  };
}

function assertNoSecrets(outcome: Outcome | string) {
  const text = typeof outcome === 'string' ? outcome : JSON.stringify(outcome);
  for (const secret of [LOCAL_TOKEN, GROQ_KEY, HUBSPOT_TOKEN, discord.webhook.token]) {
    assert.ok(!text.includes(secret), `a secret was printed: ${text}`);
  }
}

describe('local LLM (Ollama /api/tags)', () => {
  test('reachable with the model pulled: ok, and the token was sent', async () => {
    const outcome = await checkOllama(context({ LOCAL_LLM_URL: ollama.url, LOCAL_LLM_TOKEN: LOCAL_TOKEN }));
    assert.equal(outcome.status, 'ok', outcome.detail);
    assert.match(outcome.detail, /has llama3\.1:8b/);
    assertNoSecrets(outcome);
  });

  test('the model is not pulled: fail, naming what is there, fix `ollama pull`', async () => {
    const other = await startFakeOllama();
    other.setFixed('/api/tags', { json: { models: [{ name: 'qwen2.5:7b', model: 'qwen2.5:7b' }] } });
    try {
      const outcome = await checkOllama(context({ LOCAL_LLM_URL: other.url }));
      assert.equal(outcome.status, 'fail');
      assert.match(outcome.detail, /model llama3\.1:8b is not pulled there \(it has: qwen2\.5:7b\)/);
      assert.match(outcome.fix ?? '', /ollama pull llama3\.1:8b.*LOCAL_LLM_MODEL/);
    } finally {
      await other.close();
    }
  });

  test('a dead LOCAL_LLM_URL: fail with the fix; the unset development default only warns', async () => {
    const dead = `http://127.0.0.1:${await findFreePort()}`;
    const explicit = await checkOllama(context({ LOCAL_LLM_URL: dead }));
    assert.equal(explicit.status, 'fail');
    assert.match(explicit.detail, /connection refused/);
    assert.match(explicit.fix ?? '', /ollama serve.*LOCAL_LLM_URL/);
    const byDefault = await checkOllama(context({ TRIAGE_PROVIDERS: 'local,rules' }));
    // Nothing listens on 11434 here; if something ever does, the check must still not fail on the default.
    assert.notEqual(byDefault.status, 'fail');
  });

  test('a proxy refusing the credentials: fail, fix names LOCAL_LLM_TOKEN', async () => {
    const guarded = await startFakeOllama();
    guarded.setFixed('/api/tags', { status: 401, json: { error: 'unauthorized' } });
    try {
      const outcome = await checkOllama(context({ LOCAL_LLM_URL: guarded.url, LOCAL_LLM_TOKEN: LOCAL_TOKEN }));
      assert.equal(outcome.status, 'fail');
      assert.match(outcome.fix ?? '', /LOCAL_LLM_TOKEN/);
      assertNoSecrets(outcome);
    } finally {
      await guarded.close();
    }
  });

  test('an Ollama that never answers costs the deadline, not a hang', async () => {
    const hung = await startFakeOllama();
    hung.setFixed('/api/tags', 'hang');
    try {
      const started = performance.now();
      const config = loadConfig({ DATA_DIR: dataDir, LOCAL_LLM_URL: hung.url, TRIAGE_PROVIDERS: 'local,rules' });
      const reports = await runChecks(config, { deep: false, timeoutMs: 300, tokenFile: null });
      const elapsed = performance.now() - started;
      const local = reports.find((report) => report.name === 'local LLM');
      assert.equal(local?.status, 'fail');
      assert.match(local?.detail ?? '', /no answer within 300 ms/);
      assert.ok(elapsed < 5_000, `doctor took ${elapsed} ms`);
    } finally {
      await hung.close();
    }
  });

  test('not in TRIAGE_PROVIDERS: skipped', async () => {
    const outcome = await checkOllama(context({ TRIAGE_PROVIDERS: 'rules' }));
    assert.equal(outcome.status, 'skipped');
  });
});

describe('cloud LLM (GET {base}/models)', () => {
  test('key accepted and the model offered: ok', async () => {
    const outcome = await checkCloudLlm(context({ GROQ_API_KEY: GROQ_KEY, GROQ_BASE_URL: baseUrlOf(openai) }));
    assert.equal(outcome.status, 'ok', outcome.detail);
    assertNoSecrets(outcome);
  });

  test('a refused key: fail with the 401 code, fix names GROQ_API_KEY', async () => {
    const refusing = await startFakeOpenAI();
    refusing.setFixed('/openai/v1/models', groqInvalidApiKey());
    try {
      const outcome = await checkCloudLlm(context({ GROQ_API_KEY: GROQ_KEY, GROQ_BASE_URL: baseUrlOf(refusing) }));
      assert.equal(outcome.status, 'fail');
      assert.match(outcome.detail, /refused \(HTTP 401 invalid_api_key\)/);
      assert.match(outcome.fix ?? '', /GROQ_API_KEY/);
      assertNoSecrets(outcome);
    } finally {
      await refusing.close();
    }
  });

  test('a decommissioned model: fail, fix names GROQ_MODEL and a model on offer', async () => {
    const outcome = await checkCloudLlm(
      context({ GROQ_API_KEY: GROQ_KEY, GROQ_BASE_URL: baseUrlOf(openai), GROQ_MODEL: 'llama-3.1-70b-versatile' }),
    );
    assert.equal(outcome.status, 'fail');
    assert.match(outcome.fix ?? '', /GROQ_MODEL.*openai\/gpt-oss-120b/);
  });

  test('no key: skipped', async () => {
    assert.equal((await checkCloudLlm(context({}))).status, 'skipped');
  });
});

describe('Discord webhook (URL shape, then GET)', () => {
  const run = (url: string) => checkDiscord(context({ DISCORD_WEBHOOK_URL: url }), url, 'DISCORD_WEBHOOK_URL');

  test('a live webhook: ok with its name; the token is never shown', async () => {
    const outcome = await run(discord.webhook.url);
    assert.equal(outcome.status, 'ok', outcome.detail);
    assert.match(outcome.detail, /webhook "Triage"/);
    assertNoSecrets(outcome);
    assert.equal(discord.requests.at(-1)?.method, 'GET', 'nothing was posted to the channel');
  });

  test('a deleted webhook (404 Unknown Webhook): fail, fix says to create one', async () => {
    const outcome = await run(`${discord.baseUrl}/api/webhooks/${discord.webhook.id}/not-the-token`);
    assert.equal(outcome.status, 'fail');
    assert.match(outcome.detail, /404 Unknown Webhook/);
    assert.match(outcome.fix ?? '', /Create a webhook.*DISCORD_WEBHOOK_URL/);
    assert.ok(!JSON.stringify(outcome).includes('not-the-token'));
  });

  test('not a webhook URL: fail on the shape, before any request', async () => {
    const before = discord.requests.length;
    const outcome = await run('https://discord.com/channels/123/456');
    assert.equal(outcome.status, 'fail');
    assert.match(outcome.detail, /is not a webhook URL/);
    assert.match(outcome.fix ?? '', /Copy Webhook URL/);
    assert.equal(discord.requests.length, before);
  });

  test('console mode: skipped', async () => {
    assert.equal((await checkDiscord(context({}), null, 'DISCORD_WEBHOOK_URL')).status, 'skipped');
  });
});

describe('HubSpot token (GET /crm/v3/objects/tickets?limit=1)', () => {
  const run = (token: string) =>
    checkHubSpot(context({ HUBSPOT_ACCESS_TOKEN: token, HUBSPOT_API_BASE_URL: hubspot.baseUrl }));

  test('accepted: ok', async () => {
    const outcome = await run(HUBSPOT_TOKEN);
    assert.equal(outcome.status, 'ok', outcome.detail);
    assert.match(hubspot.requests.at(-1)?.url ?? '', /^\/crm\/v3\/objects\/tickets\?limit=1/);
    assertNoSecrets(outcome);
  });

  test('refused (401): fail, fix explains the private app token', async () => {
    const outcome = await run('pat-na1-wrong');
    assert.equal(outcome.status, 'fail');
    assert.match(outcome.detail, /HTTP 401 INVALID_AUTHENTICATION/);
    assert.match(outcome.fix ?? '', /private app.*HUBSPOT_ACCESS_TOKEN/i);
  });

  test('a missing scope (403): fail, fix names the scopes', async () => {
    hubspot.failNext({ kind: 'missing_scopes' });
    const outcome = await run(HUBSPOT_TOKEN);
    assert.equal(outcome.status, 'fail');
    assert.match(outcome.detail, /HTTP 403 MISSING_SCOPES/);
    assert.match(outcome.fix ?? '', /`tickets`/);
  });

  test('no token: skipped, saying what that costs', async () => {
    const outcome = await checkHubSpot(context({}));
    assert.equal(outcome.status, 'skipped');
    assert.match(outcome.detail, /catch-up sweep is off/);
  });
});

describe('webhook auth and the embedded database', () => {
  test('a client secret without PUBLIC_URL warns with the fix', async () => {
    const outcome = await checkWebhookAuth(context({ HUBSPOT_CLIENT_SECRET: 'client-secret-1' }));
    assert.equal(outcome.status, 'warn');
    assert.match(outcome.fix ?? '', /PUBLIC_URL/);
  });

  test('the embedded default with no server running: not started, nothing created', async () => {
    const outcome = await checkDatabase(context({}));
    assert.equal(outcome.status, 'warn');
    assert.match(outcome.detail, /has not been created yet; doctor does not start one/);
    assert.match(outcome.fix ?? '', /npm start/);
    assert.deepEqual(readdirSync(dataDir), [], 'doctor created nothing in DATA_DIR');
  });
});

test('the checklist prints one line per check and a fix line under each problem', () => {
  const config = loadConfig({ DATA_DIR: dataDir });
  const text = formatChecklist(config, [
    { name: 'database', status: 'ok', detail: 'fine', ms: 1 },
    { name: 'local LLM', status: 'fail', detail: 'down', fix: 'start it', ms: 2 },
  ]);
  assert.match(text, /^ {2}ok {4}database {3}fine$/m);
  assert.match(text, /^ {2}FAIL {2}local LLM {2}down\n +fix: start it$/m);
  assert.match(text, /1 failed, 0 warning\(s\), 1 ok, 0 skipped/);
});

test('a check that ignores its signal is answered for shortly after the deadline', async () => {
  const config = loadConfig({ DATA_DIR: dataDir });
  const deaf = { name: 'deaf', run: () => new Promise<Outcome>(() => {}) };
  const started = performance.now();
  const report = await runCheck(deaf, config, { timeoutMs: 200, tokenFile: null });
  assert.equal(report.status, 'fail');
  assert.equal(report.detail, 'no answer within 200 ms');
  assert.ok(performance.now() - started < 2_000);
});
