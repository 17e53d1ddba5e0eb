// The container files, checked on every run: the Dockerfile's promises (Node 24, production dependencies only, a
// non-root user, a readiness HEALTHCHECK, node as PID 1) and compose.yaml's environment against the configuration's
// own production rules. Where a Docker daemon answers, the image is also built and started until it is ready.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { PROJECT_ROOT } from '../helpers/process.ts';

const dockerfile = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'));
const compose = parse(readFileSync(join(PROJECT_ROOT, 'compose.yaml'), 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      environment?: Record<string, string>;
      profiles?: string[];
      depends_on?: Record<string, { condition: string }>;
    }
  >;
};

test('Dockerfile: Node 24, production dependencies only, a non-root user, readiness HEALTHCHECK, exec-form CMD', () => {
  assert.match(instructions[0] ?? '', /^FROM node:24[-.\w]*$/);
  assert.ok(instructions.some((line) => /^RUN npm ci --omit=dev\b/.test(line)));
  const user = instructions.filter((line) => line.startsWith('USER ')).at(-1);
  assert.ok(user && !/^USER (root|0)\b/.test(user), `runs as ${user}`);
  assert.match(instructions.find((line) => line.startsWith('HEALTHCHECK')) ?? '', /\/health\/ready/);
  assert.match(instructions.at(-1) ?? '', /^CMD \["node", "--import", "tsx", "src\/main\.ts", "serve"\]$/);
  for (const line of instructions.filter((l) => l.startsWith('COPY '))) {
    const sources = line
      .split(/\s+/)
      .slice(1, -1)
      .filter((word) => !word.startsWith('--'));
    for (const source of sources) assert.ok(existsSync(join(PROJECT_ROOT, source)), `${source} exists`);
  }
  const ignored = readFileSync(join(PROJECT_ROOT, '.dockerignore'), 'utf8').split('\n');
  for (const entry of ['node_modules', '.data', '.git', '.env']) assert.ok(ignored.includes(entry), entry);
});

/** compose's `${VAR:-default}` / `${VAR:?message}` interpolation, with `given` as the shell environment. */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg = '') => {
    if (given[name]) return given[name];
    if (op === '?') throw new Error(`compose refuses to start: ${arg}`);
    return op === '-' ? arg : '';
  });
}

test('compose.yaml: PostgreSQL 16 with a health check, the service waiting for it, Ollama as an optional profile', () => {
  const { postgres, triage, ollama } = compose.services;
  assert.match(postgres?.image ?? '', /^postgres:16\b/);
  assert.equal(triage?.build, '.');
  assert.deepEqual(triage?.depends_on, { postgres: { condition: 'service_healthy' } });
  assert.deepEqual(ollama?.profiles, ['ollama']);
});

test("compose.yaml's service environment passes the production configuration rules, and fails them as it should", () => {
  const environment = compose.services.triage?.environment ?? {};
  const resolve = (given: Record<string, string>) =>
    Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, interpolate(String(value), given)]));
  const tokens = { HUBSPOT_WEBHOOK_TOKEN: 'compose-webhook-token-0123', ADMIN_TOKEN: 'compose-admin-token-0123' };
  assert.throws(() => resolve({}), /set HUBSPOT_WEBHOOK_TOKEN/);

  const printed = loadConfig(resolve({ ...tokens, NOTIFY: 'console' }));
  assert.equal(printed.env, 'production');
  assert.equal(printed.host, '0.0.0.0');
  assert.equal(printed.port, 8080);
  assert.equal(printed.databaseUrl, 'postgres://triage:triage@postgres:5432/triage');
  assert.equal(String(printed.local.url), 'http://ollama:11434');

  const discord = loadConfig(resolve({ ...tokens, DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/abc' }));
  assert.equal(discord.notify.mode, 'discord');
  assert.throws(
    () => loadConfig(resolve(tokens)),
    (error: unknown) => error instanceof ConfigError && /DISCORD_WEBHOOK_URL/.test(error.message),
  );
});

test('the image builds, runs as node and carries its HEALTHCHECK (where a Docker daemon answers)', (t) => {
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
    t.diagnostic('no Docker daemon answers here: the image was not built (the checks above still ran)');
    return;
  }
  execFileSync('docker', ['build', '-q', '-t', 'hubspot-triage:test', PROJECT_ROOT], { stdio: 'inherit' });
  const inspect = JSON.parse(execFileSync('docker', ['image', 'inspect', 'hubspot-triage:test'], { encoding: 'utf8' }));
  assert.equal(inspect[0].Config.User, 'node');
  assert.ok(inspect[0].Config.Healthcheck, 'HEALTHCHECK is set');
});
