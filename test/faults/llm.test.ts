// Scenario 5: every LLM misbehaves. The local model (fake Ollama) either never answers (the service's timeout ends the
// call), answers chat content that is not the triage JSON, or answers a body that is not JSON at all; the cloud
// provider refuses connections (a closed port). Every ticket must still fall back to the rules engine and be posted
// exactly once.
import assert from 'node:assert/strict';
import { ollamaChat, type ScriptedReply } from '../fakes/ollama.ts';
import { closedPortUrl, payloadOf, ticketIdOf, withDeadline } from '../helpers/pipeline.ts';
import { answerSummary, startDriver } from './harness/driver.ts';
import { scenarioTest, useFaultRig } from './harness/rig.ts';
import { assertInvariants, count, drain, report } from './harness/tally.ts';

const rig = useFaultRig();

const GARBAGE: ScriptedReply[] = [
  'hang',
  ollamaChat('Sure! Priority: high. The customer seems upset, I would escalate {"priority": '),
  { status: 200, body: '<html><body>502 Bad Gateway (tunnel)</body></html>' },
];

scenarioTest(
  'LLMs hang, refuse and answer garbage: rules fallback, one message per ticket',
  { short: true },
  async () => {
    const fault = 'llm-hang-refuse-garbage';
    const s = await rig.open(fault);
    let calls = 0;
    s.ollama.setDefault(() => GARBAGE[calls++ % GARBAGE.length]!);
    await s.start('serve', {
      TRIAGE_PROVIDERS: 'local,groq,rules',
      LOCAL_LLM_TIMEOUT_MS: '800',
      GROQ_API_KEY: 'gsk_faults_fake_key',
      GROQ_BASE_URL: `${await closedPortUrl()}/openai/v1`,
      GROQ_TIMEOUT_MS: '800',
    });
    const driver = startDriver({ urls: s.serveUrls, firstId: 5_100_000, ratePerSecond: 6, durationMs: 10_000 });
    try {
      const result = await withDeadline(driver.done, 90_000, 'the driver to settle');
      const drained = await drain(s, result.acknowledged, { timeoutMs: 40_000 });
      const posted = s.discord.requests.filter((r) => r.status === 200);
      const notRules = posted.filter((r) => !/^Triaged via rules\b/.test(payloadOf(r).embeds?.[0]?.footer?.text ?? ''));
      const counts = count(fault, s, result, {
        drained,
        extra: {
          via_rules: posted.length - notRules.length,
          ollama_calls: s.ollama.requests.length,
          answers: answerSummary(result.answers),
        },
      });
      report(counts);
      assertInvariants(counts);
      assert.deepEqual(
        notRules.map((r) => `${ticketIdOf(r)}: ${payloadOf(r).embeds?.[0]?.footer?.text}`),
        [],
        'every message came from the rules engine',
      );
    } finally {
      driver.abort();
      await s.close();
    }
  },
);
