// `triage eval` as a subprocess: --json over the small fixture with the rules provider (and no database touched),
// --compare of two saved reports (deltas, flips, exit 1 on a regression, 0 without), and its usage errors.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { buildReport, type EvalReport } from '../../src/eval/report.ts';
import { cleanEnv, PROJECT_ROOT } from '../helpers/process.ts';

const execFileAsync = promisify(execFile);
const FIXTURE = join(PROJECT_ROOT, 'test/fixtures/eval-small.jsonl');
let dir: string;
let dataDir: string;

async function triage(args: string[]) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['bin/triage.js', ...args], {
      cwd: PROJECT_ROOT,
      env: cleanEnv({ LOG_LEVEL: 'warn', DATA_DIR: dataDir }),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'triage-eval-cli-'));
  dataDir = join(dir, 'data');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('--json prints a full report on stdout, progress on stderr, and opens no database', async () => {
  const run = await triage(['eval', '--provider', 'rules', '--file', FIXTURE, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as EvalReport;
  assert.equal(report.provider, 'rules');
  assert.equal(report.model, 'rules-v20');
  assert.deepEqual(report.providers, ['rules']);
  assert.equal(report.tickets.length, 6);
  assert.equal(report.splits.main.tickets, 4);
  assert.equal(report.splits.heldout.tickets, 2);
  assert.equal(report.splits.all.metrics.schema_valid_before_repair.value, 1);
  assert.match(run.stderr, /eval: 6\/6 tickets/);
  // The development default would start an embedded PostgreSQL under DATA_DIR: eval must not.
  assert.equal(existsSync(dataDir), false, 'eval created the data directory');
  // a: the run as it came, except that t901 fails on handling mode and action (whatever the rules answer today).
  const a = buildReport(report, [
    ...report.tickets.map((t) =>
      t.id === 't901'
        ? { ...t, got: { priority: 'medium', handling_mode: 'no_action', action: 'None', escalated: false } }
        : t,
    ),
  ]);
  writeFileSync(join(dir, 'a.json'), JSON.stringify(a));

  // b: t903 now fails on priority, t901 now passes; metrics recomputed from those outcomes.
  const b = buildReport(report, [
    ...report.tickets.map((t) => {
      if (t.id === 't903') return { ...t, got: { ...t.got!, priority: 'high' } };
      if (t.id === 't901') {
        return {
          ...t,
          got: {
            priority: 'medium',
            handling_mode: 'reply_and_internal_followup',
            action: 'Create bug report',
            escalated: false,
          },
        };
      }
      return t;
    }),
  ]);
  writeFileSync(join(dir, 'b.json'), JSON.stringify(b));
});

test('--compare prints deltas and flips, and exits 1 on a regression beyond the tolerance', async () => {
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  const worse = await triage(['eval', '--compare', a, b]);
  assert.equal(worse.code, 1, worse.stderr);
  assert.match(worse.stdout, /^Comparing b = .*b\.json against a = .*a\.json/m);
  // priority exact: t903 lost (low → high), t901 stays medium = first listed; acceptable: t903 lost → -16.7 points.
  assert.match(worse.stdout, /^priority acceptable\s+all\s+\S+ %\s+\S+ %\s+-16\.7\s+REGRESSION$/m);
  assert.match(worse.stdout, /^pass → fail \(1\): t903 \[priority\]$/m);
  assert.match(worse.stdout, /^fail → pass \(1\): t901 \[handling_mode, action\]$/m);
  assert.match(worse.stdout, /^Regressions beyond 2\.0 points: .*priority acceptable \(all\)/m);

  const same = await triage(['eval', '--compare', a, a]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /^No regression beyond 2\.0 points\.$/m);
  assert.match(same.stdout, /^pass → fail \(0\)$/m);

  const json = await triage(['eval', '--compare', a, b, '--json']);
  assert.equal(json.code, 1);
  const comparison = JSON.parse(json.stdout) as { regressions: { metric: string }[]; passToFail: { id: string }[] };
  assert.ok(comparison.regressions.some((r) => r.metric === 'priority_acceptable'));
  assert.deepEqual(
    comparison.passToFail.map((f) => f.id),
    ['t903'],
  );
});

test('usage errors exit 2, bad input files exit 1 naming the line and field', async () => {
  const model = await triage(['eval', '--provider', 'rules', '--model', 'x']);
  assert.equal(model.code, 2);
  assert.match(model.stderr, /--model needs --provider local or --provider groq/);
  const provider = await triage(['eval', '--provider', 'gpt']);
  assert.equal(provider.code, 2);
  assert.match(provider.stderr, /--provider must be one of local\|groq\|rules/);
  const one = await triage(['eval', '--compare', join(dir, 'a.json')]);
  assert.equal(one.code, 2);
  assert.match(one.stderr, /--compare takes two reports/);

  const badFile = join(dir, 'bad.jsonl');
  writeFileSync(badFile, '{"id":"t1","split":"main","kind":"bug","ticket":{},"labels":{}}\n');
  const bad = await triage(['eval', '--provider', 'rules', '--file', badFile]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /line 1 \(t1\): ticket\.subject: /);
  const notReport = await triage(['eval', '--compare', badFile, join(dir, 'a.json')]);
  assert.equal(notReport.code, 1);
  assert.match(notReport.stderr, /bad\.jsonl: not an eval report \(--json\): version: /);

  const help = await triage(['eval', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /triage eval --compare a\.json b\.json/);
});
