// `triage eval --provider local` against the fake Ollama, scripted per ticket, through the command and the service's
// own wiring (loadConfig → createChainFromConfig): the report must hold exactly the numbers computed by hand below,
// including a ticket repaired on the second call, one still invalid after the repair, and one the guard escalated.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { runEvalCommand } from '../../src/eval/command.ts';
import type { EvalReport } from '../../src/eval/report.ts';
import { createChainFromConfig } from '../../src/pipeline/wiring.ts';
import { type FakeOllama, ollamaChat, type ScriptedReply, startFakeOllama } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import { captureLogger } from '../helpers/logger.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/eval-small.jsonl', import.meta.url));
const REPAIR_OPENING = 'Your previous answer was not a valid triage object.';

const answer = (
  fields: { priority: string; handling_mode: string; action: string },
  promptEvalCount: number,
  evalCount: number,
) =>
  ollamaChat(
    {
      ...validOutput(),
      priority: fields.priority,
      handling_mode: fields.handling_mode,
      recommended_internal_action: fields.action,
    },
    { promptEvalCount, evalCount },
  );

// Per ticket (keyed by the marker in its subject): the first answer, and the answer to the repair request if any.
const SCRIPT: Record<string, { first: ScriptedReply; repair?: ScriptedReply }> = {
  // Valid: medium / reply_and_internal_followup / Create bug report — passes, exact.
  E1: {
    first: answer(
      { priority: 'medium', handling_mode: 'reply_and_internal_followup', action: 'Create bug report' },
      100,
      10,
    ),
  },
  // Valid but wrong: low / reply_only / None. The guard sees "vulnerability" and raises it to high,
  // reply_and_internal_followup, Escalate to security — passes, exact (high is listed first).
  E2: { first: answer({ priority: 'low', handling_mode: 'reply_only', action: 'None' }, 200, 20) },
  // Invalid first (priority "P2"), valid after the repair: low / reply_only / None — passes, exact, schema repaired.
  E3: {
    first: ollamaChat({ ...validOutput(), priority: 'P2' }, { promptEvalCount: 300, evalCount: 30 }),
    repair: answer({ priority: 'low', handling_mode: 'reply_only', action: 'None' }, 310, 31),
  },
  // Valid: critical / reply_and_internal_followup / Escalate to engineering — passes (critical acceptable), not exact.
  E4: {
    first: answer(
      { priority: 'critical', handling_mode: 'reply_and_internal_followup', action: 'Escalate to engineering' },
      400,
      40,
    ),
  },
  // Prose, then still invalid after the repair: the chain fails (invalid_output), no output, tokens not reported.
  E5: {
    first: ollamaChat('Sorry, I cannot produce JSON today.', { promptEvalCount: 500, evalCount: 50 }),
    repair: ollamaChat('{"priority":"urgent"}', { promptEvalCount: 510, evalCount: 51 }),
  },
  // Valid but wrong: critical / reply_only / Escalate to security on a feature request. The guard keeps the escalation
  // (it never lowers one) but nothing corroborates critical (no outage, incident or data loss), so it becomes high.
  E6: { first: answer({ priority: 'critical', handling_mode: 'reply_only', action: 'Escalate to security' }, 600, 60) },
};

let ollama: FakeOllama;
before(async () => {
  ollama = await startFakeOllama();
  ollama.setDefault((request) => {
    const messages = (request.body as { messages: { content: string }[] }).messages;
    const user = messages[1]!.content;
    const marker = /Subject: (E\d) /.exec(user)?.[1];
    const script = marker ? SCRIPT[marker] : undefined;
    if (!script) return { status: 500, json: { error: 'fake ollama: unknown ticket' } };
    return user.startsWith(REPAIR_OPENING)
      ? (script.repair ?? { status: 500, json: { error: 'no repair' } })
      : script.first;
  });
});
after(() => ollama.close());

test('eval --provider local reports exactly the hand-computed numbers', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const log = captureLogger();
  const config = loadConfig({ LOCAL_LLM_URL: ollama.url, LOCAL_LLM_TIMEOUT_MS: '10000', GROQ_API_KEY: 'gsk_unused' });
  const code = await runEvalCommand(
    { provider: 'local', model: 'fake-model:1b', file: FIXTURE, concurrency: '3', json: true },
    [],
    {
      config,
      logger: log.logger,
      createChain: createChainFromConfig,
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t), isTTY: false },
    },
  );
  assert.equal(code, 0, err.join(''));
  const report = JSON.parse(out.join('')) as EvalReport;

  // Only the local provider was called (8 calls: six tickets, two repairs), with the overriding model.
  assert.equal(ollama.requests.length, 8);
  assert.ok(ollama.requests.every((r) => (r.body as { model: string }).model === 'fake-model:1b'));
  assert.deepEqual(report.providers, ['local']);
  assert.equal(report.provider, 'local');
  assert.equal(report.file_sha256.length, 64);

  const rates = (split: 'all' | 'main' | 'heldout') =>
    Object.fromEntries(Object.entries(report.splits[split].metrics).map(([k, r]) => [k, [r.hits, r.total]]));
  // By hand, all six (t901..t906 = E1..E6):
  //   exact: E1 medium=medium, E2 high=high (after the guard), E3 low=low; E4 critical≠high, E5 none, E6 high≠low → 3/6
  //   acceptable: E1, E2, E3, E4 → 4/6          handling mode: all but E5 (E6's reply_only is listed) → 5/6
  //   action: E1, E2, E3, E4 → 4/6              security recall: labelled {E2}, escalated → 1/1
  //   security precision: escalated {E2, E6}, labelled security {E2} → 1/2
  //   false critical: lists without critical {E1, E3, E5, E6}, output critical among them: none (E6's uncorroborated
  //   critical became high; E4's stands, a whole team's 502s) → 0/4
  //   schema: all six answered (E5 invalidly); valid at once E1, E2, E4, E6 → 4/6; after repair + E3 → 5/6
  assert.deepEqual(rates('all'), {
    priority_exact: [3, 6],
    priority_acceptable: [4, 6],
    handling_mode: [5, 6],
    action: [4, 6],
    security_recall: [1, 1],
    security_precision: [1, 2],
    false_critical_rate: [0, 4],
    schema_valid_before_repair: [4, 6],
    schema_valid_after_repair: [5, 6],
  });
  assert.equal(report.splits.all.metrics.priority_exact.value, 0.5);
  assert.equal(report.splits.all.metrics.false_critical_rate.value, 0);
  // main = E1..E4: exact E1, E2, E3 → 3/4; everything else passes; no critical where it is not listed (E1, E3) → 0/2;
  // valid at once E1, E2, E4 → 3/4, after repair 4/4.
  assert.deepEqual(rates('main'), {
    priority_exact: [3, 4],
    priority_acceptable: [4, 4],
    handling_mode: [4, 4],
    action: [4, 4],
    security_recall: [1, 1],
    security_precision: [1, 1],
    false_critical_rate: [0, 2],
    schema_valid_before_repair: [3, 4],
    schema_valid_after_repair: [4, 4],
  });
  // heldout = E5, E6: nothing exact or acceptable; mode E6 → 1/2; no security ticket → recall 0/0 (null);
  // escalated {E6} not security → 0/1; false critical {E5, E6} → none → 0/2; schema E6 valid, E5 invalid → 1/2, 1/2.
  assert.deepEqual(rates('heldout'), {
    priority_exact: [0, 2],
    priority_acceptable: [0, 2],
    handling_mode: [1, 2],
    action: [0, 2],
    security_recall: [0, 0],
    security_precision: [0, 1],
    false_critical_rate: [0, 2],
    schema_valid_before_repair: [1, 2],
    schema_valid_after_repair: [1, 2],
  });
  assert.equal(report.splits.heldout.metrics.security_recall.value, null);

  // Tokens of kept answers: E1 100/10 + E2 200/20 + E3 (300+310)/(30+31) + E4 400/40 + E6 600/60; E5's are not reported.
  assert.deepEqual(report.splits.all.tokens, { prompt: 1910, completion: 191 });
  assert.deepEqual(report.splits.heldout.tokens, { prompt: 600, completion: 60 });
  assert.equal(report.splits.all.errors, 1);
  assert.deepEqual(report.splits.all.errors_by_class, { invalid_output: 1 });
  assert.deepEqual(report.splits.all.by_provider, { local: 5 });
  // Rows: expected (first listed) E1 medium, E2 high, E3 low, E4 high, E5 low, E6 low.
  assert.deepEqual(report.splits.all.confusion, {
    low: { low: 1, medium: 0, high: 1, critical: 0, none: 1 },
    medium: { low: 0, medium: 1, high: 0, critical: 0, none: 0 },
    high: { low: 0, medium: 0, high: 1, critical: 1, none: 0 },
    critical: { low: 0, medium: 0, high: 0, critical: 0, none: 0 },
  });
  const p50 = report.splits.all.latency_ms.p50!;
  const p95 = report.splits.all.latency_ms.p95!;
  assert.ok(p50 >= 0 && p95 >= p50, `p50 ${p50} p95 ${p95}`);

  const byId = Object.fromEntries(report.tickets.map((t) => [t.id, t]));
  assert.deepEqual(
    report.tickets.map((t) => t.id),
    ['t901', 't902', 't903', 't904', 't905', 't906'],
    'file order kept despite concurrency',
  );
  assert.deepEqual(
    report.tickets.map((t) => t.schema),
    ['valid', 'valid', 'repaired', 'valid', 'invalid', 'valid'],
  );
  assert.deepEqual(byId.t902!.got, {
    priority: 'high',
    handling_mode: 'reply_and_internal_followup',
    action: 'Escalate to security',
    escalated: true,
  });
  assert.equal(byId.t905!.got, null);
  assert.equal(byId.t905!.error, 'invalid_output');
  // Non-TTY progress: one line at the end (fewer than 50 tickets); the report is on stdout only.
  assert.deepEqual(err, ['eval: 6/6 tickets (1 without output)\n']);
});

test('the text report shows the same numbers, the confusion matrix and the two misses', async () => {
  ollama.requests.length = 0;
  const out: string[] = [];
  const config = loadConfig({ LOCAL_LLM_URL: ollama.url });
  const code = await runEvalCommand({ provider: 'local', file: FIXTURE, concurrency: '1' }, [], {
    config,
    logger: captureLogger().logger,
    createChain: createChainFromConfig,
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: () => {}, isTTY: true },
  });
  assert.equal(code, 0);
  const text = out.join('');
  assert.match(text, /^priority exact\s+50\.0 % \(3\/6\)\s+75\.0 % \(3\/4\)\s+0\.0 % \(0\/2\)$/m);
  assert.match(text, /^false critical rate\s+0\.0 % \(0\/4\)\s+0\.0 % \(0\/2\)\s+0\.0 % \(0\/2\)$/m);
  assert.match(text, /^security recall\s+100\.0 % \(1\/1\)\s+100\.0 % \(1\/1\)\s+-$/m);
  assert.match(text, /^low\s+1\s+0\s+1\s+0\s+1$/m);
  assert.match(text, /^Misses: 2 of 6 tickets/m);
  assert.match(text, /^ {2}t905\s+heldout\s+billing\s+no output \(invalid_output\)$/m);
  assert.match(
    text,
    /^ {2}t906 .*priority high \(want low\|medium\); action Escalate to security \(want Create feedback ticket\); escalated to security \(not security\)$/m,
  );
  assert.doesNotMatch(text, /E1 CSV export|dana@example\.com/, 'no ticket text in the report');
});
