// End to end (issue 10): the dashboard shows a 5000-token streamed answer, whole and in order, with
// a late page and a page reloaded mid-answer showing the same text. An in-process control server
// serving the built dashboard (dist/public), one agent whose kilo upstream the test drives token by
// token at a realistic pace, and real headless Chromium: page A watches from before the answer,
// page C is reloaded half-way through it, page B opens when 3/4 of it was sent.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Browser, Page } from 'playwright-core';
import { delta, idle, messageUpdated, reasoningPart, status, textPart, toolPart } from '../helpers/kilo-builders';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';
import { launchTestBrowser, openViewer, waitUntil, type Viewer } from './browser-viewer';

const ROOT = path.join(__dirname, '..', '..');
const PUBLIC_DIR = process.env.DASHBOARD_DIR ?? path.join(ROOT, 'dist', 'public');

jest.setTimeout(40_000);

const AGENT = 'long';
// kilo's ids sort by creation time: the prompt, then the assistant's reasoning, tool and answer.
const MSG_USER = 'msg_0001';
const MSG = 'msg_0002';
const PROMPT = 'prt_0001';
const REASONING = 'prt_0002';
const TOOL_PART = 'prt_0003';
const CALL = 'call_0001';
const ANSWER = 'prt_0004';
const PROMPT_TEXT = 'Explain the whole change, in detail.';

const TOKENS = 5000;
/** The answer's pace: 5000 tokens in ~7 s, sent a few per timer tick, each in its own turn. */
const ANSWER_MS = 7000;
const TICK_MS = 3;
/** Generous bound on how long after the last token page A shows the whole answer. */
const SHOW_BOUND_MS = 2000;

const ANSWER_ROW = `li[data-row-type=text][data-role=assistant][data-part-id=${ANSWER}]`;
const ANSWER_BODY = `${ANSWER_ROW} .as-text-body`;

const WORDS = Array.from({ length: TOKENS }, (_, i) => `w${i}${i % 23 === 22 ? '\n' : ' '}`);
const WHOLE = WORDS.join('');
/**
 * The answer as the page shows it: the dashboard renders it as markdown (paragraphs in blocks), so
 * its text (`innerText`) is compared with runs of whitespace as one space, ends trimmed.
 */
const SHOWN_WHOLE = WHOLE.replace(/\s+/g, ' ').trim();

const message = (id: string, role: 'user' | 'assistant') => messageUpdated(id, role, { time: { created: Date.now() } });
/** The assistant's one tool call, running or completed. */
const tool = (state: 'running' | 'completed') =>
  toolPart(
    CALL,
    state === 'running'
      ? { status: 'running', input: { command: 'git diff --stat' }, title: 'git diff --stat', time: { start: 1 } }
      : {
          status: 'completed',
          input: { command: 'git diff --stat' },
          output: ' 3 files changed',
          title: 'git diff --stat',
          metadata: {},
          time: { start: 1, end: 2 },
        },
    { partId: TOOL_PART, messageId: MSG },
  );

/** How many whole tokens a text holds. */
const shown = (text: string) => (text.match(/w\d+\s/g) ?? []).length;

const turn = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let t: TestControlServer | undefined;
let browser: Browser | undefined;
/** Set in afterAll: a driver still running after a failure stops feeding the upstream. */
let aborted = false;
/** Console errors of every page (failed resources included). */
const consoleErrors: string[] = [];
/** Answer tokens sent so far. */
let sent = 0;

beforeAll(async () => {
  if (!existsSync(path.join(PUBLIC_DIR, 'index.html'))) {
    throw new Error(`${path.relative(ROOT, PUBLIC_DIR)}/index.html is missing: run \`npm run build\` first (npm test does it)`);
  }
  browser = await launchTestBrowser();
  t = await startTestControlServer({ agentId: AGENT, publicDir: PUBLIC_DIR });
});

afterAll(async () => {
  aborted = true;
  await browser?.close();
  await t?.close();
});

/** The turn up to the answer: busy, the prompt, the assistant message, reasoning, a tool call. */
async function streamPrelude(up: TestControlServer['upstream']): Promise<void> {
  up.next(status('busy'));
  up.next(message(MSG_USER, 'user'));
  up.next(textPart(PROMPT, PROMPT_TEXT, MSG_USER));
  up.next(message(MSG, 'assistant'));
  await turn();
  up.next(reasoningPart(REASONING, 'Let me look at the diff first.', MSG));
  await turn();
  up.next(tool('running'));
  await sleep(20);
  up.next(tool('completed'));
  await turn();
}

/**
 * The answer as kilo streams it: the text part (empty), then one `message.part.delta` per word,
 * each in its own event-loop turn, paced by the clock over ANSWER_MS. Resolves with the time
 * (Date.now()) the last token was sent.
 */
/**
 * While set, the answer pauses 100 tokens before its end until it resolves: a page opened late must
 * show the answer while it is still incomplete, however long the machine takes to open a page.
 */
let holdBeforeEnd: Promise<void> | null = null;

async function streamAnswer(up: TestControlServer['upstream']): Promise<number> {
  up.next(textPart(ANSWER, '', MSG));
  await turn();
  let start = performance.now();
  while (sent < TOKENS) {
    if (aborted) throw new Error('aborted');
    if (holdBeforeEnd && sent >= TOKENS - 100) {
      const pausedAt = performance.now();
      await holdBeforeEnd;
      start += performance.now() - pausedAt; // the pace goes on where it was, no burst
    }
    await sleep(TICK_MS);
    const paced = Math.min(TOKENS, Math.ceil(((performance.now() - start) / ANSWER_MS) * TOKENS));
    // A catch-up burst stops at the hold too.
    const due = holdBeforeEnd ? Math.min(paced, TOKENS - 100) : paced;
    while (sent < due) {
      up.next(delta(ANSWER, WORDS[sent]!, MSG));
      sent++;
      await turn();
    }
  }
  return Date.now();
}

/** Resolves once `n` answer tokens were sent. */
const reached = (n: number) => waitUntil(`${n} answer tokens sent`, () => sent >= n, ANSWER_MS + 10_000);

/** The answer row's text on `page` ('' while it has none), whole. */
const answerText = (page: Page) =>
  page.evaluate((sel) => ((document.querySelector(sel) as HTMLElement | null)?.innerText ?? '').replace(/\s+/g, ' ').trim(), ANSWER_BODY);

/** Waits until the answer row on `page` shows some text. */
const hasAnswerText = (page: Page) =>
  page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '') !== '', ANSWER_BODY, { timeout: 5000, polling: 20 });

/** The log, row by row (kind, role, part or call id, tool status), in DOM order. */
const rowsOf = (page: Page) =>
  page.locator('[data-testid=agent-log] > li[data-row-type]').evaluateAll((els) =>
    els.map((e) => {
      const kind = e.getAttribute('data-row-type');
      if (kind === 'text')
        return `text:${e.getAttribute('data-role')}:${e.getAttribute('data-part-id')}${e.classList.contains('as-reasoning') ? ':reasoning' : ''}`;
      if (kind === 'tool') return `tool:${e.getAttribute('data-call-id')}:${e.getAttribute('data-tool-status')}`;
      return `${kind}:${e.getAttribute('data-seq')}`;
    }),
  );

/**
 * In-page probes, installed before the dashboard's script: animation-frame gaps, long tasks, and
 * how many DOM mutation batches touched the answer row (one per rendered frame, not one per token).
 */
const PROBE = `(() => {
  const p = { frames: 0, maxGapMs: 0, longTasks: 0, longTaskMs: 0, answerBatches: 0, answerRecords: 0 };
  window.__probe = p;
  let last = 0;
  const loop = (now) => { if (last && now - last > p.maxGapMs) p.maxGapMs = now - last; last = now; p.frames++; requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) { p.longTasks++; p.longTaskMs += e.duration; } }).observe({ type: 'longtask' });
  } catch {}
  const inAnswer = (n) => { const el = n && (n.nodeType === 1 ? n : n.parentElement); return !!(el && el.closest && el.closest('li[data-part-id="${ANSWER}"]')); };
  const mo = new MutationObserver((records) => {
    let hit = 0;
    for (const r of records) if (inAnswer(r.target)) hit++;
    if (hit) { p.answerBatches++; p.answerRecords += hit; }
  });
  const start = () => mo.observe(document.documentElement, { subtree: true, childList: true, characterData: true });
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();`;

interface Probe {
  frames: number;
  maxGapMs: number;
  longTasks: number;
  longTaskMs: number;
  answerBatches: number;
  answerRecords: number;
}
const resetProbe = (page: Page) =>
  page.evaluate(() => {
    const p = (window as unknown as { __probe: Probe }).__probe;
    Object.assign(p, { frames: 0, maxGapMs: 0, longTasks: 0, longTaskMs: 0, answerBatches: 0, answerRecords: 0 });
  });
const readProbe = (page: Page) => page.evaluate(() => ({ ...(window as unknown as { __probe: Probe }).__probe }));

async function openPage(url: string): Promise<Viewer> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(PROBE);
  context.on('console', (m) => {
    // Chromium's own favicon probe (the dashboard declares no icon) is not the page's error.
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) consoleErrors.push(`${m.location().url}: ${m.text()}`);
  });
  const v = await openViewer(context, url, AGENT);
  await v.page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 5000 });
  return v;
}

it('a 5000-token answer: whole and in order on a page watching from the start, one reloaded mid-answer and one opened late', async () => {
  const started = Date.now();
  const url = `${t!.url}/?agent=${AGENT}`;
  const up = t!.upstream;

  await streamPrelude(up);
  const a = await openPage(url);
  const c = await openPage(url);
  for (const v of [a, c]) {
    await v.page.locator(`li[data-row-type=tool][data-call-id=${CALL}][data-tool-status=completed]`).waitFor({ timeout: 5000 });
    await v.page.locator(`li[data-row-type=text][data-role=user][data-part-id=${PROMPT}]`).waitFor({ timeout: 5000 });
  }
  await resetProbe(a.page);

  const driving = streamAnswer(up);
  driving.catch(() => undefined); // awaited below; a failure before then must not go unhandled

  // Page A grows while the answer streams: two samples mid-answer, each a prefix of the answer.
  await reached(Math.round(TOKENS / 3));
  const early = { text: await answerText(a.page), sent }; // `sent` read after: the lag is at most that

  await reached(TOKENS / 2);
  const reloadAt = sent;
  let release = () => {};
  holdBeforeEnd = new Promise<void>((r) => (release = r));
  await c.page.reload({ timeout: 10_000 });
  await hasAnswerText(c.page);
  const cShownAt = sent;
  release(); // C shows the answer again (the whole text so far, from history) before the end

  await reached(Math.round((2 * TOKENS) / 3));
  const later = { text: await answerText(a.page), sent };

  await reached((3 * TOKENS) / 4);
  const lateAt = sent;
  holdBeforeEnd = new Promise<void>((r) => (release = r));
  const b = await openPage(url);
  await hasAnswerText(b.page);
  const bShownAt = sent;
  release();
  holdBeforeEnd = null;

  const lastTokenAt = await driving;
  await turn();
  up.next(textPart(ANSWER, WHOLE, MSG)); // kilo's full update of the finished part
  up.next(idle());

  // How long after the last token page A shows the whole answer.
  await a.page.waitForFunction(
    ([sel, whole]) => ((document.querySelector(sel) as HTMLElement | null)?.innerText ?? '').replace(/\s+/g, ' ').trim() === whole,
    [ANSWER_BODY, SHOWN_WHOLE] as const,
    {
      timeout: 10_000,
      polling: 10,
    },
  );
  const showMs = Date.now() - lastTokenAt;
  const probe = await readProbe(a.page);

  for (const v of [b, c]) {
    await v.page.waitForFunction(
      ([sel, whole]) => ((document.querySelector(sel) as HTMLElement | null)?.innerText ?? '').replace(/\s+/g, ' ').trim() === whole,
      [ANSWER_BODY, SHOWN_WHOLE] as const,
      {
        timeout: 5000,
        polling: 50,
      },
    );
  }
  for (const v of [a, b, c]) await v.page.locator('[data-testid=agent-state][data-agent-state=idle]').waitFor({ timeout: 5000 });

  // Streamed, not pasted at the end: A's text grew between the samples, each time in order.
  expect(early.text.length).toBeGreaterThan(0);
  expect(later.text.length).toBeGreaterThan(early.text.length);
  expect(SHOWN_WHOLE.startsWith(early.text)).toBe(true);
  expect(SHOWN_WHOLE.startsWith(later.text)).toBe(true);
  // The reload and the late page really happened mid-answer.
  expect(reloadAt).toBeLessThan(TOKENS);
  expect(cShownAt).toBeLessThan(TOKENS);
  expect(lateAt).toBeLessThan(TOKENS);
  expect(bShownAt).toBeLessThan(TOKENS);
  expect(c.streams.map((s) => s.lastEventId)).toEqual([null, null]); // the reload is a fresh page, not a resume
  expect(c.streams.map((s) => s.status)).toEqual([200, 200]);

  const expectedRows = [
    `text:user:${PROMPT}`,
    `text:assistant:${REASONING}:reasoning`,
    `tool:${CALL}:completed`,
    `text:assistant:${ANSWER}`,
  ];
  for (const [name, v] of [
    ['A', a],
    ['B (late)', b],
    ['C (reloaded)', c],
  ] as const) {
    const what = `page ${name}`;
    // whole and in order, exactly once
    expect({ what, text: await answerText(v.page) }).toEqual({ what, text: SHOWN_WHOLE });
    expect({ what, answerRows: await v.page.locator(ANSWER_ROW).count() }).toEqual({ what, answerRows: 1 });
    // the prompt, the reasoning and the tool call come before the answer (DOM order), nothing else
    expect({ what, rows: await rowsOf(v.page) }).toEqual({ what, rows: expectedRows });
    const rowSeqs = await v.page.locator('li[data-seq]').evaluateAll((els) => els.map((e) => e.getAttribute('data-seq')));
    expect(new Set(rowSeqs).size).toBe(rowSeqs.length);
    expect({ what, pageErrors: v.pageErrors }).toEqual({ what, pageErrors: [] });
  }
  expect(consoleErrors).toEqual([]);
  expect(showMs).toBeLessThan(SHOW_BOUND_MS);

  process.stdout.write(
    `long-answer e2e: ${TOKENS} tokens; page A showed the whole answer ${showMs} ms after the last token; ` +
      `A at most ${early.sent - shown(early.text)}/${later.sent - shown(later.text)} tokens behind the upstream at the mid samples; ` +
      `reload at token ${reloadAt} (shown again at ${cShownAt}), late page at ${lateAt} (shown at ${bShownAt}); ` +
      `A while streaming: ${probe.frames} frames, max frame gap ${Math.round(probe.maxGapMs)} ms, ${probe.longTasks} long tasks (${Math.round(probe.longTaskMs)} ms), ` +
      `${probe.answerBatches} DOM mutation batches on the answer row (${probe.answerRecords} records); test ${Date.now() - started} ms\n`,
  );
});
