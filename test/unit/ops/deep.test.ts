// The model self-test against the fake Ollama: the two fixed tickets go out as the pipeline sends them, without a
// repair call; the report says per ticket whether the answer kept to the schema, and judges the model by it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findFreePort } from '../../../src/db/embedded.ts';
import { SELF_TEST_TICKETS, selfTest } from '../../../src/ops/deep.ts';
import { createOllamaProvider } from '../../../src/triage/providers/ollama.ts';
import { type FakeOllama, ollamaChat, startFakeOllama } from '../../fakes/ollama.ts';
import { validOutput } from '../../fixtures/triage.ts';

let ollama: FakeOllama;
before(async () => {
  ollama = await startFakeOllama();
});
after(() => ollama.close());

const provider = (url: string) => createOllamaProvider({ url, model: 'llama3.1:8b', timeoutMs: 2_000 });

test('every answer valid and as a person would judge: ok, with latency and verdict per ticket', async () => {
  const sent = ollama.requests.length;
  ollama.enqueue(
    ollamaChat(validOutput({ priority: 'high', recommended_internal_action: 'Escalate to security' })),
    ollamaChat(validOutput({ priority: 'low' })),
  );
  const outcome = await selfTest(provider(ollama.url));
  assert.equal(outcome.status, 'ok');
  assert.equal(outcome.detail, 'local (llama3.1:8b): 2 of 2 answers schema-valid without repair');
  assert.match(
    outcome.lines?.[0] ?? '',
    /^security report: schema-valid in \d+ ms: high \/ .* \/ Escalate to security$/,
  );
  assert.equal(ollama.requests.length - sent, SELF_TEST_TICKETS.length);
});

test("a verdict unlike a person's is noted; no answer valid is a failure with the fix", async () => {
  ollama.enqueue(ollamaChat(validOutput({ priority: 'low' })), ollamaChat('Sure! The priority is low.'));
  const outcome = await selfTest(provider(ollama.url));
  assert.equal(outcome.status, 'warn');
  assert.match(outcome.lines?.[0] ?? '', /\(expected high or critical and Escalate to security\)$/);
  assert.match(outcome.lines?.[1] ?? '', /NOT schema-valid .*no JSON object found/);

  ollama.enqueue(ollamaChat('{"priority":"urgent"}'), ollamaChat('no'));
  const none = await selfTest(provider(ollama.url));
  assert.equal(none.status, 'fail');
  assert.match(none.fix ?? '', /does not keep to the JSON schema/);
});

test('a model that does not answer: fail, each ticket saying why', async () => {
  const outcome = await selfTest(provider(`http://127.0.0.1:${await findFreePort()}`));
  assert.equal(outcome.status, 'fail');
  assert.match(outcome.lines?.[0] ?? '', /^security report: no answer after \d+ ms/);
  assert.match(outcome.fix ?? '', /without --deep/);
});
