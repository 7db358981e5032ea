// Real headless Chromium against the built dashboard bundle and a fake control server: the page
// lists the agent, watches it, survives a dropped stream (new ticket, lastEventId, no duplicate),
// renders tool rows and text, and stops for good after exit; a `reset` clears the view; across a
// server restart it shows "reconnecting" with a countdown (never failed) and recovers by itself.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { DROP_AFTER, RESET_FIRST_NEW_ID, SCRIPT, startFakeControlServer, type FakeControlServer } from './fake-control-server';
import { CHROMIUM, CHROMIUM_ARGS } from '../e2e/browser-viewer';

// A plain CommonJS build script (not part of the TypeScript project).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildDashboard } = require('../../scripts/build-dashboard.js') as {
  buildDashboard: (o: { outDir: string }) => Promise<{ html: string; script: string; css: string }>;
};

jest.setTimeout(90_000);

let outDir: string;
let html: string;
/** The files the page loads (it has no inline script or style). */
let assets: Record<string, string>;
let browser: Browser;
let server: FakeControlServer | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  outDir = mkdtempSync(path.join(tmpdir(), 'agent-stream-dash-'));
  const built = await buildDashboard({ outDir });
  html = readFileSync(built.html, 'utf8');
  assets = { 'dashboard.js': readFileSync(built.script, 'utf8'), 'dashboard.css': readFileSync(built.css, 'utf8') };
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const allSeqs = SCRIPT.map((_, i) => i + 1).join(',');

async function watchAndCheck(pageUrl: string, click: boolean) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(pageUrl);
    const button = page.locator('button[data-agent-id="demo"]');
    await button.waitFor();
    if (click) await button.click();
    await page.locator('[data-testid=agent-state][data-agent-state=exited]').waitFor({ timeout: 20_000 });

    const root = page.locator('[data-testid=agent-stream]');
    expect(await root.getAttribute('data-received-seqs')).toBe(allSeqs);
    expect(await page.locator('[data-testid=connection-state]').getAttribute('data-state')).toBe('exited');
    expect(await page.locator('[data-testid=agent-state]').textContent()).toBe('exited');
    expect(await button.getAttribute('aria-pressed')).toBe('true');

    const tool = page.locator('li[data-row-type=tool]');
    expect(await tool.count()).toBe(1);
    expect(await tool.getAttribute('data-call-id')).toBe('c1');
    expect(await tool.getAttribute('data-tool-status')).toBe('completed');
    expect(await tool.getAttribute('data-seq')).toBe('7');
    expect(await tool.innerText()).toContain('write');
    expect(await tool.innerText()).toContain('hello.txt');
    await tool.locator('summary', { hasText: 'input / output' }).click();
    expect(await tool.locator('pre[data-part=output]').innerText()).toBe('Wrote file successfully.');
    expect(await tool.locator('pre[data-part=input]').innerText()).toContain('"filePath": "hello.txt"');

    const p1 = page.locator('li[data-row-type=text][data-part-id=p1]');
    expect(await p1.count()).toBe(1);
    expect(await p1.locator('.as-text-body').innerText()).toBe("I'll write the file.");
    expect(await p1.getAttribute('data-seq')).toBe('6');
    expect(await page.locator('li[data-row-type=file]').innerText()).toContain('hello.txt');
    expect(await page.locator('li[data-row-type=error]').innerText()).toContain('rate limited');
    expect(await page.locator('li[data-row-type=exit]').innerText()).toContain('exited');
    const rowSeqs = await page.locator('li[data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
    expect(new Set(rowSeqs).size).toBe(rowSeqs.length);
    expect(pageErrors).toEqual([]);
    return page;
  } finally {
    // nothing may reconnect after exit: give a stray retry time to show up, then close
    await new Promise((r) => setTimeout(r, 1200));
    await context.close();
  }
}

it('the dashboard watches an agent across a dropped stream, with a new ticket each time', async () => {
  server = await startFakeControlServer(html, assets);
  await watchAndCheck(`${server.url}/`, true);
  expect(server.streams.map((s) => s.status)).toEqual([200, 200]);
  expect(server.streams.map((s) => s.lastEventId)).toEqual([null, String(DROP_AFTER)]);
  expect(new Set(server.streams.map((s) => s.ticket)).size).toBe(2);
  expect(server.ticketsIssued).toBe(2);
});

it('?agent=ID preselects the agent', async () => {
  server = await startFakeControlServer(html, assets);
  await watchAndCheck(`${server.url}/?agent=demo`, false);
  expect(server.streams.map((s) => s.status)).toEqual([200, 200]);
  expect(server.ticketsIssued).toBe(2);
});

it('the log follows new rows until the user scrolls up; "latest" brings it back', async () => {
  server = await startFakeControlServer(html, assets);
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/?agent=long`);
    const root = page.locator('[data-testid=agent-stream]');
    await page.locator('li[data-row-type=file][data-seq="100"]').waitFor();
    const log = page.locator('[data-testid=agent-log]');
    const gapToBottom = () => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    expect(await log.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    expect(await gapToBottom()).toBeLessThanOrEqual(2);
    expect(await root.getAttribute('data-autoscroll')).toBe('true');

    await log.evaluate((el) => el.scrollTo(0, 0)); // the user scrolls up
    await page.locator('[data-testid=agent-stream][data-autoscroll=false]').waitFor();
    server.pushLong(20);
    await page.locator('li[data-row-type=file][data-seq="120"]').waitFor();
    expect(await log.evaluate((el) => el.scrollTop)).toBe(0);

    await page.locator('[data-testid=jump-to-latest]').click();
    await page.locator('[data-testid=agent-stream][data-autoscroll=true]').waitFor();
    server.pushLong(20);
    await page.locator('li[data-row-type=file][data-seq="140"]').waitFor();
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid=agent-log]');
      return !!el && el.scrollHeight - el.scrollTop - el.clientHeight <= 2;
    });
    const seqs = (await root.getAttribute('data-received-seqs'))!.split(',').map(Number);
    expect(seqs).toEqual(Array.from({ length: 140 }, (_, i) => i + 1));
    expect(await page.locator('button[data-agent-id=long]').getAttribute('data-list-state')).toBe('busy');
  } finally {
    await context.close();
  }
});

it('a `reset` from a new server instance clears the view: only the new state is shown', async () => {
  server = await startFakeControlServer(html, assets);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${server.url}/?agent=reset`);
    await page.locator('li[data-row-type=tool][data-call-id=c9]').waitFor();
    await page.locator(`[data-testid=agent-stream][data-last-seq="${RESET_FIRST_NEW_ID + 1}"]`).waitFor();
    expect(server.resetResumes).toEqual([null, '3']); // the old rows were there: the resume came from id 3
    expect(await page.locator('li[data-row-type=file]').count()).toBe(0); // old.txt is gone
    const text = page.locator('li[data-row-type=text]');
    expect(await text.count()).toBe(1);
    expect(await text.locator('.as-text-body').innerText()).toBe('the whole text, rebuilt');
    const rowSeqs = await page.locator('li[data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
    expect(rowSeqs).toEqual([RESET_FIRST_NEW_ID, RESET_FIRST_NEW_ID + 1]);
    expect(await page.locator('[data-testid=connection-state]').getAttribute('data-state')).toBe('live');
    expect(pageErrors).toEqual([]);
  } finally {
    await context.close();
  }
});

/** Opens the dashboard on agent `long`, records every connection state shown and every ticket request. */
async function watchLong() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const ticketRequests: number[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/agents/long/stream-ticket')) ticketRequests.push(Date.now());
  });
  await page.goto(`${server!.url}/?agent=long`);
  await page.locator('[data-testid=connection-state][data-state=live]').waitFor();
  await page.locator('li[data-row-type=file][data-seq="100"]').waitFor();
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid=connection-state]')!;
    const seen: string[] = [];
    (window as unknown as { seenStates: string[] }).seenStates = seen;
    new MutationObserver(() => seen.push(el.getAttribute('data-state') ?? '')).observe(el, {
      attributes: true,
      attributeFilter: ['data-state'],
    });
  });
  const seenStates = () => page.evaluate(() => (window as unknown as { seenStates: string[] }).seenStates);
  const seqs = async () => (await page.locator('[data-testid=agent-stream]').getAttribute('data-received-seqs'))!.split(',').map(Number);
  return { context, page, ticketRequests, seenStates, seqs };
}

it('across a server restart the dashboard shows "reconnecting · next try in N s", never failed, and recovers by itself', async () => {
  server = await startFakeControlServer(html, assets);
  const v = await watchLong();
  try {
    await server.setDown(true);
    const pill = v.page.locator('[data-testid=connection-state][data-state=reconnecting]');
    await pill.waitFor();
    expect(await pill.getAttribute('data-next-attempt-at')).toMatch(/^\d+$/);
    expect(await pill.innerText()).toMatch(/^reconnecting · (next try in \d+ s|trying now)$/);
    await v.page.locator('[data-testid=agents-reconnecting]').waitFor();
    expect(await v.page.locator('[data-testid=agent-list]').getAttribute('data-list-connection')).toBe('reconnecting');
    expect(await v.page.locator('button[data-agent-id=long]').count()).toBe(1); // the last known list stays
    await new Promise((r) => setTimeout(r, 2000));
    server.pushLong(5); // while it is down: history the resume will bring
    await server.setDown(false);
    const upAt = Date.now();
    await v.page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 10_000 });
    await v.page.locator('[data-testid=agent-list][data-list-connection=live]').waitFor({ timeout: 10_000 });
    const recoveredMs = Date.now() - upAt;
    expect(recoveredMs).toBeLessThan(10_000);
    await v.page.locator('li[data-row-type=file][data-seq="105"]').waitFor();
    expect(await v.seqs()).toEqual(Array.from({ length: 105 }, (_, i) => i + 1));
    expect(await v.page.locator('[data-testid=agents-reconnecting]').count()).toBe(0);
    expect(await v.seenStates()).not.toContain('failed');
    expect(v.ticketRequests.length).toBeLessThanOrEqual(8); // the first + a handful during ~2-6 s down
  } finally {
    await v.context.close();
  }
});

it('`online` while reconnecting tries at once instead of waiting out the backoff; no tight loop while down', async () => {
  server = await startFakeControlServer(html, assets);
  const v = await watchLong();
  try {
    await server.setDown(true);
    // wait until the next try is more than 3 s away (after about 4 failed tries)
    await v.page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid=connection-state][data-next-attempt-at]');
        return !!el && Number(el.getAttribute('data-next-attempt-at')) - Date.now() > 3000;
      },
      undefined,
      { timeout: 20_000 },
    );
    expect(await v.page.locator('[data-testid=connection-state]').innerText()).toMatch(/^reconnecting · next try in \d+ s$/);
    const duringOutage = v.ticketRequests.length - 1;
    expect(duringOutage).toBeLessThanOrEqual(7);
    await server.setDown(false);
    const upAt = Date.now();
    await v.page.evaluate(() => window.dispatchEvent(new Event('online')));
    await v.page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 2000 });
    await v.page.locator('[data-testid=agent-list][data-list-connection=live]').waitFor({ timeout: 2000 });
    expect(Date.now() - upAt).toBeLessThan(2000);
    expect(v.ticketRequests.length - 1).toBe(duringOutage + 1);
    expect(await v.seenStates()).not.toContain('failed');
    expect(await v.seqs()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  } finally {
    await v.context.close();
  }
});
