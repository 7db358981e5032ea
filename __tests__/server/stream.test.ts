import { fileEvent, status, textPart } from '../helpers/kilo-builders';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';
import { EventSource } from 'eventsource';
import { AGENT_EVENT_TYPES } from '../../src/protocol/agent-event';
import { openSse, ticketFor, type RawSseViewer } from '../helpers/sse-client';

let t: TestControlServer;
afterEach(() => t.close());

const ids = (v: RawSseViewer) =>
  v
    .events()
    .filter((f) => f.id !== undefined)
    .map((f) => `${f.id}:${f.event}`);
const push = (from: number, to: number) => {
  for (let i = from; i <= to; i++) t.upstream.next(fileEvent(i));
};

describe('GET /agents/:agentId/stream', () => {
  it('sends the SSE headers, retry, the status snapshot, then the retained history', async () => {
    t = await startTestControlServer();
    push(1, 3);
    const v = await openSse(await ticketFor(t.url, 'a1'));
    expect(v.status).toBe(200);
    expect(v.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(v.headers['cache-control']).toBe('no-cache, no-transform');
    expect(v.headers['x-accel-buffering']).toBe('no');
    // The body is raw bytes delimited by the connection's end: no chunked framing per write.
    expect(v.headers['transfer-encoding']).toBeUndefined();
    expect(v.headers.connection).toBe('close');
    await v.waitFor((x) => x.events().length >= 4);
    expect(
      v.body.startsWith(
        'retry: 2000\n\nevent: status\ndata: {"agentId":"a1","sessionId":"ses_test","state":"starting","activeTools":[]}\n\nid: 1\nevent: file\ndata: {"path":"/f1"}\n\n',
      ),
    ).toBe(true);
    expect(ids(v)).toEqual(['1:file', '2:file', '3:file']);
    v.close();
  });

  it('gives three concurrent viewers identical id/event sequences', async () => {
    t = await startTestControlServer();
    push(1, 2);
    const viewers = await Promise.all([0, 1, 2].map(async () => openSse(await ticketFor(t.url, 'a1'))));
    await Promise.all(viewers.map((v) => v.waitFor((x) => x.events().length >= 3)));
    push(3, 50);
    t.upstream.next(status('busy'));
    await Promise.all(viewers.map((v) => v.waitFor((x) => x.events().length >= 52)));
    const [a, b, c] = viewers.map(ids);
    expect(a).toHaveLength(51);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(a![50]).toBe('51:status');
    expect((await (await fetch(`${t.url}/agents/a1`)).json()).viewers).toBe(3);
    viewers.forEach((v) => v.close());
  });

  it('gives three eventsource clients the same ids and events, the browser way', async () => {
    t = await startTestControlServer();
    push(1, 3);
    const seen: string[][] = [[], [], []];
    const sources = await Promise.all(
      seen.map(async (log) => {
        const es = new EventSource(await ticketFor(t.url, 'a1'));
        for (const type of AGENT_EVENT_TYPES) {
          es.addEventListener(type, (e) => {
            const m = e as MessageEvent;
            if (typeof m.data === 'string') log.push(`${m.lastEventId}:${type}:${m.data}`);
          });
        }
        return es;
      }),
    );
    const until = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (seen.some((l) => l.length < n)) {
        if (Date.now() > deadline) throw new Error(`got ${seen.map((l) => l.length)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await until(4);
    push(4, 30);
    await until(31);
    sources.forEach((es) => es.close());
    expect(seen[0]![0]).toMatch(/^:status:/);
    expect(seen[0]!.slice(1).map((l) => l.split(':')[0])).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
  });

  it('encodes each event once for all viewers', async () => {
    t = await startTestControlServer();
    const viewers = await Promise.all([0, 1, 2].map(async () => openSse(await ticketFor(t.url, 'a1'))));
    await Promise.all(viewers.map((v) => v.waitFor((x) => x.events().length >= 1)));
    const spy = jest.spyOn(JSON, 'stringify');
    push(1, 20);
    await Promise.all(viewers.map((v) => v.waitFor((x) => x.events().length >= 21)));
    const eventEncodes = spy.mock.calls.filter(([arg]) => typeof arg === 'object' && arg !== null && 'path' in arg).length;
    spy.mockRestore();
    expect(eventEncodes).toBe(20);
    viewers.forEach((v) => v.close());
  });

  it('sends a keepalive comment every keepaliveMs', async () => {
    t = await startTestControlServer({ keepaliveMs: 100 });
    const v = await openSse(await ticketFor(t.url, 'a1'));
    const started = Date.now();
    await v.waitFor((x) => x.frames.filter((f) => f.comment === 'keepalive').length >= 3, 2000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1000);
    expect(v.body).toContain('\n\n: keepalive\n\n');
    v.close();
  });

  it('resumes after lastEventId with exactly the missed events, then live', async () => {
    t = await startTestControlServer();
    push(1, 10);
    const v = await openSse(await ticketFor(t.url, 'a1', '&lastEventId=6'));
    await v.waitFor((x) => x.events().length >= 5);
    push(11, 12);
    await v.waitFor((x) => x.events().length >= 7);
    expect(ids(v)).toEqual(['7:file', '8:file', '9:file', '10:file', '11:file', '12:file']);
    v.close();
  });

  it('takes Last-Event-ID from the header, the query winning over it', async () => {
    t = await startTestControlServer();
    push(1, 5);
    const h = await openSse(await ticketFor(t.url, 'a1'), { 'Last-Event-ID': '3' });
    await h.waitFor((x) => x.events().length >= 3);
    expect(ids(h)).toEqual(['4:file', '5:file']);
    const q = await openSse(await ticketFor(t.url, 'a1', '&lastEventId=4'), { 'Last-Event-ID': '1' });
    await q.waitFor((x) => x.events().length >= 2);
    expect(ids(q)).toEqual(['5:file']);
    h.close();
    q.close();
  });

  it('sends a gap first when the viewer is older than the retained history', async () => {
    t = await startTestControlServer({ historySize: 5 });
    push(1, 12);
    const v = await openSse(await ticketFor(t.url, 'a1', '&lastEventId=2&types=tool'));
    await v.waitFor((x) => x.events().length >= 2);
    expect(v.events()[1]).toEqual({ event: 'gap', data: '{"after":2,"oldest":8}' });
    // A fresh viewer gets the retained state and never a gap.
    const late = await openSse(await ticketFor(t.url, 'a1'));
    await late.waitFor((x) => x.events().length >= 6);
    expect(late.events().map((e) => e.event)).not.toContain('gap');
    expect(ids(late)).toEqual(['8:file', '9:file', '10:file', '11:file', '12:file']);
    v.close();
    late.close();
  });

  it('keeps only the named types, plus status and exit', async () => {
    t = await startTestControlServer();
    const v = await openSse(await ticketFor(t.url, 'a1', '&types=text'));
    await v.waitFor((x) => x.events().length >= 1);
    push(1, 2);
    t.upstream.next(textPart('p', 'hi'));
    t.exit$.next({ reason: 'stopped' });
    await v.waitForEnd();
    expect(v.events().map((f) => f.event)).toEqual(['status', 'text', 'status', 'exit']);
  });

  it('on agent exit sends exit as the last frame and ends the response', async () => {
    t = await startTestControlServer();
    const v = await openSse(await ticketFor(t.url, 'a1'));
    push(1, 1);
    const stop = await fetch(`${t.url}/agents/a1/stop`, { method: 'POST' });
    expect(stop.status).toBe(202);
    await v.waitForEnd();
    const last = v.events().at(-1)!;
    expect(last).toEqual({ id: '3', event: 'exit', data: '{"reason":"stopped"}' });
    expect(v.events().at(-2)).toMatchObject({ id: '2', event: 'status', data: expect.stringContaining('"state":"exited"') });
    expect((await fetch(`${t.url}/agents/a1/stop`, { method: 'POST' })).status).toBe(202);
  });

  it('replays an exited agent to a late viewer and then ends', async () => {
    t = await startTestControlServer();
    push(1, 2);
    t.exit$.next({ reason: 'process_exit', code: 1 });
    const v = await openSse(await ticketFor(t.url, 'a1'));
    await v.waitForEnd();
    expect(ids(v)).toEqual(['1:file', '2:file', '3:status', '4:exit']);
    expect(v.events()[0]!.data).toContain('"state":"failed"');
  });
});
