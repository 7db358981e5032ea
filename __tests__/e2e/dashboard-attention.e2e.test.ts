// End to end (issue 23): an agent waiting for a person is marked in the agent list ("waiting for
// you"), counted in the tab title, announced in an ARIA live region and, opted in, notified on the
// desktop; Alt+W jumps to the oldest waiting request. And axe-core finds no serious or critical
// violation on the dashboard showing markdown, a diff and a pending request (desktop and phone).
// An in-process control server serving the built dashboard, two agents whose kilo upstream the
// test drives, real SSE and real headless Chromium.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Subject } from 'rxjs';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import {
  idle,
  messageUpdated,
  permissionAsked,
  permissionReplied,
  questionAsked,
  reasoningPart,
  status,
  textPart,
  toolPart,
} from '../helpers/kilo-builders';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';
import { launchTestBrowser, openViewer } from './browser-viewer';

const ROOT = path.join(__dirname, '..', '..');
const PUBLIC_DIR = path.join(ROOT, 'dist', 'public');
const AXE = require.resolve('axe-core/axe.min.js');

jest.setTimeout(60_000);

let t: TestControlServer | undefined;
let browser: Browser | undefined;
const b = new Subject<KiloEvent>();

beforeAll(async () => {
  if (!existsSync(path.join(PUBLIC_DIR, 'index.html'))) throw new Error('dist/public/index.html is missing: run `npm run build` first');
  browser = await launchTestBrowser();
  t = await startTestControlServer({ agentId: 'alpha', publicDir: PUBLIC_DIR });
  t.server.registry.add(createManagedAgent({ agentId: 'beta', sessionId: 'ses_test', events: b, firstId: 1 }));
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Records desktop notifications and lets the test say whether the page is hidden. */
const NOTIFICATION_SPY = `(() => {
  window.__notes = [];
  window.__hidden = false;
  Object.defineProperty(document, 'hidden', { get: () => window.__hidden });
  const Real = window.Notification;
  class Spy extends Real { constructor(title, opts) { super(title, opts); window.__notes.push({ title, body: opts && opts.body }); } }
  Object.defineProperty(Spy, 'permission', { get: () => Real.permission });
  Spy.requestPermission = (...a) => Real.requestPermission(...a);
  window.Notification = Spy;
})();`;

async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: any[] }> } }).axe;
    const { violations } = await axe.run(document, { resultTypes: ['violations'] });
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n: { target: string[] }) => n.target.join(' ')).join(', ')}`);
  });
}

it('a waiting agent: list mark, tab title count, live region, opt-in notification; Alt+W focuses the oldest request', async () => {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['notifications'], { origin: t!.url });
  await context.addInitScript(NOTIFICATION_SPY);
  const v = await openViewer(context, `${t!.url}/?agent=alpha`, 'alpha');
  const page = v.page;
  await page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 5000 });
  await page.locator('button[data-agent-id=beta]').waitFor({ timeout: 5000 });
  expect(await page.title()).toBe('agent-stream');
  expect(await page.locator('[data-testid=waiting-mark]').count()).toBe(0);

  // opt in to desktop notifications (the browser grants them), then hide the page
  await page.locator('[data-testid=notify-toggle]').check();
  await page.waitForFunction(() => localStorage.getItem('agent-stream.notify') === 'on', undefined, { timeout: 3000 });
  await page.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = true));

  // beta asks for a permission, then alpha asks a question (beta's request is the oldest)
  b.next(status('busy'));
  b.next(messageUpdated('msg_b', 'assistant'));
  b.next(
    toolPart(
      'call_b',
      { status: 'running', input: { command: 'rm -rf build' }, title: 'rm -rf build', time: { start: 1 } },
      { messageId: 'msg_b' },
    ),
  );
  b.next(permissionAsked('per_b', { permission: 'bash', patterns: ['rm -rf build'], tool: { callID: 'call_b', messageID: 'msg_b' } }));
  await page.locator('button[data-agent-id=beta] [data-testid=waiting-mark]').waitFor({ timeout: 6000 });
  await new Promise((r) => setTimeout(r, 20)); // the two requests are asked at different times
  t!.upstream.next(status('busy'));
  t!.upstream.next(questionAsked('que_a', [{ question: 'Which color?', header: 'Color', options: [{ label: 'red' }, { label: 'blue' }] }]));

  await page.waitForFunction(() => document.title === '(2) agent-stream', undefined, { timeout: 6000 });
  expect(await page.locator('button[data-agent-id=beta]').getAttribute('data-waiting')).toBe('1');
  expect(await page.locator('button[data-agent-id=beta] [data-testid=waiting-mark]').innerText()).toBe('waiting for you');
  expect(await page.locator('button[data-agent-id=alpha] [data-testid=waiting-mark]').innerText()).toBe('waiting for you');
  const live = page.locator('[data-testid=attention-live]');
  expect(await live.getAttribute('aria-live')).toBe('polite');
  expect(await live.innerText()).toMatch(/is waiting for you: 1 request/);
  const notes = await page.evaluate(() => (window as unknown as { __notes: { title: string; body: string }[] }).__notes);
  expect(notes.map((n) => n.body).join(' / ')).toMatch(/beta is waiting for you: 1 request/);
  expect(notes.map((n) => n.body).join(' / ')).toMatch(/alpha is waiting for you: 1 request/);

  // Alt+W: beta (the oldest request) is opened and its request focused
  await page.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = false));
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  await page.keyboard.press('Alt+KeyW');
  await page.locator('[data-testid=dashboard][data-selected-agent=beta]').waitFor({ timeout: 5000 });
  await page.waitForFunction(() => document.activeElement?.closest('[data-request-id="per_b"]') !== null, undefined, { timeout: 5000 });
  expect(new URL(page.url()).searchParams.get('agent')).toBe('beta');

  // answered: the mark and the count go
  b.next(permissionReplied('per_b', 'once'));
  await page.waitForFunction(() => document.title === '(1) agent-stream', undefined, { timeout: 6000 });
  expect(await page.locator('button[data-agent-id=beta] [data-testid=waiting-mark]').count()).toBe(0);
  expect(v.pageErrors).toEqual([]);
  await context.close();
});

it('axe-core: no serious or critical violation with markdown, a diff, reasoning and a pending request (desktop and 390 px phone)', async () => {
  t!.upstream.next(messageUpdated('msg_u', 'user'));
  t!.upstream.next(textPart('prt_u', 'Refactor the parser and show me the diff.', 'msg_u'));
  t!.upstream.next(messageUpdated('msg_x', 'assistant'));
  t!.upstream.next(reasoningPart('prt_r', 'The parser has two entry points; I will merge them. '.repeat(20), 'msg_x'));
  t!.upstream.next(
    toolPart(
      'call_e',
      {
        status: 'completed',
        input: {
          filePath: 'src/parse.ts',
          oldString: 'export function parse(s) {\n  return s.split(",");\n}\n',
          newString: 'export function parse(s: string): string[] {\n  return s.split(",").map((x) => x.trim());\n}\n',
        },
        output: 'Edit applied.',
        title: 'src/parse.ts',
        metadata: {},
        time: { start: 1, end: 2 },
      },
      { tool: 'edit', messageId: 'msg_x', partId: 'prt_e' },
    ),
  );
  t!.upstream.next(
    textPart(
      'prt_t',
      '## Done\n\nThe parser now **trims** each field:\n\n- typed input\n- [x] tests pass\n\n| file | change |\n|---|---|\n| `src/parse.ts` | trim |\n\n```ts\nparse(" a, b ") // ["a", "b"]\n```\n\nSee [the docs](https://example.com).',
      'msg_x',
    ),
  );
  t!.upstream.next(
    messageUpdated('msg_x', 'assistant', {
      time: { created: Date.now() - 4200, completed: Date.now() },
      finish: 'stop',
      cost: 0.0123,
      tokens: { input: 900, output: 334, reasoning: 0, cache: { read: 0, write: 0 } },
    }),
  );
  t!.upstream.next(idle());
  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    // axe-core is injected as a script of the test's own: the page's CSP (script-src 'self', see
    // trust-boundaries.e2e) would refuse it, so this context alone bypasses the CSP.
    const context = await browser!.newContext({ viewport, bypassCSP: true });
    const v = await openViewer(context, `${t!.url}/?agent=alpha`, 'alpha');
    await v.page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 5000 });
    await v.page.locator('[data-testid=diff-file]').waitFor({ timeout: 5000 });
    await v.page.locator('li[data-testid=turn-info]').waitFor({ timeout: 5000 });
    await v.page.locator('.as-md table').waitFor({ timeout: 5000 });
    await v.page.locator('[data-testid=question-form]').first().waitFor({ timeout: 5000 });
    expect({ viewport, violations: await axeViolations(v.page) }).toEqual({ viewport, violations: [] });
    // README screenshots: the markdown answer and the diff (desktop), the same on a phone
    const shot = path.join(ROOT, 'docs', 'img', viewport.width < 500 ? 'phone.png' : 'markdown-diff.png');
    mkdirSync(path.dirname(shot), { recursive: true });
    if (viewport.width < 500) await v.page.screenshot({ path: shot, fullPage: false });
    else {
      await v.page.locator('[data-testid=diff-file]').scrollIntoViewIfNeeded();
      await v.page.screenshot({ path: shot });
    }
    // every control is reachable by keyboard: Tab reaches the name, the agents, the attention
    // controls, the collapsed parts (reasoning, diff) and the links (the acting controls are
    // disabled here: these agents can only be watched)
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await v.page.keyboard.press('Tab');
      const id = await v.page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el?.getAttribute('data-testid') ?? el?.getAttribute('data-agent-id') ?? el?.tagName ?? '';
      });
      reached.add(id);
    }
    expect([...reached]).toEqual(
      expect.arrayContaining(['display-name', 'alpha', 'beta', 'jump-waiting', 'notify-toggle', 'SUMMARY', 'A']),
    );
    expect(v.pageErrors).toEqual([]);
    await context.close();
  }
});
