// The dashboard in a real browser (Playwright driving Debian's Chromium) against the real service: sign in, send a
// sample ticket from the page, see it posted, open its page, give feedback, see the overview change, replay it.
// Screenshots of the overview and the ticket page go to test-results/. `.ci/run` installs Chromium when missing;
// elsewhere, without Chromium, the file says how to get it and is skipped — in CI (CI set) that is a failure.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeOllama, ollamaChat, startFakeOllama } from '../fakes/ollama.ts';
import { validOutput } from '../fixtures/triage.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { type RunningService, startService, waitForTicket } from '../helpers/pipeline.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN_TOKEN = 'browser-admin-token-0123456789';
const RESULTS = join(process.cwd(), 'test-results');
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs it`);
const skip = available ? false : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

let tdb: TestDatabase;
let ollama: FakeOllama;
let discord: FakeDiscord;
let service: RunningService;
let browser: Browser;
let page: Page;

before(async () => {
  if (!available) return;
  [tdb, ollama, discord] = await Promise.all([createTestDatabase(), startFakeOllama(), startFakeDiscord()]);
  ollama.setDefault(() => ollamaChat(validOutput({ priority: 'high', reply_draft: 'Thanks, we are on it.' })));
  service = await startService(tdb.url, {
    NODE_ENV: 'development',
    ADMIN_TOKEN,
    LOCAL_LLM_URL: ollama.url,
    DISCORD_WEBHOOK_URL: discord.webhook.url,
  });
  // Flags for a closed network and root in a container (see the machine notes): no sandbox, no background fetches.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  mkdirSync(RESULTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  service?.kill();
  await Promise.all([ollama?.close(), discord?.close()]);
  await tdb?.drop();
});

const cardValue = (label: string) =>
  page
    .locator('.card', { has: page.locator('.l', { hasText: label }) })
    .locator('.n')
    .first()
    .textContent();

test('a support lead signs in, sends a sample, sees it posted, gives feedback and replays it', { skip }, async () => {
  // A stranger gets the sign-in form (401); the right token leads back to the page asked for.
  const first = await page.goto(`${service.url}/tickets`);
  assert.equal(first?.status(), 401);
  await page.fill('#token', 'not-the-token');
  await page.click('button:has-text("Sign in")');
  assert.match((await page.locator('.notice.bad').textContent()) ?? '', /not the admin token/);
  await page.fill('#token', ADMIN_TOKEN);
  await page.click('button:has-text("Sign in")');
  await page.waitForURL(`${service.url}/tickets`);
  assert.equal(await page.locator('h1').textContent(), 'Tickets');

  // Send a sample from the page: it goes through the real webhook and lands on the ticket's page.
  await page.click('nav a:has-text("Send a sample")');
  await page.fill('#subject', 'Browser test: export button does nothing');
  await page.click('button:has-text("Send")');
  await page.waitForURL(/\/tickets\/_\/sample-[0-9a-f]{8}$/);
  const ticketUrl = page.url();
  const ticketId = ticketUrl.split('/').pop()!;
  await waitForTicket(tdb.pool, ticketId, 'posted');
  assert.equal(discord.requests.length, 1, 'one Discord message');
  await page.reload();
  assert.equal(await page.locator('dd .tag').first().textContent(), 'posted');
  assert.match((await page.locator('h1').textContent()) ?? '', /export button does nothing/);
  assert.ok(await page.locator('.embed h3').count(), 'the Discord message preview is shown');
  await page.screenshot({ path: join(RESULTS, 'dashboard-ticket.png'), fullPage: true });

  // Feedback, then the overview counts it.
  await page.check('input[name="useful"][value="yes"]');
  await page.selectOption('#fb-priority', 'medium');
  await page.check('input[name="draft"][value="yes"]');
  await page.fill('#fb-note', 'Good call, a bit too high.');
  await page.click('button:has-text("Save feedback")');
  await page.waitForURL(`${ticketUrl}#feedback`);
  assert.match((await page.locator('#feedback').textContent()) ?? '', /Saved useful, would have chosen medium/);
  await page.click('nav a:has-text("Overview")');
  assert.equal(await cardValue('tickets with feedback'), '1');
  assert.equal(await cardValue('useful (acceptance)'), '100 %');
  assert.equal(await cardValue('priority agreement'), '0 %');
  assert.equal(await cardValue('posted'), '1');
  await page.screenshot({ path: join(RESULTS, 'dashboard-overview.png'), fullPage: true });

  // Replay: a posted ticket needs the explicit "post a second message".
  await page.goto(ticketUrl);
  await page.click('button:has-text("Replay")');
  assert.match((await page.locator('.notice').first().textContent()) ?? '', /Already posted/);
  await page.check('input[name="force"]');
  await page.click('button:has-text("Replay")');
  assert.match((await page.locator('.notice').first().textContent()) ?? '', /Queued again/);
  await discord.waitForRequests(2);
  await waitForTicket(tdb.pool, ticketId, 'posted');
  assert.equal(discord.requests.length, 2, 'the replay posted a second message');

  // The phone view has no sideways scroll on the overview.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${service.url}/`);
  const overflow = await page.evaluate<number>(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );
  const widest = await page.evaluate<string>(
    `[...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth && !e.closest('.scroll')).map((e) => e.tagName + '.' + e.className).slice(0, 5).join(' ')`,
  );
  assert.ok(overflow <= 0, `the overview scrolls sideways by ${overflow}px on a phone (${widest})`);
});
