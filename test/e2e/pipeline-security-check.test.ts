// The LLM security check (SECURITY_LLM_CHECK) through the real `serve` process: webhook → queue → worker → chain
// (fake Ollama answering both the triage and the check) → guard → fake Discord. With the check on, a low how-to the
// signals let pass is escalated on the model's yes, and the embed says the LLM check is why; a ticket the signals
// escalate stays escalated (the check is not even asked); with the check off, no check request reaches the LLM.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ticketTextOf } from '../fakes/gullible-llm.ts';
import { type FakeOllama, ollamaChat, type RecordedRequest, startFakeOllama } from '../fakes/ollama.ts';
import { isSecurityCheck, securityVerdict } from '../fakes/security-check.ts';
import { validOutput } from '../fixtures/triage.ts';
import { validateDiscordPayload } from '../helpers/discord-validator.ts';
import {
  payloadOf,
  postDelivery,
  type RunningService,
  type RunRow,
  runsFor,
  specDelivery,
  usePipeline,
  waitForMessages,
  waitForTicket,
} from '../helpers/pipeline.ts';

const HOW_TO = { subject: 'Report header colour', content: 'How do I change the colour of the report header?' };
const FLAGGED = {
  subject: 'Security vulnerability in login',
  content: 'The login form is vulnerable to SQL injection: a quote in the user name field returns a database error.',
};
const YES_REASON = 'the customer may be reading the reports of another company';

/** The fake model: a low how-to for every triage; on the check, yes for the how-to and no for anything else. */
function answer(request: RecordedRequest) {
  if (!isSecurityCheck(request)) {
    return ollamaChat(
      validOutput({
        priority: 'low',
        handling_mode: 'reply_only',
        recommended_internal_action: 'None',
        asana_ticket_type_if_needed: 'None',
      }),
    );
  }
  const howTo = ticketTextOf(request).includes(HOW_TO.subject);
  const verdict = howTo ? securityVerdict(true, YES_REASON) : securityVerdict(false, 'a routine question');
  return ollamaChat(verdict, { promptEvalCount: 310, evalCount: 24 });
}

let ollamaOff: FakeOllama;
let on: RunningService;
let off: RunningService;

// The tests read the database, fake Ollama and Discord from `pipeline` (set before they run).
const pipeline = usePipeline(async (p) => {
  ollamaOff = p.closeAfter(await startFakeOllama());
  p.ollama.setDefault(answer);
  ollamaOff.setDefault(answer);
  // Each service on its own database, so neither takes the other's jobs.
  const offDatabase = await p.database();
  [on, off] = await Promise.all([
    p.start({ SECURITY_LLM_CHECK: 'on' }),
    p.start({ LOCAL_LLM_URL: ollamaOff.url }, offDatabase),
  ]);
});

/** The fake's requests about the ticket with `subject`: triage and check apart. */
function requestsAbout(fake: FakeOllama, subject: string) {
  const about = fake.requests.filter((r) => ticketTextOf(r).includes(subject));
  return { triage: about.filter((r) => !isSecurityCheck(r)).length, check: about.filter(isSecurityCheck).length };
}

async function messageFor(id: string) {
  const [request] = await waitForMessages(pipeline.discord, id);
  const payload = payloadOf(request!);
  assert.deepEqual(validateDiscordPayload(payload), []);
  const embed = payload.embeds![0]!;
  return { payload, embed, fields: new Map(embed.fields?.map((f) => [f.name, f.value])) };
}

const metricsOf = async (service: RunningService) => (await fetch(`${service.url}/metrics`)).text();

describe('SECURITY_LLM_CHECK=on', () => {
  test("a low how-to the signals let pass is escalated on the check's yes; the embed names the LLM check", async () => {
    const id = 'LLMCHECK-1';
    assert.equal((await postDelivery(on.url, specDelivery(id, HOW_TO))).status, 200);
    const { payload, embed, fields } = await messageFor(id);
    assert.equal(fields.get('Priority'), 'High', 'the model said low');
    assert.equal(fields.get('Internal Action'), 'Escalate to security');
    assert.match(embed.title ?? '', /🛡️/);
    assert.ok(payload.content?.includes('SECURITY ESCALATION RECOMMENDED'));
    assert.equal(fields.get('Why Security'), `• LLM security check (local): ${YES_REASON}`);
    assert.match(embed.footer?.text ?? '', /^Triaged via local/);
    assert.deepEqual(requestsAbout(pipeline.ollama, HOW_TO.subject), { triage: 1, check: 1 });

    await waitForTicket(pipeline.tdb.pool, id, 'posted');
    const [run] = await runsFor(pipeline.tdb.pool, id);
    const timings = run?.timings as RunRow['timings'] & { securityCheck?: Record<string, unknown> };
    assert.equal(timings.securityCheck?.result, 'yes');
    assert.equal(timings.securityCheck?.provider, 'local');
    assert.match(await metricsOf(on), /^triage_security_checks_total\{result="yes"\} 1$/m);
  });

  test('a ticket the signals escalate stays escalated: the check, which would say no, is not even asked', async () => {
    const id = 'LLMCHECK-2';
    assert.equal((await postDelivery(on.url, specDelivery(id, FLAGGED))).status, 200);
    const { fields } = await messageFor(id);
    assert.match(fields.get('Priority') ?? '', /^(?:High|Critical)$/);
    assert.equal(fields.get('Internal Action'), 'Escalate to security');
    assert.match(fields.get('Why Security') ?? '', /^• signals scored \d/);
    assert.doesNotMatch(fields.get('Why Security') ?? '', /LLM security check/);
    assert.deepEqual(requestsAbout(pipeline.ollama, FLAGGED.subject), { triage: 1, check: 0 });
    assert.doesNotMatch(await metricsOf(on), /^triage_security_checks_total\{result="no"\}/m);
  });
});

describe('SECURITY_LLM_CHECK unset (off)', () => {
  test('no check request reaches the LLM; the how-to stays low', async () => {
    const id = 'LLMCHECK-3';
    assert.equal((await postDelivery(off.url, specDelivery(id, HOW_TO))).status, 200);
    const { fields } = await messageFor(id);
    assert.equal(fields.get('Priority'), 'Low');
    assert.equal(fields.get('Internal Action'), 'None');
    assert.equal(fields.has('Why Security'), false);
    assert.equal(ollamaOff.requests.length, 1);
    assert.equal(ollamaOff.requests.filter(isSecurityCheck).length, 0);
    assert.doesNotMatch(await metricsOf(off), /^triage_security_checks_total\{/m);
  });
});
