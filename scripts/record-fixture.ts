/**
 * Records one real kilo serve turn as a fixture: the raw `GET /event` transcript (the `data:`
 * frames exactly as received, `sync` copies included) of a turn where the fake LLM makes kilo run
 * the `write` tool (creating hello.txt in the work dir), then the `bash` tool, then streams a
 * text answer. Temp paths are rewritten to `/srv/agent` (the work dir becomes `/srv/agent/proj`),
 * as in ../shared/kilo's recordings.
 *
 * Run: `npx ts-node --transpile-only scripts/record-fixture.ts [out.sse]`
 * (default out: __tests__/fixtures/recorded-turn.sse). Exits non-zero if the turn did not complete.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseKiloEvent } from '../src/kilo/parse-kilo-event';
import { createKiloSessionClient } from '../src/process/kilo-session-client';
import { launchKilo, type KiloProcess } from '../src/process/launch-kilo';
import { createFakeLlm, type FakeLlm } from '../src/testing/fake-llm';
import { kiloConfigFor } from '../src/testing/write-kilo-config';

const OUT = resolve(process.argv[2] ?? join(__dirname, '..', '__tests__', 'fixtures', 'recorded-turn.sse'));
const CONTENT = 'hello from the fake LLM\nsecond line\n';
const FINAL = 'I wrote hello.txt and checked it with cat and wc. Everything is in place.';
const PROMPT = 'Please create hello.txt, then show it and count its lines.';
const TURN_TIMEOUT_MS = 30_000;

/** Collects the raw `/event` body (whole frames) until `signal` aborts, passing each `data` payload to `onFrame`. */
async function capture(url: string, onFrame: (data: string) => void, signal: AbortSignal): Promise<string> {
  const res = await fetch(`${url}/event`, { signal, headers: { Accept: 'text/event-stream' } });
  if (!res.ok || !res.body) throw new Error(`GET /event: HTTP ${res.status}`);
  const decoder = new TextDecoder();
  let raw = '';
  let scanned = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      raw += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = raw.indexOf('\n\n', scanned)) >= 0) {
        const frame = raw.slice(scanned, end);
        scanned = end + 2;
        for (const line of frame.split('\n')) if (line.startsWith('data:')) onFrame(line.slice(5).trimStart());
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  return raw.slice(0, scanned); // whole frames only
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
        { toolCalls: [{ name: 'write', args: { filePath: join(workDir, 'hello.txt'), content: CONTENT } }] },
        { toolCalls: [{ name: 'bash', args: { command: 'cat hello.txt && wc -l < hello.txt', description: 'Show and count hello.txt' } }] },
        { text: FINAL, chunkDelayMs: 20 },
      ],
      chunkSize: 8,
    });
    kilo = await launchKilo({ config: kiloConfigFor({ baseURL: llm.baseURL }), workDir, tempParent: root });
    const client = createKiloSessionClient({ baseUrl: kilo.url });

    let sessionId: string | undefined;
    let connected!: () => void;
    let turnClosed!: () => void;
    const isConnected = new Promise<void>((r) => (connected = r));
    const isClosed = new Promise<void>((r) => (turnClosed = r));
    const stop = new AbortController();
    const recording = capture(
      kilo.url,
      (data) => {
        const r = parseKiloEvent(data);
        if (!r.ok) return;
        if (r.event.type === 'server.connected') connected();
        if (r.event.type === 'session.turn.close' && r.event.properties.sessionID === sessionId) turnClosed();
      },
      stop.signal,
    );
    await isConnected;
    sessionId = (await client.createSession({ title: 'recorded turn' })).id;
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

    // Relative forms (kilo's `path`, tool titles) drop the leading slash.
    const rewritten = raw
      .split(kilo.tempDir).join('/srv/agent/kilo')
      .split(kilo.tempDir.slice(1)).join('srv/agent/kilo')
      .split(root).join('/srv/agent')
      .split(root.slice(1)).join('srv/agent');
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, rewritten);

    const types = new Map<string, number>();
    for (const line of rewritten.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const r = parseKiloEvent(line.slice(5).trimStart());
      if (!r.ok) throw new Error(`unparseable frame: ${r.error.message}`);
      const t = r.event.type === 'unknown' ? `${r.event.rawType} (unknown)` : r.event.type;
      types.set(t, (types.get(t) ?? 0) + 1);
    }
    process.stdout.write(`wrote ${OUT} (${rewritten.length} bytes)\n`);
    for (const [t, n] of [...types].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${String(n).padStart(4)}  ${t}\n`);
    process.stdout.write(`LLM requests: ${llm.requests.map((q) => q.kind).join(', ')}\n`);
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
