// End to end (issue 23): ten agents watched at once in Chromium over ONE connection (the
// multiplexed stream, docs/protocol.md §4.4), every one live. An in-process control server
// serving the built dashboard, ten agents whose kilo upstreams the test drives, real SSE over a
// real socket and real headless Chromium.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { Subject } from 'rxjs';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { delta, fileEdited, messageUpdated, status, textPart, toolPart } from '../helpers/kilo-builders';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';
import { launchTestBrowser } from './browser-viewer';

const ROOT = path.join(__dirname, '..', '..');
const PUBLIC_DIR = path.join(ROOT, 'dist', 'public');
const SCREENSHOT = path.join(ROOT, 'docs', 'img', 'multi-agent.png');
const N = 10;

jest.setTimeout(60_000);

let t: TestControlServer | undefined;
let browser: Browser | undefined;
const ups: Subject<KiloEvent>[] = [];
const id = (i: number) => `agent-${i}`;

beforeAll(async () => {
  if (!existsSync(path.join(PUBLIC_DIR, 'index.html'))) throw new Error('dist/public/index.html is missing: run `npm run build` first');
  browser = await launchTestBrowser();
  t = await startTestControlServer({ agentId: id(0), publicDir: PUBLIC_DIR });
  ups.push(t.upstream);
  for (let i = 1; i < N; i++) {
    const up = new Subject<KiloEvent>();
    ups.push(up);
    t.server.registry.add(createManagedAgent({ agentId: id(i), sessionId: 'ses_test', events: up, firstId: 1 }));
  }
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

it('ten agents at once over one connection, every one live', async () => {
  // some history before the page opens
  ups.forEach((up, i) => {
    up.next(status('busy'));
    up.next(messageUpdated(`msg_${i}`, 'assistant'));
    up.next(textPart(`prt_${i}`, `## Agent ${i}\n\nWorking on **task ${i}**.`, `msg_${i}`));
  });
  const context = await browser!.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const streamUrls: URL[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/stream') streamUrls.push(u);
    if (u.pathname.endsWith('/stream') || u.pathname.endsWith('/stream-ticket')) requests.push(`${r.method()} ${u.pathname}`);
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${t!.url}/?view=grid`);
  const panes = page.locator('[data-testid=grid-pane]');
  await page.locator('[data-testid=agent-grid][data-connection=live]').waitFor({ timeout: 10_000 });
  expect(await panes.count()).toBe(N);
  for (let i = 0; i < N; i++) {
    await page.locator(`[data-testid=grid-pane][data-agent-id=${id(i)}] .as-md h2`).waitFor({ timeout: 5000 });
  }

  // live: each agent streams text and runs a tool; every pane shows its own, nothing else
  for (let round = 0; round < 5; round++) {
    ups.forEach((up, i) => up.next(delta(`prt_${i}`, ` step ${round} of agent ${i}.`, `msg_${i}`)));
    await new Promise((r) => setTimeout(r, 50));
  }
  ups.forEach((up, i) => {
    up.next(
      toolPart(
        `call_${i}`,
        {
          status: 'completed',
          input: { command: `make ${i}` },
          output: 'ok',
          title: `make ${i}`,
          metadata: {},
          time: { start: 1, end: 2 },
        },
        { messageId: `msg_${i}` },
      ),
    );
    up.next(fileEdited(`/src/file-${i}.ts`));
  });
  for (let i = 0; i < N; i++) {
    const pane = page.locator(`[data-testid=grid-pane][data-agent-id=${id(i)}]`);
    await pane.locator(`li[data-row-type=file][data-path="/src/file-${i}.ts"]`).waitFor({ timeout: 5000 });
    const text = await pane.locator(`li[data-part-id=prt_${i}] .as-text-body`).innerText();
    expect(text).toContain(`step 4 of agent ${i}.`);
    expect(text).not.toMatch(new RegExp(`agent (?!${i}\\b)\\d`));
    expect(await pane.locator(`li[data-row-type=tool][data-call-id=call_${i}]`).count()).toBe(1);
    expect(Number(await pane.getAttribute('data-last-seq'))).toBeGreaterThanOrEqual(9); // status, text, 5 deltas, tool, file
  }
  // ONE ticket and ONE stream for all ten, no per-agent stream
  expect(requests).toEqual(['POST /stream-ticket', 'GET /stream']);
  expect(await page.locator('[data-testid=agent-grid]').getAttribute('data-streams')).toBe('1');
  expect(new URL(page.url()).searchParams.get('view')).toBe('grid');
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });

  // the connection cut: it resumes every agent from its own last id, nothing twice
  expect(await (await fetch(`${t!.url}/agents/${id(3)}/disconnect-viewers`, { method: 'POST' })).status).toBe(202);
  await page.waitForFunction(() => document.querySelector('[data-testid=agent-grid]')?.getAttribute('data-streams') === '2', undefined, {
    timeout: 10_000,
  });
  ups.forEach((up, i) => up.next(fileEdited(`/src/after-${i}.ts`)));
  for (let i = 0; i < N; i++) {
    const pane = page.locator(`[data-testid=grid-pane][data-agent-id=${id(i)}]`);
    await pane.locator(`li[data-row-type=file][data-path="/src/after-${i}.ts"]`).waitFor({ timeout: 5000 });
    expect(await pane.locator(`li[data-row-type=file]`).count()).toBe(2);
    expect(await pane.locator(`li[data-row-type=tool]`).count()).toBe(1);
  }
  expect(requests).toEqual(['POST /stream-ticket', 'GET /stream', 'POST /stream-ticket', 'GET /stream']);
  // the resume carried each agent's own last id
  expect(streamUrls[0]!.searchParams.getAll('last')).toEqual([]);
  expect(
    streamUrls[1]!.searchParams
      .getAll('last')
      .map((l) => l.slice(0, l.lastIndexOf(':')))
      .sort(),
  ).toEqual(Array.from({ length: N }, (_, i) => id(i)).sort());
  expect(errors).toEqual([]);
  await context.close();
});
