// End to end: the built CLI in demo mode (a recorded kilo session replayed through the real
// consumer), its dashboard at GET /, and real headless Chromium. One CLI and one browser for the
// whole file; the tests run in order and share the pages they open (the last one stops the agent).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { launchTestBrowser, openViewer, waitForSeq, waitUntil, type Viewer } from './browser-viewer';

const ROOT = path.join(__dirname, '..', '..');
const SCREENSHOT = path.join(ROOT, 'docs', 'img', 'dashboard.png');

jest.setTimeout(30_000);

let cli: RunningCli | undefined;
let browser: Browser | undefined;
const viewers: Viewer[] = [];

interface AgentInfo {
  id: string;
  state: string;
  viewers: number;
  lastEventId: number;
}

async function api(method: 'GET' | 'POST', route: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${cli!.url}${route}`, { method });
  return { status: res.status, body: await res.json() };
}
const demoAgent = async (): Promise<AgentInfo> => (await api('GET', '/agents/demo')).body as AgentInfo;

beforeAll(async () => {
  for (const built of ['dist/cli/main.js', 'dist/public/index.html']) {
    if (!existsSync(path.join(ROOT, built))) {
      throw new Error(`${built} is missing: run \`npm run build\` first (npm test does it)`);
    }
  }
  browser = await launchTestBrowser();
  cli = await startCli(['serve', '--port', '0']); // no mode flag: the demo
});

afterAll(async () => {
  await browser?.close();
  const child = cli?.child;
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, 5000)));
    await Promise.race([cli!.exited, late]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await cli!.exited;
  }
});

/** Ids only grow: nothing was received twice (the retained state skips ids it compacted). */
const increasing = (seqs: number[]) => seqs.every((n, i) => i === 0 || n > seqs[i - 1]!);

/** What the page shows, row by row: kind, part or call, and the text or tool status. */
async function renderedView(v: Viewer): Promise<string[]> {
  return v.page.locator('[data-testid=agent-log] > li[data-row-type]').evaluateAll((els) =>
    els.map((e) => {
      const kind = e.getAttribute('data-row-type');
      if (kind === 'text') return `text:${e.getAttribute('data-part-id')}:${e.querySelector('.as-text-body')?.textContent}`;
      if (kind === 'tool') return `tool:${e.getAttribute('data-call-id')}:${e.getAttribute('data-tool-status')}`;
      return `${kind}:${e.textContent}`;
    }),
  );
}

/** Rows must carry distinct ids: a duplicated event would show up as a second row with the same id. */
async function expectNoDuplicateRows(v: Viewer): Promise<void> {
  const rowSeqs = await v.page.locator('li[data-seq]').evaluateAll((els) => els.map((e) => e.getAttribute('data-seq')));
  expect(new Set(rowSeqs).size).toBe(rowSeqs.length);
}

it('with exactly one agent the dashboard opens it at once: the history within 5 s of opening the page, each turn with time, duration, tokens, cost', async () => {
  // A late viewer: let the demo get past its first tool calls and assistant text (ids ~11-30).
  await waitUntil('the demo to emit 30 events', async () => (await demoAgent()).lastEventId >= 30, 20_000);
  const openedAt = Date.now();
  const v = await openViewer(await browser!.newContext({ viewport: { width: 1280, height: 800 } }), `${cli!.url}/`);
  viewers.push(v);
  const button = v.page.locator('button[data-agent-id="demo"]');
  await button.waitFor({ timeout: 5000 });
  expect(await button.innerText()).toContain('demo');
  expect(['busy', 'idle']).toContain(await button.getAttribute('data-list-state'));

  // no click: the one agent is shown
  const tool = v.page.locator('li[data-row-type=tool]').first();
  const text = v.page.locator('li[data-row-type=text][data-role=assistant] .as-text-body').first();
  await Promise.all([tool.waitFor({ timeout: 5000 }), text.waitFor({ timeout: 5000 })]);
  await v.page.waitForFunction(
    () => (document.querySelector('li[data-row-type=text][data-role=assistant] .as-text-body')?.textContent ?? '') !== '',
    undefined,
    { timeout: Math.max(1, 5000 - (Date.now() - openedAt)) },
  );
  expect(await v.page.locator('[data-testid=pick-agent]').count()).toBe(0);
  // each finished turn: its time, duration, tokens and cost (the message-info event)
  const turn = v.page.locator('li[data-testid=turn-info]').first();
  await turn.waitFor({ timeout: 5000 });
  const created = Number(await turn.getAttribute('data-created'));
  const completed = Number(await turn.getAttribute('data-completed'));
  expect(completed).toBeGreaterThanOrEqual(created);
  expect(Number(await turn.getAttribute('data-tokens'))).toBeGreaterThan(0);
  expect(await turn.innerText()).toMatch(/^\d\d:\d\d:\d\d · \d+(\.\d)? m?s · [\d,]+ tokens · \$\d+\.\d{4}/);
  expect(await tool.getAttribute('data-tool')).toBeTruthy();
  expect(await tool.innerText()).toContain((await tool.getAttribute('data-tool')) as string);
  expect(await button.getAttribute('aria-pressed')).toBe('true');
  expect(new URL(v.page.url()).searchParams.get('agent')).toBe('demo');
  await v.page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 3000 });
  expect(['busy', 'idle']).toContain(await v.page.locator('[data-testid=agent-state]').innerText());
  // the retained state was replayed, from the first prompt on, each id once
  expect(await v.page.locator('li[data-row-type=text][data-role=user]').count()).toBeGreaterThan(0);
  expect(increasing(await v.receivedSeqs())).toBe(true);
  expect(v.ticketRequests()).toBe(1);
  expect(v.streams.map((s) => s.lastEventId)).toEqual([null]);
  expect(v.pageErrors).toEqual([]);
});

it('three pages watching demo receive the same event ids', async () => {
  for (let i = 0; i < 2; i++) {
    viewers.push(await openViewer(await browser!.newContext({ viewport: { width: 1280, height: 800 } }), `${cli!.url}/?agent=demo`));
  }
  for (const v of viewers) await v.page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 5000 });
  const liveFrom = (await demoAgent()).lastEventId;
  // every page gets a few events live, after all three were connected
  for (const v of viewers) await waitForSeq(v, liveFrom + 3, 12_000);

  // live, every page gets every id, in order, once
  const seqs = await Promise.all(viewers.map(async (v) => (await v.receivedSeqs()).filter((n) => n > liveFrom)));
  const common = Math.min(...seqs.map((s) => s.length));
  expect(common).toBeGreaterThanOrEqual(3);
  for (const s of seqs) {
    expect(s.slice(0, common)).toEqual(Array.from({ length: common }, (_, i) => liveFrom + 1 + i));
  }
  for (const v of viewers) {
    await expectNoDuplicateRows(v);
    expect(v.ticketRequests()).toBe(1);
  }
  // the agent list (polled every 2 s) counts the three viewers
  await viewers[0].page.locator('button[data-agent-id="demo"][data-viewers="3"]').waitFor({ timeout: 6000 });
});

it('the server cutting the streams: each page resumes with a new ticket, no duplicate or missing id', async () => {
  expect(viewers).toHaveLength(3);
  for (const v of viewers) expect(v.streams).toHaveLength(1);
  const cut = await api('POST', '/agents/demo/disconnect-viewers');
  expect(cut).toEqual({ status: 202, body: { disconnected: 3 } });

  for (const v of viewers) {
    await waitUntil('a resumed stream (200)', () => v.streams.length >= 2 && v.streams[1].status === 200, 8000);
    await v.page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 5000 });
  }
  const resumedAt = (await demoAgent()).lastEventId;
  for (const v of viewers) await waitForSeq(v, resumedAt + 2, 12_000);

  for (const v of viewers) {
    const issued = await v.issuedTickets();
    expect(v.ticketRequests()).toBe(2);
    expect(issued).toHaveLength(2);
    expect(new Set(issued).size).toBe(2); // a NEW ticket
    expect(v.streams.map((s) => s.ticket)).toEqual(issued); // each ticket presented exactly once
    expect(v.streams.map((s) => s.status)).toEqual([200, 200]);
    const [first, resumed] = v.streams;
    expect(first.lastEventId).toBeNull();
    expect(resumed.lastEventId).toMatch(/^\d+$/);
    const seqs = await v.receivedSeqs();
    expect(increasing(seqs)).toBe(true); // nothing twice, across the resume
    expect(seqs.at(-1)!).toBeGreaterThan(Number(resumed.lastEventId));
    expect(seqs).toContain(Number(resumed.lastEventId)); // it resumed from the last id it had
    await expectNoDuplicateRows(v);
    expect(v.pageErrors).toEqual([]);
  }
  expect((await demoAgent()).viewers).toBe(3);
});

it('screenshot of the dashboard watching demo (docs/img/dashboard.png)', async () => {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const v = await openViewer(context, `${cli!.url}/?agent=demo`);
    await v.page.locator('li[data-row-type=tool][data-tool-status=completed]').first().waitFor({ timeout: 5000 });
    await v.page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 5000 });
    await v.page.locator('button[data-agent-id="demo"]').waitFor({ timeout: 5000 });
    // The moment that tells the most: a turn's tools done (one failed) and its answer streaming in (busy).
    await v.page.waitForFunction(
      () => {
        const rows = document.querySelectorAll('[data-testid=agent-log] > li');
        const last = rows[rows.length - 1];
        return (
          document.querySelector('li[data-row-type=tool][data-tool-status=error]') !== null &&
          last?.getAttribute('data-row-type') === 'text' &&
          last.getAttribute('data-role') === 'assistant' &&
          !last.classList.contains('as-reasoning') &&
          /\S[.!?]$/.test(last.querySelector('.as-text-body')?.textContent ?? '') &&
          document.querySelector('[data-testid=agent-state]')?.getAttribute('data-agent-state') === 'busy'
        );
      },
      undefined,
      { timeout: 20_000, polling: 20 },
    );
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await v.page.screenshot({ path: SCREENSHOT });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(v.pageErrors).toEqual([]);
  } finally {
    await context.close();
  }
});

it('after the agent is stopped every page shows "exited" and asks for no more tickets', async () => {
  expect(await api('POST', '/agents/demo/stop')).toMatchObject({ status: 202 });
  for (const v of viewers) {
    await v.page.locator('[data-testid=agent-state][data-agent-state=exited]').waitFor({ timeout: 5000 });
    expect(await v.page.locator('[data-testid=agent-state]').innerText()).toBe('exited');
    expect(await v.page.locator('[data-testid=connection-state]').getAttribute('data-state')).toBe('exited');
    expect(await v.page.locator('li[data-row-type=exit]').getAttribute('data-exit-reason')).toBe('stopped');
  }
  const last = (await demoAgent()).lastEventId;
  const tickets = viewers.map((v) => v.ticketRequests());
  const streams = viewers.map((v) => v.streams.length);
  await new Promise((r) => setTimeout(r, 3000)); // time for a stray reconnect to show up
  expect(viewers.map((v) => v.ticketRequests())).toEqual(tickets);
  expect(viewers.map((v) => v.streams.length)).toEqual(streams);
  expect(tickets).toEqual([2, 2, 2]);
  // Every page — the one that joined late, the ones that joined later, all resumed once — shows
  // the same log, and a page opened now (the retained state of the exited agent) shows it too.
  const fresh = await openViewer(await browser!.newContext({ viewport: { width: 1280, height: 800 } }), `${cli!.url}/?agent=demo`);
  await fresh.page.locator('li[data-row-type=exit]').waitFor({ timeout: 5000 });
  const expected = await renderedView(fresh);
  expect(expected.length).toBeGreaterThan(10);
  for (const v of viewers) {
    const seqs = await v.receivedSeqs();
    expect(seqs.at(-1)).toBe(last); // the exit event is the last id
    expect(increasing(seqs)).toBe(true);
    expect(await renderedView(v)).toEqual(expected);
    expect(v.pageErrors).toEqual([]);
  }
  await fresh.page.context().close();
});
