import { Subject } from 'rxjs';
import type { ExitData } from '../../src/protocol/agent-event';
import { createManagedAgent, type ManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createAgentBroadcast, type AgentBroadcast } from '../../src/server/create-agent-broadcast';
import { createStreamMetrics, type StreamMetrics } from '../../src/server/create-stream-metrics';
import { createFakeResponse, parseFrames } from '../helpers/fake-response';
import { SES, delta, fileEdited, textPart } from '../helpers/kilo-builders';

const turn = () => new Promise((r) => setImmediate(r));

let upstream: Subject<KiloEvent>;
let exit$: Subject<ExitData>;
let agent: ManagedAgent;
let metrics: StreamMetrics;
let idle: jest.Mock;
let broadcast: AgentBroadcast;

function setUp(options: { keepaliveMs?: number; maxBufferedBytes?: number; flushIntervalMs?: number } = {}) {
  upstream = new Subject();
  exit$ = new Subject();
  agent = createManagedAgent({ agentId: 'a1', sessionId: SES, events: upstream, exit$, firstId: 1 });
  metrics = createStreamMetrics();
  idle = jest.fn();
  broadcast = createAgentBroadcast(agent, {
    keepaliveMs: options.keepaliveMs ?? 60_000,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
    retryMs: 2000,
    // One write per turn unless a test opens a frame window.
    flushIntervalMs: options.flushIntervalMs ?? 0,
    metrics,
    onIdle: idle,
  });
}

const files = (from: number, to: number) => {
  for (let i = from; i <= to; i++) upstream.next(fileEdited(`/f${i}`));
};
const bigTool = (i: number, bytes: number): KiloEvent =>
  ({
    type: 'message.part.updated',
    properties: {
      sessionID: SES,
      part: {
        id: `prt_${String(i).padStart(4, '0')}`,
        sessionID: SES,
        messageID: 'msg_a',
        type: 'tool',
        callID: `call_${i}`,
        tool: 'bash',
        state: {
          status: 'completed',
          input: { command: 'x' },
          output: 'o'.repeat(bytes),
          title: 't',
          metadata: {},
          time: { start: 1, end: 2 },
        },
      },
    },
  }) as KiloEvent;
const ids = (text: string) => parseFrames(text).flatMap((f) => (f.id === undefined ? [] : [f.id]));

describe('createAgentBroadcast', () => {
  afterEach(() => agent?.stop());

  it('joins history and live at the seam: every id once, in order, also while a batch is pending', async () => {
    setUp();
    files(1, 5);
    const early = createFakeResponse();
    broadcast.join(early.res);
    files(6, 8); // not flushed yet: the batch goes out at the end of this turn
    const late = createFakeResponse();
    broadcast.join(late.res);
    files(9, 10);
    await turn();
    files(11, 12);
    await turn();
    for (const v of [early, late]) {
      expect(v.status).toBe(200);
      expect(ids(v.text())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(parseFrames(v.text())[0]).toMatchObject({ event: 'status' });
      expect(v.text().startsWith('retry: 2000\n\n')).toBe(true);
    }
  });

  it('writes the opening burst as the socket drains: a viewer that reads nothing holds about one chunk', async () => {
    setUp();
    for (let i = 1; i <= 40; i++) upstream.next(bigTool(i, 50_000)); // ~2 MB of history
    const stalled = createFakeResponse();
    broadcast.join(stalled.res);
    files(41, 45); // live events while the burst is paced
    await turn();
    expect(stalled.peakQueued).toBeLessThan(128 * 1024);
    expect(ids(stalled.text()).length).toBeLessThan(5);
    // The reader catches up: all of the history, then the live frames, in order, none twice.
    await stalled.readAll();
    files(46, 47);
    await turn();
    expect(ids(stalled.text())).toEqual(Array.from({ length: 47 }, (_, i) => i + 1));
    expect(stalled.peakQueued).toBeLessThan(128 * 1024);
  });

  it('cuts a viewer whose unread history the bounds dropped during its opening burst (it resumes and gets a gap)', async () => {
    upstream = new Subject();
    agent = createManagedAgent({ agentId: 'a1', sessionId: SES, events: upstream, firstId: 1, historyBytes: 600_000 });
    metrics = createStreamMetrics();
    broadcast = createAgentBroadcast(agent, { keepaliveMs: 60_000, maxBufferedBytes: 1 << 20, retryMs: 2000, flushIntervalMs: 0, metrics });
    for (let i = 1; i <= 10; i++) upstream.next(bigTool(i, 50_000));
    const slow = createFakeResponse();
    broadcast.join(slow.res);
    for (let i = 11; i <= 20; i++) upstream.next(bigTool(i, 50_000)); // evicts what it has not read
    slow.read();
    await turn();
    expect(slow.destroyed).toBe(true);
    expect(metrics.slowConsumerDisconnects).toBe(1);
    const back = createFakeResponse();
    broadcast.join(back.res, { lastEventId: Math.max(...ids(slow.text())) });
    await back.readAll();
    expect(parseFrames(back.text())[1]).toMatchObject({ event: 'gap' });
  });

  it('sends a streamed part to a joiner as its whole text and to a live viewer as deltas', async () => {
    setUp();
    const live = createFakeResponse();
    broadcast.join(live.res);
    upstream.next(textPart('prt_1', ''));
    for (const w of ['Hello ', 'big ', 'world']) upstream.next(delta('prt_1', w));
    await turn();
    const late = createFakeResponse();
    broadcast.join(late.res);
    await turn();
    const liveText = parseFrames(live.text())
      .filter((f) => f.event === 'text')
      .map((f) => f.data);
    expect(liveText).toEqual([
      { messageId: 'msg_a', partId: 'prt_1', role: 'assistant', text: '' },
      ...['Hello ', 'big ', 'world'].map((d) => ({ messageId: 'msg_a', partId: 'prt_1', role: 'assistant', delta: d })),
    ]);
    expect(parseFrames(late.text()).filter((f) => f.event === 'text')).toEqual([
      { id: 4, event: 'text', data: { messageId: 'msg_a', partId: 'prt_1', role: 'assistant', text: 'Hello big world' } },
    ]);
  });

  it('cuts a live viewer whose unsent bytes exceed maxBufferedBytes, and only that one', async () => {
    setUp({ maxBufferedBytes: 64 * 1024 });
    const slow = createFakeResponse();
    const fast = createFakeResponse();
    broadcast.join(slow.res);
    broadcast.join(fast.res);
    for (let i = 1; i <= 10; i++) {
      upstream.next(bigTool(i, 20_000));
      await turn();
      fast.read();
    }
    expect(slow.destroyed).toBe(true);
    expect(fast.destroyed).toBe(false);
    expect(metrics.slowConsumerDisconnects).toBe(1);
    expect(ids(fast.text())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(broadcast.viewers.size).toBe(1);
  });

  it('sends a keepalive every keepaliveMs while the agent is quiet', async () => {
    setUp({ keepaliveMs: 20 });
    const v = createFakeResponse();
    broadcast.join(v.res);
    const keepalives = () => v.text().split(': keepalive\n\n').length - 1;
    // Two within ~2 intervals on an idle machine; polled, so a loaded CI machine's late timers do not fail it.
    const deadline = Date.now() + 1000;
    while (keepalives() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(keepalives()).toBeGreaterThanOrEqual(2);
  });

  it('releases its subscription and timers when the last viewer leaves', async () => {
    setUp({ keepaliveMs: 10 });
    const a = createFakeResponse();
    const b = createFakeResponse();
    broadcast.join(a.res);
    broadcast.join(b.res);
    a.hangUp();
    expect(idle).not.toHaveBeenCalled();
    b.hangUp();
    expect(idle).toHaveBeenCalledTimes(1);
    expect(broadcast.viewers.size).toBe(0);
    const written = b.text().length;
    files(1, 3);
    await new Promise((r) => setTimeout(r, 40));
    expect(b.text().length).toBe(written);
    expect(metrics.eventsForwarded).toBe(0);
  });

  it('ends every stream after the exit frame; a viewer joining after the exit replays and ends', async () => {
    setUp();
    const v = createFakeResponse();
    broadcast.join(v.res);
    files(1, 2);
    exit$.next({ reason: 'process_exit', code: 0 });
    await turn();
    expect(v.ended).toBe(true);
    expect(parseFrames(v.text()).at(-1)).toEqual({ id: 4, event: 'exit', data: { reason: 'process_exit', code: 0 } });
    const late = createFakeResponse();
    broadcast.join(late.res);
    await turn();
    expect(late.ended).toBe(true);
    expect(ids(late.text())).toEqual([1, 2, 3, 4]);
  });

  it('keeps only the named types for replay and live alike, status and exit always', async () => {
    setUp();
    upstream.next(textPart('prt_1', 'hi'));
    files(1, 1);
    const v = createFakeResponse();
    broadcast.join(v.res, { types: new Set(['file']) });
    upstream.next(textPart('prt_2', 'there'));
    files(2, 2);
    agent.stop();
    await turn();
    expect(parseFrames(v.text()).map((f) => f.event)).toEqual(['status', 'file', 'file', 'status', 'exit']);
  });
});
