/**
 * Records one real kilo serve turn and saves it twice:
 * - the raw `GET /event` transcript (the `data:` frames exactly as received, `sync` copies
 *   included) to __tests__/fixtures/recorded-turn.sse;
 * - the demo session, demo/demo-session.jsonl: one `{delayMs, event}` per line, the same frames
 *   without `sync` copies, `server.connected`, `server.heartbeat` and the start-up burst, each
 *   `delayMs` the real time since the previous kept frame (arrival times taken while recording),
 *   clamped to [20, 1500] ms.
 *
 * The turn, scripted by the fake LLM, which streams reasoning and text one word per chunk every
 * {@link WORD_DELAY_MS} ms as a real LLM streams tokens (kilo sends one `message.part.delta` per
 * chunk): `write` creates hello.txt in the work dir (file.edited), `bash` shows it and counts its
 * lines, `read` of the missing notes.txt fails (tool state `error`), then a closing answer of about
 * 300 words ({@link FINAL}), so the demo shows the text being typed, not pasted.
 * Temp paths are rewritten to `/srv/agent` (the work dir becomes `/srv/agent/proj`), as in
 * ../shared/kilo's recordings. Exits non-zero if the turn did not have all of that.
 *
 * Run: `npx ts-node --transpile-only scripts/record-fixture.ts [out.sse] [out.jsonl]`
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { AgentEvent } from '../src/protocol/agent-event';
import { createAgentEventMapper } from '../src/agent/create-agent-event-mapper';
import type { KiloEvent } from '../src/kilo/kilo-event-types';
import { parseKiloEvent } from '../src/kilo/parse-kilo-event';
import { sessionIdOf } from '../src/kilo/session-id-of';
import { createKiloSessionClient } from '../src/kilo/kilo-session-client';
import { launchKilo, type KiloProcess } from '../src/kilo/launch-kilo';
import { createDemoIdRewriter } from '../src/demo/create-demo-id-rewriter';
import { createFakeLlm, type FakeLlm } from '../src/demo/fake-llm';
import { kiloConfigFor } from '../src/demo/write-kilo-config';

const ROOT = join(__dirname, '..');
const OUT_SSE = resolve(process.argv[2] ?? join(ROOT, '__tests__', 'fixtures', 'recorded-turn.sse'));
const OUT_DEMO = resolve(process.argv[3] ?? join(ROOT, 'demo', 'demo-session.jsonl'));
const CONTENT = 'hello from the fake LLM\nsecond line\n';
const PROMPT = 'Create hello.txt with two lines, show it and count its lines, then read notes.txt if it exists.';
/** The closing answer (~300 words), streamed word by word; no trailing whitespace, so kilo's final text is exactly this. */
const FINAL = [
  'Here is what I did, step by step.',
  '',
  '1. **Created hello.txt.** I wrote a new file, hello.txt, in the project directory with exactly two lines: ' +
    '"hello from the fake LLM" and "second line". The write tool reported success, and kilo recorded the change ' +
    'as a file edit, so anything watching this workspace was told that hello.txt appeared.',
  '',
  '2. **Showed it and counted its lines.** I ran one shell command, `cat hello.txt && wc -l < hello.txt`. ' +
    'The cat part printed both lines back exactly as written, which confirms that the content on disk matches ' +
    'what I intended. The wc part printed 2: each line ends with a newline, so the count is exact, with no stray ' +
    'blank line and no missing final newline.',
  '',
  '3. **Looked for notes.txt.** You asked me to read notes.txt if it exists. I tried to read it, and the read ' +
    'failed because notes.txt does not exist in the project directory. That failure is expected and harmless: ' +
    'it is how I found out that the file is missing, and nothing else changed because of it. I did not create ' +
    'notes.txt, since you only asked me to read it if it was already there.',
  '',
  '**Where things stand.** The project directory now holds hello.txt with its two lines. No existing file was ' +
    'modified or deleted, and the only command I ran just printed and counted.',
  '',
  '**Possible next steps:**',
  '- If you expected notes.txt to be here, it may live in another folder or under another name: tell me where ' +
    'to look and I will read it.',
  '- I can create notes.txt now, for example with a short summary of this session, or add more lines to hello.txt.',
  '- If hello.txt matters to a build step, I can add a small check that it keeps exactly two lines.',
  '',
  'Let me know how you would like to continue.',
].join('\n');
/** The pause before each streamed chunk: one word every ~32 ms, ~30 words/s, a real LLM's pace. */
const WORD_DELAY_MS = 32;
/** The fewest text deltas the demo must stream (kilo sends one per chunk). */
const MIN_TEXT_DELTAS = 200;
/** Below this many loops before kilo's id counter wraps (~2.5 days of demo), warn (__tests__/demo checks it). */
const MIN_ORDERED_LOOPS = 10_000;
const TURN_TIMEOUT_MS = 60_000;
const DELAY_MIN_MS = 20;
const DELAY_MAX_MS = 1500;
/** Not agent activity: dropped from the demo session. */
const DROPPED = new Set(['sync', 'server.connected', 'server.heartbeat']);

interface Frame {
  at: number;
  data: string;
}

/** Collects the raw `/event` body (whole frames) until `signal` aborts; every `data` payload goes to `onFrame` with its arrival time. */
async function capture(url: string, onFrame: (frame: Frame) => void, signal: AbortSignal): Promise<string> {
  const res = await fetch(`${url}/event`, { signal, headers: { Accept: 'text/event-stream' } });
  if (!res.ok || !res.body) throw new Error(`GET /event: HTTP ${res.status}`);
  const decoder = new TextDecoder();
  let raw = '';
  let scanned = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const at = performance.now();
      raw += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = raw.indexOf('\n\n', scanned)) >= 0) {
        const block = raw.slice(scanned, end);
        scanned = end + 2;
        for (const line of block.split('\n')) if (line.startsWith('data:')) onFrame({ at, data: line.slice(5).trimStart() });
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  return raw.slice(0, scanned); // whole frames only
}

const parse = (data: string): KiloEvent => {
  const r = parseKiloEvent(data);
  if (!r.ok) throw new Error(`unparseable frame: ${r.error.message}`);
  return r.event;
};
const typeOf = (e: KiloEvent) => (e.type === 'unknown' ? e.rawType : e.type);

/**
 * The demo frames: from the session's first event on (the start-up burst comes before it),
 * without the frames in {@link DROPPED} and without other sessions' events.
 */
function demoLines(frames: Frame[], sessionId: string): string[] {
  const first = frames.findIndex((f) => sessionIdOf(parse(f.data)) === sessionId);
  if (first < 0) throw new Error('no event of the session was recorded');
  const lines: string[] = [];
  let previous = frames[first]!.at; // nothing of the session precedes its first frame: the minimum delay
  for (const f of frames.slice(first)) {
    const event = parse(f.data);
    const sid = sessionIdOf(event);
    if (DROPPED.has(typeOf(event)) || (sid !== undefined && sid !== sessionId)) continue;
    const delayMs = Math.min(DELAY_MAX_MS, Math.max(DELAY_MIN_MS, Math.round(f.at - previous)));
    previous = f.at;
    lines.push(`{"delayMs":${delayMs},"event":${f.data}}`);
  }
  return lines;
}

/** Throws unless the mapped turn has everything the demo is meant to show. */
function checkRich(events: AgentEvent[]): void {
  const has = (what: string, ok: boolean) => {
    if (!ok) throw new Error(`the recorded turn has no ${what}`);
  };
  const tool = (name: string, status: string) => events.some((e) => e.type === 'tool' && e.data.tool === name && e.data.status === status);
  const states = events.flatMap((e) => (e.type === 'status' ? [e.data.state] : []));
  has('busy status', states.includes('busy'));
  has(
    'streamed reasoning',
    events.some((e) => e.type === 'reasoning' && e.data.delta !== undefined),
  );
  const textDeltas = events.filter((e) => e.type === 'text' && e.data.delta !== undefined).length;
  has(`text streamed word by word (${textDeltas} text deltas, want >= ${MIN_TEXT_DELTAS})`, textDeltas >= MIN_TEXT_DELTAS);
  for (const name of ['write', 'bash']) for (const s of ['pending', 'running', 'completed']) has(`${name} ${s}`, tool(name, s));
  has('read error', tool('read', 'error'));
  has(
    'file edit',
    events.some((e) => e.type === 'file'),
  );
  // The whole answer comes from kilo's full `message.part.updated` (deltas carry no `text`).
  has(
    'final text',
    events.some((e) => e.type === 'text' && e.data.role === 'assistant' && e.data.text === FINAL),
  );
  has(
    'completed message with tokens',
    events.some((e) => e.type === 'message' && e.data.finish === 'stop' && e.data.tokens !== undefined),
  );
  has('idle at the end', states[states.length - 1] === 'idle');
}

async function main(): Promise<void> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'agent-stream-rec-')));
  const workDir = join(root, 'proj');
  mkdirSync(workDir);
  let llm: FakeLlm | undefined;
  let kilo: KiloProcess | undefined;
  try {
    llm = await createFakeLlm({
      turns: [
        {
          reasoning:
            'The user wants a two-line hello.txt, its contents and line count, and notes.txt if there is one. I will write hello.txt first.',
          text: "I'll start by creating hello.txt.",
          toolCalls: [{ name: 'write', args: { filePath: join(workDir, 'hello.txt'), content: CONTENT } }],
          usage: { prompt_tokens: 9412, completion_tokens: 88, reasoning_tokens: 31 },
        },
        {
          reasoning: 'hello.txt is written. One bash call can show it with cat and count its lines with wc -l.',
          toolCalls: [
            { name: 'bash', args: { command: 'cat hello.txt && wc -l < hello.txt', description: 'Show hello.txt and count its lines' } },
          ],
          usage: { prompt_tokens: 9637, completion_tokens: 64, reasoning_tokens: 22 },
        },
        {
          reasoning: 'Two lines, as expected. Now notes.txt: reading it tells whether it exists.',
          toolCalls: [{ name: 'read', args: { filePath: join(workDir, 'notes.txt') } }],
          usage: { prompt_tokens: 9771, completion_tokens: 41, reasoning_tokens: 18 },
        },
        {
          reasoning: 'The read failed: notes.txt does not exist. Nothing else to do, so I will sum up what I did and suggest next steps.',
          text: FINAL,
          usage: { prompt_tokens: 9860, completion_tokens: 436, reasoning_tokens: 24 },
        },
      ],
      chunkBy: 'word',
      chunkDelayMs: WORD_DELAY_MS,
    });
    kilo = await launchKilo({ config: kiloConfigFor({ baseURL: llm.baseURL }), workDir, tempParent: root });
    const client = createKiloSessionClient({ baseUrl: kilo.url });

    let sessionId: string | undefined;
    let connected!: () => void;
    let turnClosed!: () => void;
    const isConnected = new Promise<void>((r) => (connected = r));
    const isClosed = new Promise<void>((r) => (turnClosed = r));
    const frames: Frame[] = [];
    const stop = new AbortController();
    const recording = capture(
      kilo.url,
      (frame) => {
        frames.push(frame);
        const r = parseKiloEvent(frame.data);
        if (!r.ok) return;
        if (r.event.type === 'server.connected') connected();
        if (r.event.type === 'session.turn.close' && r.event.properties.sessionID === sessionId) turnClosed();
      },
      stop.signal,
    );
    await isConnected;
    await new Promise((r) => setTimeout(r, 1000)); // the start-up burst, before the session exists
    sessionId = (await client.createSession({ title: 'hello.txt and notes.txt' })).id;
    await client.promptAsync(sessionId, PROMPT);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closed = await Promise.race([
      isClosed.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), TURN_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    await new Promise((r) => setTimeout(r, 500)); // trailing session.updated / session.diff
    stop.abort();
    const raw = await recording;
    if (!closed) throw new Error(`the turn did not close within ${TURN_TIMEOUT_MS} ms`);
    if (readFileSync(join(workDir, 'hello.txt'), 'utf8') !== CONTENT) throw new Error('hello.txt was not written as scripted');
    if (existsSync(join(workDir, 'notes.txt'))) throw new Error('notes.txt exists: the read would not fail');

    // Relative forms (kilo's `path`, tool titles) drop the leading slash.
    const tempDir = kilo.tempDir;
    const rewrite = (s: string) =>
      s
        .split(tempDir)
        .join('/srv/agent/kilo')
        .split(tempDir.slice(1))
        .join('srv/agent/kilo')
        .split(root)
        .join('/srv/agent')
        .split(root.slice(1))
        .join('srv/agent');
    const sse = rewrite(raw);
    const demo = demoLines(
      frames.map((f) => ({ at: f.at, data: rewrite(f.data) })),
      sessionId,
    );

    const mapper = createAgentEventMapper({ agentId: 'recorded', sessionId });
    const mapped = demo.flatMap((l) => mapper.map(parse(JSON.stringify((JSON.parse(l) as { event: unknown }).event))));
    checkRich(mapped);

    mkdirSync(dirname(OUT_SSE), { recursive: true });
    writeFileSync(OUT_SSE, sse);
    mkdirSync(dirname(OUT_DEMO), { recursive: true });
    writeFileSync(OUT_DEMO, `${demo.join('\n')}\n`);

    const types = new Map<string, number>();
    for (const f of frames) types.set(typeOf(parse(f.data)), (types.get(typeOf(parse(f.data))) ?? 0) + 1);
    const total = demo.reduce((sum, l) => sum + (JSON.parse(l) as { delayMs: number }).delayMs, 0);
    process.stdout.write(`wrote ${OUT_SSE} (${sse.length} bytes, ${frames.length} frames)\n`);
    for (const [t, n] of [...types].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${String(n).padStart(4)}  ${t}\n`);
    process.stdout.write(`wrote ${OUT_DEMO} (${demo.length} frames, ${(total / 1000).toFixed(1)} s)\n`);
    const deltas = (type: string) => mapped.filter((e) => e.type === type && (e.data as { delta?: string }).delta !== undefined).length;
    process.stdout.write(
      `  ${deltas('text')} text deltas, ${deltas('reasoning')} reasoning deltas, answer of ${FINAL.split(/\s+/).length} words\n`,
    );
    process.stdout.write(`LLM requests: ${llm.requests.map((q) => q.kind).join(', ')}\n`);
    const ids = createDemoIdRewriter({ texts: demo.map((l) => JSON.stringify((JSON.parse(l) as { event: unknown }).event)) });
    const days = (ids.lastOrderedLoop * (total + 4000)) / 86_400_000;
    process.stdout.write(
      `demo ids: offset 2^${Math.log2(ids.offset)}, ordered for ${ids.lastOrderedLoop} loops (~${days.toFixed(0)} days)\n`,
    );
    if (ids.lastOrderedLoop < MIN_ORDERED_LOOPS) {
      process.stderr.write(
        `warning: kilo's 48-bit id counter is close to wrapping: the demo's ids stay ordered for only ${ids.lastOrderedLoop} loops; record again in a few days\n`,
      );
    }
  } finally {
    await kilo?.stop();
    await llm?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`record-fixture failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
