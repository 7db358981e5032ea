import { createControlServer, type ControlServer } from '../../src/server/create-control-server';
import { startSseTestServer, type SseTestServer } from '../helpers/sse-test-server';
import { openSse, ticketFor, type RawSseViewer } from '../helpers/sse-client';
import { fileEdited, fileEvent } from '../helpers/kilo-builders';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';

const ids = (v: RawSseViewer) =>
  v
    .events()
    .filter((f) => f.id !== undefined)
    .map((f) => Number(f.id));

describe('upstream faults (real loopback kilo-like upstream)', () => {
  let upstream: SseTestServer;
  let server: ControlServer;
  let url: string;
  afterEach(async () => {
    await server.close();
    await upstream.close();
  });
  const start = async (kilo: { giveUpAfterMs?: number } = {}) => {
    upstream = await startSseTestServer();
    server = createControlServer({ port: 0 });
    server.attachKilo({ url: upstream.url, agentId: 'k', sessionId: 'ses_x', initialDelayMs: 20, maxDelayMs: 50, ...kilo });
    url = (await server.listen()).url;
    await upstream.waitForClients(1);
  };

  it('the upstream dropping and coming back: viewers stay connected, see later events, no duplicates', async () => {
    await start();
    const viewers = await Promise.all([0, 1].map(async () => openSse(await ticketFor(url, 'k'))));
    upstream.send(JSON.stringify(fileEvent(1)));
    await Promise.all(viewers.map((v) => v.waitFor((x) => x.events().some((f) => f.data === '{"path":"/f1"}'))));
    upstream.drop();
    await upstream.waitForClients(0);
    await upstream.waitForClients(1);
    upstream.send(JSON.stringify(fileEvent(2)));
    await Promise.all(viewers.map((v) => v.waitFor((x) => x.events().some((f) => f.data === '{"path":"/f2"}'))));
    for (const v of viewers) {
      expect(v.ended).toBe(false);
      const seen = ids(v);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/agent_stream_upstream_reconnects_total [1-9]/);
    viewers.forEach((v) => v.close());
  });

  it('the upstream gone for good: every viewer gets exit upstream_lost and the response ends', async () => {
    await start({ giveUpAfterMs: 300 });
    const viewers = await Promise.all([0, 1].map(async () => openSse(await ticketFor(url, 'k'))));
    await upstream.close();
    await Promise.all(viewers.map((v) => v.waitForEnd(5000)));
    for (const v of viewers) {
      expect(v.events().at(-1)!.event).toBe('exit');
      expect(JSON.parse(v.events().at(-1)!.data!)).toEqual({
        reason: 'upstream_lost',
        error: { message: expect.stringMatching(/unreachable for \d+ ms/), code: 'upstream_lost' },
      });
    }
    const agent = await (await fetch(`${url}/agents/k`)).json();
    expect(agent.state).toBe('failed');
    upstream = await startSseTestServer(); // for afterEach
  });
});

describe('viewers', () => {
  let t: TestControlServer;
  afterEach(() => t.close());

  it('a viewer that stops reading is cut off at maxBufferedBytes while two others get every event', async () => {
    t = await startTestControlServer({ maxBufferedBytes: 64 * 1024 });
    const rssBefore = process.memoryUsage().rss;
    const stalled = await openSse(await ticketFor(t.url, 'a1'), {}, { paused: true });
    const readers = await Promise.all([0, 1].map(async () => openSse(await ticketFor(t.url, 'a1'))));
    // More than loopback's kernel buffers can absorb for the stalled socket (~10 MB).
    const big = 'x'.repeat(4000);
    const total = 5000;
    for (let i = 1; i <= total; i++) {
      t.upstream.next(fileEdited(`/${i}/${big}`));
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(readers.map((v) => v.waitFor((x) => x.events().length >= total + 1, 20_000, 'all events')));
    for (const r of readers) expect(ids(r)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // The two readers keep 2 × 20 MB of text; what the stalled viewer costs is bounded by the cut.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 1024 * 1024);
    expect(t.server.metrics.slowConsumerDisconnects).toBe(1);
    expect(t.server.broadcasts.viewerCount('a1')).toBe(2);
    stalled.response.resume();
    await stalled.waitForEnd();
    expect(ids(stalled).length).toBeLessThan(total);
    readers.forEach((v) => v.close());
  });

  it('200 viewers connecting and leaving in a loop leave no viewer, listener or timer behind', async () => {
    t = await startTestControlServer({ keepaliveMs: 50, ticketRate: false });
    const count = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length;
    let baseline = Infinity;
    for (let round = 0; round < 5; round++) {
      // Round 0 warms up fetch's own pool timers; the baseline is taken after it.
      if (round === 1) baseline = count('Timeout');
      const batch = await Promise.all(Array.from({ length: 50 }, async () => openSse(await ticketFor(t.url, 'a1'))));
      t.upstream.next(fileEvent(round));
      await Promise.all(batch.map((v) => v.waitFor((x) => x.events().length >= 2)));
      expect(t.server.broadcasts.viewerCount('a1')).toBe(50);
      batch.forEach((v) => v.close());
      const deadline = Date.now() + 3000;
      while (t.server.broadcasts.viewerCount('a1') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(t.server.broadcasts.viewerCount('a1')).toBe(0);
    }
    expect((await (await fetch(`${t.url}/agents/a1`)).json()).viewers).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    // 200 leaked keepalive intervals would show as +200; allow fetch's own pool timers to vary.
    expect(count('Timeout')).toBeLessThanOrEqual(baseline + 3);
    // No broadcast (and so no subscription to the agent) is left once the last viewer left; a
    // new event is encoded once, by the history that keeps it.
    expect(t.server.broadcasts.size).toBe(0);
    const spy = jest.spyOn(JSON, 'stringify');
    t.upstream.next(fileEvent('after'));
    expect(spy.mock.calls.filter(([a]) => typeof a === 'object' && a !== null && 'path' in a)).toHaveLength(1);
    spy.mockRestore();
    expect(t.agent.history.latestSeq).toBe(6);
  });
});
