import { Subject } from 'rxjs';
import type { ExitData } from '../../src/protocol/agent-event';
import { createManagedAgent, type ManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createAgentRegistry } from '../../src/agent/create-agent-registry';
import { createAgentBroadcast, type AgentBroadcast } from '../../src/server/create-agent-broadcast';
import { createAgentStreamRouter } from '../../src/server/create-agent-stream-router';
import { createControlServer } from '../../src/server/create-control-server';
import { createStreamMetrics, type StreamMetrics } from '../../src/server/create-stream-metrics';
import { DEFAULT_FLUSH_BURST } from '../../src/server/frame-batches';
import { createFakeResponse, parseFrames } from '../helpers/fake-response';
import { SES, fileEdited, fileEvent } from '../helpers/kilo-builders';
import { openSse } from '../helpers/sse-client';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';

const ids = (text: string) => parseFrames(text).flatMap((f) => (f.id === undefined ? [] : [f.id]));

describe('the frame window of a broadcast (flushIntervalMs)', () => {
  let upstream: Subject<KiloEvent>;
  let agent: ManagedAgent;
  let metrics: StreamMetrics;
  let broadcast: AgentBroadcast;
  const setUp = (flushIntervalMs: number, more: { keepaliveMs?: number; maxBufferedBytes?: number; flushBurst?: number } = {}) => {
    upstream = new Subject();
    agent = createManagedAgent({ agentId: 'a1', sessionId: SES, events: upstream, exit$: new Subject<ExitData>(), firstId: 1 });
    metrics = createStreamMetrics();
    broadcast = createAgentBroadcast(agent, {
      keepaliveMs: more.keepaliveMs ?? 3_600_000,
      maxBufferedBytes: more.maxBufferedBytes ?? 1 << 20,
      retryMs: 2000,
      flushIntervalMs,
      flushBurst: more.flushBurst ?? 1,
      metrics,
    });
  };
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    agent?.stop();
    jest.useRealTimers();
  });

  it('writes the events of one window to each viewer, filtered or not, in one write', () => {
    setUp(50);
    const all = createFakeResponse();
    const some = createFakeResponse();
    broadcast.join(all.res);
    broadcast.join(some.res, { types: new Set(['file']) });
    upstream.next(fileEdited('/f1'));
    jest.advanceTimersByTime(0); // after a quiet spell: at the end of the turn
    const [allBefore, someBefore] = [all.writes, some.writes];
    for (let i = 2; i <= 10; i++) {
      upstream.next(fileEdited(`/f${i}`));
      jest.advanceTimersByTime(5);
    }
    expect([all.writes, some.writes]).toEqual([allBefore, someBefore]); // 45 ms in: nothing yet
    jest.advanceTimersByTime(5);
    expect([all.writes, some.writes]).toEqual([allBefore + 1, someBefore + 1]);
    expect(ids(all.text())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(ids(some.text())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('with a write budget (flushBurst): events slower than one per window go out at once; a faster stream spends the burst, then one write per window', () => {
    setUp(50, { flushBurst: 4 });
    const v = createFakeResponse();
    broadcast.join(v.res);
    jest.advanceTimersByTime(0);
    const before = v.writes;
    // Five events 30 ms apart (closer than the window, fewer than the budget): each at the end of
    // its turn (with a burst of 1, each after the first would wait for the window).
    for (let i = 1; i <= 5; i++) {
      upstream.next(fileEdited(`/slow${i}`));
      jest.advanceTimersByTime(0);
      expect(v.writes).toBe(before + i);
      jest.advanceTimersByTime(30);
    }
    jest.advanceTimersByTime(200); // the budget refills
    // One every 5 ms for 500 ms: 4 at once (the burst, plus what refilled meanwhile), then one per 50 ms.
    const fast = v.writes;
    for (let i = 1; i <= 100; i++) {
      upstream.next(fileEdited(`/fast${i}`));
      jest.advanceTimersByTime(5);
    }
    jest.advanceTimersByTime(50);
    expect(v.writes - fast).toBeGreaterThanOrEqual(500 / 50);
    expect(v.writes - fast).toBeLessThanOrEqual(4 + 550 / 50 + 1);
    expect(ids(v.text())).toEqual(Array.from({ length: 105 }, (_, i) => i + 1));
  });

  it('writes the exit at once, with what the window held, and ends the streams', () => {
    setUp(1000);
    const v = createFakeResponse();
    broadcast.join(v.res);
    upstream.next(fileEdited('/f1'));
    jest.advanceTimersByTime(0);
    upstream.next(fileEdited('/f2')); // held by the window
    agent.stop('stopped');
    expect(parseFrames(v.text()).map((f) => f.event)).toEqual(['status', 'file', 'file', 'status', 'exit']);
    expect(v.ended).toBe(true);
  });

  it('still sends a keepalive every keepaliveMs, between the windows', () => {
    setUp(50, { keepaliveMs: 1000 });
    const v = createFakeResponse();
    broadcast.join(v.res);
    for (let ms = 0; ms < 3500; ms += 10) {
      if (ms % 100 === 0) upstream.next(fileEdited(`/f${ms}`));
      jest.advanceTimersByTime(10);
    }
    expect(v.text().split(': keepalive\n\n').length - 1).toBe(3);
    expect(ids(v.text())).toHaveLength(35);
  });

  it('still cuts a viewer whose unsent bytes exceed maxBufferedBytes, and only that one', () => {
    setUp(20, { maxBufferedBytes: 64 * 1024 });
    const slow = createFakeResponse();
    const fast = createFakeResponse();
    broadcast.join(slow.res);
    broadcast.join(fast.res);
    for (let i = 1; i <= 40; i++) {
      upstream.next(fileEdited(`/${'x'.repeat(5000)}/${i}`));
      jest.advanceTimersByTime(10);
      fast.read();
    }
    jest.advanceTimersByTime(20);
    expect(slow.destroyed).toBe(true);
    expect(fast.destroyed).toBe(false);
    expect(metrics.slowConsumerDisconnects).toBe(1);
    expect(ids(fast.text())).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe('the flushIntervalMs option', () => {
  it.each([-1, 2.5, 5000, Number.NaN])('refuses %p in the router, the control server and a broadcast, naming it', (bad) => {
    const registry = createAgentRegistry();
    expect(() => createAgentStreamRouter({ registry, flushIntervalMs: bad })).toThrow(RangeError);
    expect(() => createControlServer({ port: 0, flushIntervalMs: bad })).toThrow(/flushIntervalMs/);
    const agent = createManagedAgent({ agentId: 'a1', events: new Subject<KiloEvent>(), firstId: 1 });
    const options = { keepaliveMs: 1000, maxBufferedBytes: 1024, retryMs: 2000, metrics: createStreamMetrics(), flushIntervalMs: bad };
    expect(() => createAgentBroadcast(agent, options)).toThrow(/createAgentBroadcast: flushIntervalMs/);
    agent.stop();
  });
});

describe('the frame window on a real socket', () => {
  let t: TestControlServer;
  afterEach(() => t?.close());

  /** Publishes events for `ms` as fast as the loop turns and counts the broadcast's writes to one viewer's socket. */
  async function writesPerSecond(flushIntervalMs: number, ms: number) {
    t = await startTestControlServer({ keepaliveMs: 60_000, flushIntervalMs, historySize: 100 });
    const { streamUrl } = await (await fetch(`${t.url}/agents/a1/stream-ticket`, { method: 'POST' })).json();
    const viewer = await openSse(`${t.url}${streamUrl}`);
    await viewer.waitFor((v) => v.events().length >= 1, 5000, 'the status snapshot');
    const [v] = t.server.broadcasts.of(t.agent).viewers;
    let writes = 0;
    let first = 0;
    let last = 0;
    const write = v!.out.write;
    v!.out.write = function (this: unknown, ...args: unknown[]) {
      writes++;
      last = performance.now();
      if (writes === 1) first = last;
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof write;
    let published = 0;
    const until = Date.now() + ms;
    await new Promise<void>((done) => {
      const turn = () => {
        for (let i = 0; i < 5; i++) t.upstream.next(fileEvent(++published));
        if (Date.now() < until) setImmediate(turn);
        else done();
      };
      turn();
    });
    await viewer.waitFor((x) => x.events().length >= published + 1, 5000, 'every event');
    const got = viewer.events().flatMap((f) => (f.id === undefined ? [] : [Number(f.id)]));
    viewer.close();
    return { writes, published, got, writingMs: last - first };
  }

  it('bounds the writes per viewer per second at a high event rate, and delivers every event in order', async () => {
    const { writes, published, got, writingMs } = await writesPerSecond(50, 1000);
    expect(published).toBeGreaterThan(1000);
    // The write budget's burst, then one per window of the time the writes took (on a busy
    // machine a stalled process refills its budget while it writes nothing: wall time counts).
    expect(writes).toBeLessThanOrEqual(DEFAULT_FLUSH_BURST + 1 + writingMs / 50);
    expect(writes).toBeLessThan(published / 10);
    expect(got).toEqual(Array.from({ length: published }, (_, i) => i + 1));
  });

  it('with flushIntervalMs 0 writes once per event-loop turn instead', async () => {
    const { writes, published } = await writesPerSecond(0, 500);
    expect(writes).toBeGreaterThan(100);
    expect(writes).toBeLessThanOrEqual(published);
  });
});
