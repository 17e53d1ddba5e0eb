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
});
