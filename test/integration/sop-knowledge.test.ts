// SOP knowledge through the service's own wiring (loadConfig → createChainFromConfig), real PostgreSQL and the fake
// Ollama: SOP_FILE reaches the system prompt cut to SOP_TOKEN_BUDGET; SOP_DIR's three files are indexed, the chunk
// that matches the ticket reaches the prompt inside its delimiters, and the run record lists it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createRunStore } from '../../src/db/run-store.ts';
import { createTicketStore } from '../../src/db/ticket-store.ts';
import { createHubSpotClient } from '../../src/hubspot/client.ts';
import { createDiscordClient } from '../../src/notify/discord-client.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createTriageTask } from '../../src/pipeline/triage-task.ts';
import { createChainFromConfig } from '../../src/pipeline/wiring.ts';
import { REFERENCE_END, TICKET_BEGIN } from '../../src/triage/prompt.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeOllama, ollamaChat, startFakeOllama } from '../fakes/ollama.ts';
import { ticketPayload } from '../fixtures/payloads.ts';
import { makeTicket } from '../fixtures/tickets.ts';
import { validOutput } from '../fixtures/triage.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { captureLogger } from '../helpers/logger.ts';

let tdb: TestDatabase;
let ollama: FakeOllama;
let discord: FakeDiscord;
let dir: string;
before(async () => {
  [tdb, ollama, discord] = await Promise.all([createTestDatabase(), startFakeOllama(), startFakeDiscord()]);
  dir = mkdtempSync(join(tmpdir(), 'triage-sop-'));
  mkdirSync(join(dir, 'sops', 'team'), { recursive: true });
  writeFileSync(
    join(dir, 'sops', 'billing.md'),
    '# Billing\n## Refunds\nA customer charged twice gets a refund of the duplicate charge; check Stripe first.\n## Invoices\nInvoices are sent monthly as PDF.\n',
  );
  writeFileSync(
    join(dir, 'sops', 'exports.md'),
    '# Exports\nCSV exports run in the background; an empty file usually means the list filter matched nobody.\n',
  );
  writeFileSync(
    join(dir, 'sops', 'team', 'security.md'),
    '# Security reports\nForward vulnerability reports to the security on-call; never confirm details to the reporter.\n',
  );
  writeFileSync(join(dir, 'sops', 'notes.txt'), 'not markdown: not indexed');
  writeFileSync(
    join(dir, 'sop-file.md'),
    `General SOP: greet the customer by name.\n${'Filler rule about tone and wording.\n'.repeat(60)}LAST LINE OF THE SOP FILE\n`,
  );
});
after(async () => {
  await Promise.all([ollama?.close(), discord?.close()]);
  await tdb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function configFor(extra: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: tdb.url,
    TRIAGE_PROVIDERS: 'local,rules',
    LOCAL_LLM_URL: ollama.url,
    SOP_FILE: join(dir, 'sop-file.md'),
    SOP_DIR: join(dir, 'sops'),
    SOP_TOKEN_BUDGET: '400',
    SOP_TOP_K: '2',
    ...extra,
  });
}

test('SOP_FILE cut to the budget in the system prompt; the matching SOP_DIR chunk in its delimiters; the run lists it', async () => {
  const log = captureLogger();
  const chain = await createChainFromConfig(configFor(), log.logger, { pool: tdb.pool });
  const indexed = await tdb.pool.query<{ id: string; title: string }>('select id, title from sop_chunks order by id');
  assert.deepEqual(
    indexed.rows.map((r) => r.id),
    ['billing.md#1', 'billing.md#2', 'exports.md#1', 'team/security.md#1'],
  );
  assert.ok(log.lines().some((l) => l.includes('SOP_FILE is longer than its share of SOP_TOKEN_BUDGET')));

  const task = createTriageTask({
    store: createTicketStore(tdb.db),
    runs: createRunStore(tdb.db),
    chain,
    notifier: createDiscordClient({ webhookUrl: discord.webhook.url, serverRetryDelaysMs: [] }),
    hubspot: createHubSpotClient({ accessToken: null }),
    logger: log.logger,
    metrics: createMetrics({ defaultMetrics: false }),
    securityRoleId: null,
    leaseMs: 60_000,
  });
  ollama.enqueue(ollamaChat(validOutput()));
  const ticket = makeTicket({
    ticket_id: 'sop-1',
    subject: 'I was charged twice this month',
    body: 'My card shows a duplicate charge for the same plan. Can I get a refund?',
  });
  await task(ticketPayload(ticket), {
    job: { id: '1', attempts: 1, max_attempts: 8 },
    abortSignal: new AbortController().signal,
  } as never);

  assert.equal(ollama.requests.length, 1);
  const [system, user] = (ollama.requests[0]!.body as { messages: { content: string }[] }).messages.map(
    (m) => m.content,
  );
  assert.match(system!, /General SOP: greet the customer by name\./);
  assert.match(system!, /\[\.\.\. SOP truncated to SOP_TOKEN_BUDGET \.\.\.\]/);
  assert.doesNotMatch(system!, /LAST LINE OF THE SOP FILE/);
  const sopPart = system!.slice(system!.indexOf('General SOP:'));
  assert.ok(sopPart.length <= 200 * 4, `the SOP file gets half of the 400-token budget (${sopPart.length} chars)`);

  const references = user!.slice(0, user!.indexOf(TICKET_BEGIN));
  assert.match(references, /reference material, not instructions/);
  const block =
    /<<<REFERENCE_BEGIN id="billing\.md#1">>>\nTitle: billing\.md › Billing › Refunds\nA customer charged twice gets a refund[^\n]*\n<<<REFERENCE_END>>>/;
  assert.match(references, block);
  assert.doesNotMatch(references, /Forward vulnerability reports/, 'an unrelated SOP is not sent');
  assert.ok(references.split(REFERENCE_END).length - 1 <= 2, 'at most SOP_TOP_K chunks');

  const { rows } = await tdb.pool.query("select sop_chunks from triage_runs where ticket_id = 'sop-1'");
  assert.equal(rows.length, 1);
  const listed = rows[0].sop_chunks as { id: string; title: string }[];
  assert.equal(listed[0]?.id, 'billing.md#1');
  assert.equal(listed[0]?.title, 'billing.md › Billing › Refunds');
});

test('a second start with unchanged files leaves the index alone; an unreadable SOP_DIR names the variable', async () => {
  const log = captureLogger();
  await createChainFromConfig(configFor(), log.logger, { pool: tdb.pool });
  const line = log.lines().find((l) => l.includes('SOP_DIR indexed'));
  assert.match(line ?? '', /"reindexed":false/);
  await assert.rejects(
    createChainFromConfig(configFor({ SOP_DIR: join(dir, 'missing') }), log.logger, { pool: tdb.pool }),
    /^OperatorError: SOP_DIR: cannot read .*missing \(ENOENT\)$/,
  );
  await assert.rejects(
    createChainFromConfig(configFor({ SOP_FILE: join(dir, 'nope.md') }), log.logger, { pool: tdb.pool }),
    /SOP_FILE: cannot read .*nope\.md \(ENOENT\)/,
  );
});
