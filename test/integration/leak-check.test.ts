// The checks every test file runs under prove themselves on files made to fail: test/fixtures/leaks/ holds a file
// that leaves a server listening, one that leaves a pool open, one that leaves a graphile-worker pool running, one
// that drops its database with a connection still open, and one that closes everything. Each runs as its own
// `node --test` with the leak check loaded, as scripts/test.ts runs every file.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cleanEnv, spawnService } from '../helpers/process.ts';

const LEAK_CHECK = new URL('../helpers/leak-check.ts', import.meta.url).href;

interface Outcome {
  code: number | null;
  output: string;
}

/** Runs one case file under node's test runner, as scripts/test.ts does, and returns its exit code and output. */
async function runCase(name: string): Promise<Outcome> {
  const file = `test/fixtures/leaks/${name}.ts`;
  const env: Record<string, string> = {};
  for (const key of ['TEST_SERVER_URL', 'TEST_TEMPLATE_DB', 'TEST_RUN_ID', 'DATABASE_URL'] as const) {
    const value = process.env[key];
    if (value) env[key] = value;
  }
  // A clean environment: NODE_TEST_CONTEXT from this file's own runner would make the child report in its wire format.
  const child = spawnService(
    process.execPath,
    ['--import', 'tsx', '--import', LEAK_CHECK, '--test', '--test-reporter=spec', file],
    cleanEnv(env),
  );
  try {
    const { code } = await child.waitForExit(90_000);
    return { code, output: `${child.lines.join('\n')}\n${child.stderr()}` };
  } finally {
    child.killGroup();
  }
}

describe('leak check', { concurrency: true }, () => {
  test('a file that leaves a server listening fails, naming the server', async () => {
    const { code, output } = await runCase('server');
    assert.equal(code, 1, output);
    assert.match(output, /leak check: test\/fixtures\/leaks\/server\.ts left open after its tests/);
    assert.match(output, /- a server listening on 127\.0\.0\.1:\d+/);
  });

  test('a file that leaves a pool open fails, naming the connection and its database', async () => {
    const { code, output } = await runCase('pool');
    assert.equal(code, 1, output);
    assert.match(output, /leak check: test\/fixtures\/leaks\/pool\.ts left open after its tests/);
    assert.match(output, /- a PostgreSQL connection to database \w+ \(leak-case-pool\)/);
  });

  test('a file that leaves a graphile-worker pool running fails, naming it', async () => {
    const { code, output } = await runCase('worker');
    assert.equal(code, 1, output);
    assert.match(output, /leak check: test\/fixtures\/leaks\/worker\.ts left open after its tests/);
    assert.match(output, /- a running graphile-worker pool/);
    assert.match(output, /- a PostgreSQL connection to database triage_test_\w+ \(triage-test\)/);
  });

  test('a file that closes what it opened passes', async () => {
    const { code, output } = await runCase('clean');
    assert.equal(code, 0, output);
    assert.doesNotMatch(output, /leak check/);
  });
});

describe('test database drop', () => {
  test('a connection still open when the database is dropped fails the file, naming the database', async () => {
    const { code, output } = await runCase('connection');
    assert.equal(code, 1, output);
    assert.match(
      output,
      /test database triage_test_\w+ still has 1 open connection\(s\) when dropped \(drop-case-client pid \d+\)/,
    );
  });
});
