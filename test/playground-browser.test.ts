/**
 * The playground in a real browser (Debian's chromium, driven by playwright-core) against the real server
 * serving the demo model: a prompt and a chat, streamed, with the figures shown, through a Bearer key.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ensureDemoModel } from '../src/cli/demo-model.js';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { tinyRandomModel } from './helpers/models.js';
import { fixturesMissing, REPO_ROOT } from './helpers/paths.js';
import { startServer, type TestServer } from './helpers/server.js';

/** Debian's package; CHROMIUM_PATH names another build. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
/** Headless as root in a container; nothing reaches beyond 127.0.0.1. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Committed with UPDATE_SCREENSHOT=1 (docs/playground.png); otherwise left under .cache/. */
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? join(REPO_ROOT, 'docs', 'playground.png')
  : join(REPO_ROOT, '.cache', 'playground.png');
const KEY = 'playground-key';

let server: TestServer;
let context: BrowserContext;
let page: Page;
let scratch: string;
/** Each /v1 request the page sent: its path and Authorization header. */
const sent: { path: string; authorization: string | undefined }[] = [];

before(async () => {
  if (skip) return;
  scratch = await mkdtemp(join(tmpdir(), 'playground-'));
  const demo = await ensureDemoModel(join(scratch, 'models'));
  server = await startServer({ modelDir: demo.dir, apiKeys: [KEY] });
  context = await chromium.launchPersistentContext(join(scratch, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 760 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/v1/'))
      sent.push({ path: pathname, authorization: request.headers().authorization });
  });
});
after(async () => {
  await context?.close();
  await server?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

// What runs in the page is written as source text: the project's types are Node's, not the DOM's.

/** Counts the answer's text updates: more than one means it arrived in pieces, as streamed. */
async function watchAnswer(): Promise<void> {
  await page.evaluate(`
    window.updates = 0;
    new MutationObserver(() => { window.updates++; }).observe(document.getElementById('transcript'),
      { subtree: true, childList: true, characterData: true });
  `);
}

async function answerUpdates(): Promise<number> {
  return page.evaluate<number>('window.updates');
}

/** Submit and wait until the answer has ended (the Send button is enabled again). */
async function submit(): Promise<void> {
  await page.click('#send');
  await page.waitForFunction(
    "!document.getElementById('send').disabled && document.getElementById('tokens').textContent !== '–'",
  );
}

test('a prompt streams the demo model’s greedy text into the page, with TTFT and tokens/s', {
  skip,
}, async () => {
  await page.goto(`${server.url}/playground`);
  await page.fill('#api_key', KEY);
  await page.dispatchEvent('#api_key', 'change');
  await page.waitForFunction("document.getElementById('model').textContent === 'aidreams260K'");
  const reference = fixturesMissing() ? undefined : aidreamsGreedyReference()[0]!;
  await page.fill('#prompt', reference?.prompt ?? 'The machine');
  await page.fill('#temperature', '0');
  await page.fill('#max_tokens', '40');
  await watchAnswer();
  await submit();

  assert.equal(await page.textContent('#error'), '');
  const answer = (await page.textContent('.turn.answer .text')) ?? '';
  if (reference) assert.equal(answer, reference.full_text.slice(reference.prompt.length));
  assert.match(answer, /[a-z]+ [a-z]+/, 'words, not gibberish');
  assert.ok((await answerUpdates()) > 2, 'the answer was written in pieces as it streamed');
  assert.match((await page.textContent('#ttft')) ?? '', /^\d+ ms$/);
  assert.match((await page.textContent('#tps')) ?? '', /^\d+\.\d$/);
  assert.ok(Number(await page.textContent('#tps')) > 0);
  assert.equal(await page.textContent('#tokens'), '40', "the server's usage count");
  assert.match((await page.textContent('#total')) ?? '', /^\d+\.\d\d s$/);
  assert.deepEqual(sent.at(-1), { path: '/v1/completions', authorization: `Bearer ${KEY}` });
  await mkdir(join(SCREENSHOT, '..'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});

test('a chat keeps its turns and sends them to /v1/chat/completions', {
  skip,
}, async () => {
  await page.selectOption('#mode', 'chat');
  // aidreams260K's context is 128 tokens, and the Llama-2 chat template spends many of its 512 pieces.
  await page.fill('#system', 'Dream.');
  await page.fill('#temperature', '0.8');
  await page.fill('#top_p', '0.9');
  await page.fill('#max_tokens', '12');
  for (const message of ['A dream?', 'Then?']) {
    await page.fill('#prompt', message);
    await submit();
    assert.equal(await page.textContent('#error'), '');
  }
  assert.deepEqual(await page.locator('.turn .role').allTextContents(), [
    'user',
    'assistant',
    'user',
    'assistant',
  ]);
  for (const text of await page.locator('.turn .text').allTextContents()) assert.ok(text.length > 0);
  assert.deepEqual(
    sent.slice(-2).map((s) => s.path),
    ['/v1/chat/completions', '/v1/chat/completions'],
  );
});

test('a wrong key shows the server’s 401 message', { skip }, async () => {
  await page.fill('#api_key', 'not-the-key');
  await page.fill('#prompt', 'Hello?');
  await page.click('#send');
  await page.waitForFunction("document.getElementById('error').textContent !== ''");
  assert.match((await page.textContent('#error')) ?? '', /^401: the API key is not valid/);
});

test('--playground off: no page at /playground', async () => {
  const off = await startServer({
    modelDir: await tinyRandomModel(),
    playground: false,
    waitForModel: false,
  });
  try {
    assert.equal((await fetch(`${off.url}/playground`)).status, 404);
  } finally {
    await off.close();
  }
});
