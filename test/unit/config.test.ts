import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, describeConfig, loadConfig } from '../../src/config.ts';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  test('development starts with no variables at all, with the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.env, 'development');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 3000);
    assert.equal(config.databaseUrl, null);
    assert.equal(config.dataDir, '.data');
    assert.equal(config.local.url, 'http://127.0.0.1:11434');
    assert.equal(config.local.timeoutMs, 10_000);
    assert.equal(config.groq.model, 'openai/gpt-oss-120b');
    assert.equal(config.groq.timeoutMs, 15_000);
    assert.deepEqual(config.providers, ['local', 'groq', 'rules']);
    assert.equal(config.notify.mode, 'console');
    assert.equal(config.retentionDays, 7);
    assert.ok(Object.isFrozen(config));
  });

  test('production with nothing set lists every missing variable in one error', () => {
    const error = configError({ NODE_ENV: 'production' });
    const text = error.message;
    for (const name of [
      'DATABASE_URL',
      'HUBSPOT_WEBHOOK_TOKEN',
      'LOCAL_LLM_URL or GROQ_API_KEY',
      'DISCORD_WEBHOOK_URL',
      'ADMIN_TOKEN',
    ]) {
      assert.ok(text.includes(name), `missing ${name} in:\n${text}`);
    }
    assert.equal(error.problems.length, 5);
  });

  test('a complete production configuration is accepted and binds all interfaces', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/triage',
      HUBSPOT_WEBHOOK_TOKEN: 'a-long-shared-token-value',
      GROQ_API_KEY: 'gsk_test',
      DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/secret-token',
      ADMIN_TOKEN: 'an-admin-token-that-is-long',
    });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 8080);
    assert.equal(config.notify.mode, 'discord');
  });

  test('production accepts NOTIFY=console instead of a Discord webhook, and a signature secret needs PUBLIC_URL', () => {
    const base = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/triage',
      LOCAL_LLM_URL: 'https://llm.example.com',
      ADMIN_TOKEN: 'an-admin-token-that-is-long',
      NOTIFY: 'console',
    };
    const error = configError({ ...base, HUBSPOT_CLIENT_SECRET: 'secret' });
    assert.deepEqual(error.problems, [
      'PUBLIC_URL: required with HUBSPOT_CLIENT_SECRET (signatures v2/v3 sign the public URL)',
    ]);
    const config = loadConfig({ ...base, HUBSPOT_CLIENT_SECRET: 'secret', PUBLIC_URL: 'https://triage.example.com' });
    assert.equal(config.notify.mode, 'console');
  });

  test('in production, invalid values and missing variables are reported in one error', () => {
    const error = configError({ NODE_ENV: 'production', PORT: 'x', DATABASE_URL: 'mysql://db' });
    const fields = error.problems.map((problem) => problem.split(':')[0]);
    assert.deepEqual(fields.sort(), [
      'ADMIN_TOKEN',
      'DATABASE_URL',
      'DISCORD_WEBHOOK_URL',
      'HUBSPOT_WEBHOOK_TOKEN or HUBSPOT_CLIENT_SECRET',
      'LOCAL_LLM_URL or GROQ_API_KEY',
      'PORT',
    ]);
  });

  test('invalid values are named with the variable and the reason, all at once', () => {
    const error = configError({
      PORT: 'eighty',
      LOCAL_LLM_TIMEOUT_MS: '5',
      TRIAGE_PROVIDERS: 'local,openai',
      DATABASE_URL: 'mysql://x',
      NOTIFY: 'slack',
      RETENTION_DAYS: '0',
    });
    const fields = error.problems.map((problem) => problem.split(':')[0]);
    for (const name of [
      'PORT',
      'LOCAL_LLM_TIMEOUT_MS',
      'TRIAGE_PROVIDERS',
      'DATABASE_URL',
      'NOTIFY',
      'RETENTION_DAYS',
    ]) {
      assert.ok(
        fields.some((field) => field?.startsWith(name)),
        `${name} not reported in ${error.message}`,
      );
    }
  });

  test('TRIAGE_PROVIDERS is parsed in order, trimmed and case-insensitive; empty strings count as unset', () => {
    const config = loadConfig({ TRIAGE_PROVIDERS: ' Groq , rules ', GROQ_API_KEY: '  ', PORT: '' });
    assert.deepEqual(config.providers, ['groq', 'rules']);
    assert.equal(config.groq.apiKey, null);
    assert.equal(config.port, 3000);
  });

  test('TRUST_PROXY: off by default; true, a hop count or addresses as given', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.equal(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy, '10.0.0.0/8,127.0.0.1');
  });

  test('NOTIFY=discord without a webhook URL is refused even in development', () => {
    assert.match(configError({ NOTIFY: 'discord' }).message, /DISCORD_WEBHOOK_URL: required when NOTIFY=discord/);
  });

  test('catch-up sweep: every 15 minutes over 24 hours by default; 0 disables; bounds are named', () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.catchUp, { intervalMinutes: 15, lookbackHours: 24 });
    assert.equal(defaults.hubspot.portalId, null);
    const set = loadConfig({
      CATCH_UP_INTERVAL_MINUTES: '0',
      CATCH_UP_LOOKBACK_HOURS: '168',
      HUBSPOT_PORTAL_ID: ' 62515 ',
    });
    assert.deepEqual(set.catchUp, { intervalMinutes: 0, lookbackHours: 168 });
    assert.equal(set.hubspot.portalId, '62515');
    assert.equal(loadConfig({ CATCH_UP_INTERVAL_MINUTES: '1440' }).catchUp.intervalMinutes, 1440);
    const error = configError({
      CATCH_UP_INTERVAL_MINUTES: '1441',
      CATCH_UP_LOOKBACK_HOURS: '0',
      HUBSPOT_PORTAL_ID: 'acme',
    });
    assert.deepEqual(error.problems, [
      'HUBSPOT_PORTAL_ID: must be digits',
      'CATCH_UP_INTERVAL_MINUTES: must be between 0 and 1440',
      'CATCH_UP_LOOKBACK_HOURS: must be between 1 and 168',
    ]);
    for (const value of ['-5', '1.5', 'often']) {
      assert.match(configError({ CATCH_UP_INTERVAL_MINUTES: value }).message, /CATCH_UP_INTERVAL_MINUTES: must be/);
    }
    assert.match(configError({ CATCH_UP_LOOKBACK_HOURS: '169' }).message, /CATCH_UP_LOOKBACK_HOURS: must be between/);
  });

  test('a catch-up window shorter than the interval is refused, unless the sweep is off', () => {
    assert.deepEqual(configError({ CATCH_UP_INTERVAL_MINUTES: '120', CATCH_UP_LOOKBACK_HOURS: '1' }).problems, [
      'CATCH_UP_LOOKBACK_HOURS: must cover CATCH_UP_INTERVAL_MINUTES (tickets between sweeps are missed)',
    ]);
    assert.equal(
      loadConfig({ CATCH_UP_INTERVAL_MINUTES: '60', CATCH_UP_LOOKBACK_HOURS: '1' }).catchUp.lookbackHours,
      1,
    );
    assert.equal(
      loadConfig({ CATCH_UP_INTERVAL_MINUTES: '0', CATCH_UP_LOOKBACK_HOURS: '1' }).catchUp.intervalMinutes,
      0,
    );
  });

  test('a catch-up window longer than retention is refused: purged tickets would look never seen', () => {
    assert.deepEqual(configError({ RETENTION_DAYS: '1', CATCH_UP_LOOKBACK_HOURS: '25' }).problems, [
      'CATCH_UP_LOOKBACK_HOURS: must not reach back further than RETENTION_DAYS keeps processed tickets',
    ]);
    assert.equal(loadConfig({ RETENTION_DAYS: '1', CATCH_UP_LOOKBACK_HOURS: '24' }).catchUp.lookbackHours, 24);
    assert.equal(loadConfig({ RETENTION_DAYS: '7', CATCH_UP_LOOKBACK_HOURS: '168' }).catchUp.lookbackHours, 168);
    const off = { RETENTION_DAYS: '1', CATCH_UP_LOOKBACK_HOURS: '48', CATCH_UP_INTERVAL_MINUTES: '0' };
    assert.equal(loadConfig(off).catchUp.intervalMinutes, 0);
  });
});

describe('describeConfig', () => {
  test('masks every secret and the credentials inside URLs', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://user:hunter2@db:5432/triage',
      HUBSPOT_WEBHOOK_TOKEN: 'webhook-token-0123456789',
      HUBSPOT_CLIENT_SECRET: 'client-secret-value',
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-secret',
      LOCAL_LLM_TOKEN: 'ollama-bearer',
      CF_ACCESS_CLIENT_ID: 'cf-id',
      CF_ACCESS_CLIENT_SECRET: 'cf-secret-value',
      GROQ_API_KEY: 'gsk_live_value',
      DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/123/discord-secret-token',
      ADMIN_TOKEN: 'admin-token-0123456789',
    });
    const printed = JSON.stringify(describeConfig(config));
    for (const secret of [
      'hunter2',
      'webhook-token-0123456789',
      'client-secret-value',
      'pat-na1-secret',
      'ollama-bearer',
      'cf-secret-value',
      'gsk_live_value',
      'discord-secret-token',
      'admin-token-0123456789',
    ]) {
      assert.ok(!printed.includes(secret), `${secret} leaked: ${printed}`);
    }
    assert.ok(printed.includes('db:5432'));
    assert.ok(printed.includes('https://discord.com/api/webhooks/123/***'));
  });

  test('cost guards and SOP knowledge: defaults, parsed values, and bad values named', () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.cost, {
      shortCircuit: true,
      cloudDailyTokenBudget: null,
      cloudPricePerMillionTokens: null,
    });
    assert.deepEqual(defaults.sop, { file: null, dir: null, tokenBudget: 1000, topK: 3 });
    const set = loadConfig({
      TRIAGE_SHORT_CIRCUIT: 'false',
      CLOUD_DAILY_TOKEN_BUDGET: '200000',
      CLOUD_PRICE_PER_MILLION_TOKENS: '0.59',
      SOP_DIR: 'sops',
      SOP_TOKEN_BUDGET: '0',
      SOP_TOP_K: '5',
    });
    assert.deepEqual(set.cost, {
      shortCircuit: false,
      cloudDailyTokenBudget: 200_000,
      cloudPricePerMillionTokens: 0.59,
    });
    assert.deepEqual(set.sop, { file: null, dir: 'sops', tokenBudget: 0, topK: 5 });
    const error = configError({
      TRIAGE_SHORT_CIRCUIT: 'maybe',
      CLOUD_DAILY_TOKEN_BUDGET: '0',
      CLOUD_PRICE_PER_MILLION_TOKENS: '-1',
      SOP_TOP_K: '50',
    });
    assert.deepEqual(error.problems.map((p) => p.split(':')[0]).sort(), [
      'CLOUD_DAILY_TOKEN_BUDGET',
      'CLOUD_PRICE_PER_MILLION_TOKENS',
      'SOP_TOP_K',
      'TRIAGE_SHORT_CIRCUIT',
    ]);
  });

  test('the LLM security check: off by default, on/off (and true/false) parsed, its timeout bounded', () => {
    assert.deepEqual(loadConfig({}).securityCheck, { enabled: false, timeoutMs: 5000 });
    assert.deepEqual(loadConfig({ SECURITY_LLM_CHECK: 'on' }).securityCheck, { enabled: true, timeoutMs: 5000 });
    assert.equal(loadConfig({ SECURITY_LLM_CHECK: 'true' }).securityCheck.enabled, true);
    assert.equal(loadConfig({ SECURITY_LLM_CHECK: 'off' }).securityCheck.enabled, false);
    assert.equal(loadConfig({ SECURITY_LLM_CHECK_TIMEOUT_MS: '2500' }).securityCheck.timeoutMs, 2500);
    const error = configError({ SECURITY_LLM_CHECK: 'sometimes', SECURITY_LLM_CHECK_TIMEOUT_MS: '99' });
    assert.deepEqual(error.problems.map((p) => p.split(':')[0]).sort(), [
      'SECURITY_LLM_CHECK',
      'SECURITY_LLM_CHECK_TIMEOUT_MS',
    ]);
  });
});
