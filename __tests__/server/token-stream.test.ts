import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeSseMessage } from '../../src/sse/encode-sse';
import { delta, idle, messageUpdated, reasoningPart, status, textPart, toolPart } from '../helpers/kilo-builders';
import { openSse, ticketFor } from '../helpers/sse-client';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const turn = () => new Promise((r) => setImmediate(r));
const ANSWER = 'prt_9000';
const MSG_USER = 'msg_0001';
const MSG = 'msg_0002';

/** Step `n` of the turn: a bash call, running or completed. */
const step = (n: number, state: 'running' | 'completed', output = 'ok') =>
  toolPart(
    `call_${n}`,
    state === 'running'
      ? { status: 'running', input: { command: `step ${n}` }, title: `step ${n}`, time: { start: 1 } }
      : { status: 'completed', input: { command: `step ${n}` }, output, title: `step ${n}`, metadata: {}, time: { start: 1, end: 2 } },
    { partId: `prt_${String(1000 + n)}`, messageId: MSG },
  );

/** A turn as real kilo streams it: prompt, reasoning, two tool calls, then the answer token by token, each in its own turn. */
async function streamTurn(t: TestControlServer, tokens: number): Promise<string[]> {
  t.upstream.next(status('busy'));
  t.upstream.next(messageUpdated(MSG_USER, 'user'));
  t.upstream.next(textPart('prt_0001', 'Explain the change, please.', MSG_USER));
  t.upstream.next(messageUpdated(MSG, 'assistant'));
  t.upstream.next(reasoningPart('prt_0500', 'Let me look at the files first.', MSG));
  for (const n of [1, 2]) {
    t.upstream.next(step(n, 'running'));
    t.upstream.next(step(n, 'completed'));
  }
  await turn();
  t.upstream.next(textPart(ANSWER, '', MSG));
  const words: string[] = [];
  for (let i = 0; i < tokens; i++) {
    const w = `w${i}${i % 17 === 0 ? '\n' : ' '}`;
    words.push(w);
    t.upstream.next(delta(ANSWER, w, MSG));
    await turn();
  }
  t.upstream.next(textPart(ANSWER, words.join(''), MSG));
  t.upstream.next(idle());
  await turn();
  return words;
}

describe('a real answer streamed token by token, over real sockets', () => {
  let t: TestControlServer;
  afterEach(() => t?.close());

  it('costs a live viewer O(text + deltas): at most 1.2x the delta frames themselves; a late joiner sees prompt and tools before the answer', async () => {
    t = await startTestControlServer();
    const live = await openSse(await ticketFor(t.url, 'a1'));
    await live.waitFor((v) => v.events().length >= 1);
    const words = await streamTurn(t, 5000);
    await live.waitFor((v) => v.events().some((e) => e.event === 'status' && e.data!.includes('"idle"')), 10_000, 'idle');

    const answerFrames = live.events().filter((e) => e.event === 'text' && e.data!.includes(`"partId":"${ANSWER}"`));
    const sent = answerFrames.reduce((n, e) => n + Buffer.byteLength(encodeSseMessage({ id: e.id, event: e.event, data: e.data! })), 0);
    // The floor: one frame per delta carrying only that delta, with its id.
    const ideal = answerFrames
      .filter((e) => e.data!.includes('"delta"'))
      .reduce(
        (n, e, i) =>
          n +
          Buffer.byteLength(
            encodeSseMessage({
              id: e.id,
              event: 'text',
              data: JSON.stringify({ messageId: MSG, partId: ANSWER, role: 'assistant', delta: words[i] }),
            }),
          ),
        0,
      );
    expect(answerFrames.filter((e) => e.data!.includes('"delta"'))).toHaveLength(5000);
    expect(sent).toBeLessThanOrEqual(1.2 * ideal);
    const text = words.join('');
    let folded = '';
    for (const e of answerFrames) {
      const d = JSON.parse(e.data!) as { text?: string; delta?: string };
      folded = d.delta !== undefined ? folded + d.delta : d.text!;
    }
    expect(folded).toBe(text);

    const late = await openSse(await ticketFor(t.url, 'a1'));
    await late.waitFor((v) => v.events().some((e) => e.data?.includes(`"partId":"${ANSWER}"`)), 5000, 'the answer');
    const rows = late.events().map((e) => {
      const d = JSON.parse(e.data!) as { partId?: string; callId?: string };
      return `${e.event}:${e.event === 'tool' ? d.callId : (d.partId ?? '')}`;
    });
    const at = (row: string) => rows.indexOf(row);
    expect(at('text:prt_0001')).toBeGreaterThan(0);
    expect(at('reasoning:prt_0500')).toBeGreaterThan(0);
    for (const row of ['tool:call_1', 'tool:call_2']) expect(at(row)).toBeGreaterThan(at('text:prt_0001'));
    expect(at(`text:${ANSWER}`)).toBeGreaterThan(at('tool:call_2'));
    const answer = late.events().find((e) => e.data?.includes(`"partId":"${ANSWER}"`))!;
    expect(JSON.parse(answer.data!)).toEqual({ messageId: MSG, partId: ANSWER, role: 'assistant', text });
    expect(
      late
        .events()
        .filter((e) => e.event === 'tool')
        .map((e) => JSON.parse(e.data!).status),
    ).toEqual(['completed', 'completed']);
    // The late joiner pays for the state, not for the tokens.
    expect(Buffer.byteLength(late.body)).toBeLessThan(3 * Buffer.byteLength(text) + 4096);
    live.close();
    late.close();
  }, 60_000);

  it('8 late joiners that read nothing, over a 5 MB history, grow the server heap + external by at most 16 MiB in all', async () => {
    t = await startTestControlServer();
    for (let n = 1; n <= 100; n++) t.upstream.next(step(n, 'completed', `${n} `.repeat(50_000).slice(0, 50_000)));
    await turn();
    expect(t.agent.history.bytes).toBeGreaterThan(5_000_000);
    const used = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const urls = await Promise.all(Array.from({ length: 8 }, () => ticketFor(t.url, 'a1')));
    const before = used();
    const viewers = await Promise.all(urls.map((u) => openSse(u, {}, { paused: true })));
    await new Promise((r) => setTimeout(r, 500));
    const grown = used() - before;
    expect(t.server.broadcasts.viewerCount('a1')).toBe(8);
    expect(grown).toBeLessThanOrEqual(16 * 1024 * 1024);
    // They are still served: one reader catches up on the whole history.
    viewers[0]!.response.resume();
    await viewers[0]!.waitFor((v) => v.events().filter((e) => e.event === 'tool').length === 100, 10_000, 'the whole history');
    viewers.forEach((v) => v.close());
  }, 30_000);
});
