// End to end, acting from the dashboard (docs/protocol.md §7, issue 13): the real kilo binary
// driven by the scripted fake LLM, attached to an in-process control server with token auth (a
// full token and a watch-only one) serving the built dashboard, and real headless Chromium. Three
// people, each in their own browser context signed in with `/?token=…`: Alice and Bob (full
// token) and Wendy (watch token). kilo asks before every bash command (`"permission": {"bash":
// "ask"}`) and, with `experimental.continue_loop_on_deny`, goes on with the turn after a rejected
// tool. The tests run in order on one kilo session and share the pages.
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createFakeLlm, type FakeLlm, type FakeLlmTurn } from '../../src/demo/fake-llm';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { createKiloSessionClient } from '../../src/kilo/kilo-session-client';
import { launchKilo, type KiloProcess } from '../../src/kilo/launch-kilo';
import { createControlServer, type ControlServer } from '../../src/server/create-control-server';
import { createTokenAuth } from '../../src/server/create-token-auth';
import { launchTestBrowser, waitUntil } from './browser-viewer';

const ROOT = path.join(__dirname, '..', '..');
const PUBLIC_DIR = path.join(ROOT, 'dist', 'public');
const SCREENSHOT = path.join(ROOT, 'docs', 'img', 'permission-card.png');
const TOKEN = 'acting-browser-full-token-012345';
const WATCH_TOKEN = 'acting-browser-watch-token-01234';
const AGENT = 'act';
/** A bounded wait for what the page shows. */
const SHOWN = 20_000;

jest.setTimeout(90_000);

/** The kilo.json that makes kilo ask before every bash command and go on after a rejected tool. */
function askingKiloConfig(baseURL: string): Record<string, unknown> {
  return { ...kiloConfigFor({ baseURL }), permission: { bash: 'ask' }, experimental: { continue_loop_on_deny: true } };
}

const bash = (command: string): FakeLlmTurn => ({ toolCalls: [{ name: 'bash', args: { command, description: `Run ${command}` } }] });
const SCRIPT: FakeLlmTurn[] = [
  bash('echo permitted'),
  { text: 'Allowed and done.' },
  bash('echo rejected'),
  { text: 'Went on after the reject.' },
  {
    toolCalls: [
      {
        name: 'question',
        args: {
          questions: [
            {
              question: 'Which colour?',
              header: 'Colour',
              options: [
                { label: 'Red', description: 'warm' },
                { label: 'Blue', description: 'cool' },
              ],
            },
          ],
        },
      },
    ],
  },
  { text: 'Blue it is.' },
  { text: Array.from({ length: 300 }, (_, i) => `slow${i} `), chunkDelayMs: 40 },
];

let root: string | undefined;
let llm: FakeLlm | undefined;
let kilo: KiloProcess | undefined;
let server: ControlServer | undefined;
let browser: Browser | undefined;
let url = '';
const pageErrors: string[] = [];
let alice: Page;
let bob: Page;
let wendy: Page;

/** A person in their own browser context, signed in with `token`, watching the agent, with a display name. */
async function signIn(token: string, name: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${String(e)}`));
  await page.goto(`${url}/?token=${token}&agent=${AGENT}`);
  expect(page.url()).not.toContain('token=');
  await page.locator('[data-testid=agent-stream]').waitFor({ timeout: SHOWN });
  await page.locator('[data-testid=display-name]').fill(name);
  await page.locator(`[data-testid=agent-state][data-agent-state=idle]`).waitFor({ timeout: SHOWN });
  return page;
}

/** Sends a prompt from the page's prompt box; resolves once the server accepted it (the box is cleared). */
async function sendPrompt(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid=prompt-input]').fill(text);
  await page.locator('[data-testid=prompt-send]').click();
  await waitUntil('the prompt accepted', async () => (await page.locator('[data-testid=prompt-input]').inputValue()) === '', SHOWN);
  await page.locator('li[data-row-type=text][data-role=user]', { hasText: text }).first().waitFor({ timeout: SHOWN });
}

const card = (page: Page, requestId?: string) =>
  page.locator(requestId ? `[data-testid=permission-card][data-request-id="${requestId}"]` : '[data-testid=permission-card]');
const toolRow = (page: Page, callId: string, status: string) =>
  page.locator(`li[data-row-type=tool][data-call-id="${callId}"][data-tool-status=${status}]`);
const assistantText = (page: Page, text: string) => page.locator('li[data-row-type=text][data-role=assistant]', { hasText: text });
const idle = (page: Page) => page.locator('[data-testid=agent-state][data-agent-state=idle]').waitFor({ timeout: SHOWN });

/** Waits for the one pending permission card on the page; returns its request and call ids. */
async function pendingCard(page: Page): Promise<{ requestId: string; callId: string }> {
  const c = card(page).first();
  await c.waitFor({ timeout: SHOWN });
  return { requestId: (await c.getAttribute('data-request-id'))!, callId: (await c.getAttribute('data-call-id'))! };
}

beforeAll(async () => {
  for (const built of ['index.html', 'dashboard.js']) {
    if (!existsSync(path.join(PUBLIC_DIR, built))) throw new Error(`dist/public/${built} is missing: run \`npm run build\` first`);
  }
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'acting-browser-')));
  llm = await createFakeLlm({ turns: SCRIPT });
  kilo = await launchKilo({ config: askingKiloConfig(llm.baseURL), tempParent: root });
  const sessionId = (await createKiloSessionClient({ baseUrl: kilo.url }).createSession({ title: 'acting in the browser' })).id;
  const auth = createTokenAuth({ token: TOKEN, watchToken: WATCH_TOKEN });
  server = createControlServer({ port: 0, publicDir: PUBLIC_DIR, authorize: auth.authorize, login: auth.login, identify: auth.identify });
  server.attachKilo({ url: kilo.url, agentId: AGENT, sessionId, initialDelayMs: 100, maxDelayMs: 500 });
  url = (await server.listen()).url;
  browser = await launchTestBrowser();
  [alice, bob, wendy] = [await signIn(TOKEN, 'Alice'), await signIn(TOKEN, 'Bob'), await signIn(WATCH_TOKEN, 'Wendy')];
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await kilo?.stop();
  await llm?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('acting from the dashboard (real kilo, fake LLM, Chromium)', () => {
  it('a watch-token page sees the controls disabled, with the reason', async () => {
    const panel = wendy.locator('[data-testid=act-panel]');
    await panel.waitFor({ timeout: SHOWN });
    expect(await panel.getAttribute('data-can-act')).toBe('false');
    expect(await wendy.locator('[data-testid=act-disabled-reason]').textContent()).toMatch(/watch/);
    expect(await wendy.locator('[data-testid=prompt-input]').isDisabled()).toBe(true);
    expect(await wendy.locator('[data-testid=prompt-send]').isDisabled()).toBe(true);
    for (const page of [alice, bob]) expect(await page.locator('[data-testid=act-panel]').getAttribute('data-can-act')).toBe('true');
  });

  it('a prompt from the page stops at the permission; Alice clicks "Allow once": the tool completes; Bob sees the card go and who allowed it', async () => {
    await sendPrompt(alice, 'Run echo permitted.');
    const { requestId, callId } = await pendingCard(alice);
    expect(requestId).toMatch(/^per_/);
    // Every viewer sees the request; the turn waits (busy, the tool running, a Stop button).
    for (const page of [bob, wendy]) await card(page, requestId).waitFor({ timeout: SHOWN });
    expect(await card(alice, requestId).textContent()).toContain('echo permitted');
    await alice.locator('[data-testid=agent-state][data-agent-state=busy]').waitFor({ timeout: SHOWN });
    await toolRow(alice, callId, 'running').waitFor({ timeout: SHOWN });
    await alice.locator('[data-testid=stop-turn]').waitFor({ timeout: SHOWN });
    // Wendy may only watch: the card's buttons are disabled.
    for (const response of ['once', 'always', 'reject'])
      expect(await card(wendy, requestId).locator(`button[data-response=${response}]`).isDisabled()).toBe(true);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    const box = (await alice.locator('[data-testid=agent-stream]').boundingBox())!;
    await alice.screenshot({
      path: SCREENSHOT,
      clip: { x: 0, y: 0, width: 1100, height: Math.min(760, Math.ceil(box.y + box.height + 16)) },
    });

    await card(alice, requestId).locator('button[data-response=once]').click();
    await toolRow(alice, callId, 'completed').waitFor({ timeout: SHOWN });
    await assistantText(alice, 'Allowed and done.').waitFor({ timeout: SHOWN });
    for (const page of [alice, bob, wendy]) {
      await card(page, requestId).waitFor({ state: 'detached', timeout: SHOWN });
      const action = page.locator(`li[data-row-type=action][data-action-kind=permission][data-request-id="${requestId}"]`);
      await action.waitFor({ timeout: SHOWN });
      expect(await action.getAttribute('data-by')).toMatch(/^Alice \(/);
      expect(await action.textContent()).toMatch(/Alice .*allowed once/);
      await toolRow(page, callId, 'completed').waitFor({ timeout: SHOWN });
    }
    await idle(bob);
  });

  it('Bob clicks "Reject" on a later request: the tool ends in error and the turn goes on', async () => {
    await sendPrompt(bob, 'Run echo rejected.');
    const { requestId, callId } = await pendingCard(bob);
    await card(alice, requestId).waitFor({ timeout: SHOWN });
    await card(bob, requestId).locator('button[data-response=reject]').click();
    await toolRow(bob, callId, 'error').waitFor({ timeout: SHOWN });
    await assistantText(bob, 'Went on after the reject.').waitFor({ timeout: SHOWN });
    await idle(bob);
    await card(alice, requestId).waitFor({ state: 'detached', timeout: SHOWN });
    const action = alice.locator(`li[data-row-type=action][data-action-kind=permission][data-request-id="${requestId}"]`);
    await action.waitFor({ timeout: SHOWN });
    expect(await action.getAttribute('data-by')).toMatch(/^Bob \(/);
    expect(await action.textContent()).toContain('rejected');
    await toolRow(alice, callId, 'error').waitFor({ timeout: SHOWN });
  });

  it('a question answered from the page: the tool completes with that answer', async () => {
    await sendPrompt(alice, 'Ask me a colour.');
    const form = alice.locator('form[data-testid=question-form]').first();
    await form.waitFor({ timeout: SHOWN });
    const requestId = (await form.getAttribute('data-request-id'))!;
    expect(requestId).toMatch(/^que_/);
    expect(await form.textContent()).toContain('Which colour?');
    await bob.locator(`form[data-testid=question-form][data-request-id="${requestId}"]`).waitFor({ timeout: SHOWN });
    await form.locator('input[data-option-label=Blue]').check();
    await form.locator('[data-testid=question-submit]').click();
    await assistantText(alice, 'Blue it is.').waitFor({ timeout: SHOWN });
    const callId = await alice.locator(`li[data-row-type=question][data-request-id="${requestId}"]`).getAttribute('data-call-id');
    expect(callId).toBeTruthy();
    await toolRow(alice, callId!, 'completed').waitFor({ timeout: SHOWN });
    await idle(alice);
    for (const page of [alice, bob]) {
      await page.locator(`form[data-testid=question-form][data-request-id="${requestId}"]`).waitFor({ state: 'detached', timeout: SHOWN });
      const action = page.locator(`li[data-row-type=action][data-action-kind=question][data-request-id="${requestId}"]`);
      await action.waitFor({ timeout: SHOWN });
      expect(await action.textContent()).toMatch(/Alice .*Blue/);
    }
  });

  it('Stop mid-stream ends the turn as interrupted (MessageAbortedError), status back to idle', async () => {
    await sendPrompt(bob, 'Talk slowly.');
    await assistantText(bob, 'slow10 ').waitFor({ timeout: SHOWN });
    await bob.locator('[data-testid=stop-turn]').click();
    await bob.locator('li[data-row-type=error]', { hasText: 'MessageAbortedError' }).waitFor({ timeout: SHOWN });
    await idle(bob);
    await bob.locator('[data-testid=stop-turn]').waitFor({ state: 'detached', timeout: SHOWN });
    expect(await assistantText(bob, 'slow299').count()).toBe(0);
    for (const page of [alice, wendy]) {
      await page.locator('li[data-row-type=action][data-action-kind=abort]').waitFor({ timeout: SHOWN });
      expect(await page.locator('li[data-row-type=action][data-action-kind=abort]').getAttribute('data-by')).toMatch(/^Bob \(/);
      await idle(page);
    }
    expect(pageErrors).toEqual([]);
  });
});
