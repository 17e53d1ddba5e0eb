import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakeDiscord } from '../fakes/discord.ts';
import { ollamaChat, startFakeOllama } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { cleanEnv, jsonLine, spawnService } from '../helpers/process.ts';

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(() => tdb.drop());

test('SIGTERM while a job is waiting on the LLM: readiness drops, the job finishes and notifies, then exit 0', async () => {
  const ollama = await startFakeOllama();
  const discord = await startFakeDiscord();
  const token = 'shutdown-test-token-0123';
  const service = spawnService(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'serve'],
    cleanEnv({
      DATABASE_URL: tdb.url,
      PORT: '0',
      HUBSPOT_WEBHOOK_TOKEN: token,
      TRIAGE_PROVIDERS: 'local',
      LOCAL_LLM_URL: ollama.url,
      DISCORD_WEBHOOK_URL: discord.webhook.url,
      LOG_LEVEL: 'info',
    }),
  );
  try {
    const url = String(jsonLine(await service.waitForLine((l) => jsonLine(l)?.msg === 'service started'))?.url);
    // The model answers only after 1.5 s, so the job is in flight when the signal arrives.
    ollama.enqueue({ ...(ollamaChat(validOutput()) as object), delayMs: 1500 });
    const response = await fetch(`${url}/webhook/hubspot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-token': token },
      body: JSON.stringify({ ticket_id: 'sd-1', subject: 'Slow export', content: 'Export takes forever' }),
    });
    assert.equal(response.status, 200);
    await ollama.waitForRequests(1);

    service.child.kill('SIGTERM');
    await service.waitForLine((l) => jsonLine(l)?.msg === 'shutting down');
    const ready = await fetch(`${url}/health/ready`).catch(() => null);
    // Either the server already stopped listening, or it reports that it is draining: never "ready".
    if (ready) assert.equal(ready.status, 503);

    const exit = await service.waitForExit(30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, service.stderr());
    assert.equal(discord.requests.length, 1, 'the in-flight ticket was notified before the process exited');
    const { rows } = await tdb.pool.query("select status from processed_tickets where ticket_id = 'sd-1'");
    assert.deepEqual(rows, [{ status: 'posted' }]);
  } finally {
    service.killGroup();
    await ollama.close();
    await discord.close();
  }
});
