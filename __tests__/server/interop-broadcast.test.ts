import { Subject } from 'rxjs';
import { createManagedAgent, type ManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createAgentBroadcast, type AgentBroadcast } from '../../src/server/create-agent-broadcast';
import { createStreamMetrics, type StreamMetrics } from '../../src/server/create-stream-metrics';
import { parseStreamQuery } from '../../src/server/parse-stream-query';
import { createFakeResponse, type FakeResponse } from '../helpers/fake-response';
import { SES, delta, messageUpdated, status, textPart } from '../helpers/kilo-builders';
import { applyAgUi, validateAgUi } from '../interop/ag-ui-apply';

/** The broadcast's AG-UI and AI SDK viewers (docs/interop.md): the native guarantees, per format. */

const turn = () => new Promise((r) => setImmediate(r));
const TICKET = '00000000-0000-4000-8000-000000000000';

let upstream: Subject<KiloEvent>;
let agent: ManagedAgent;
let metrics: StreamMetrics;
let broadcast: AgentBroadcast;

function setUp(maxBufferedBytes = 1024 * 1024) {
  upstream = new Subject();
  agent = createManagedAgent({ agentId: 'a1', sessionId: SES, events: upstream, firstId: 1 });
  metrics = createStreamMetrics();
  broadcast = createAgentBroadcast(agent, { keepaliveMs: 60_000, maxBufferedBytes, retryMs: 2000, flushIntervalMs: 0, metrics });
}

/** The data of each frame (AG-UI events, AI SDK chunks) and its id. */
const framesOf = (r: FakeResponse) =>
  r
    .text()
    .split('\n\n')
    .filter((b) => b.includes('data: '))
    .map((b) => ({
      id: Number(/^id: (\d+)$/m.exec(b)?.[1]),
      event: /^event: /m.test(b),
      data: JSON.parse(/^data: (.*)$/m.exec(b)![1]!) as { type: string },
    }));

function turnEvents(words: number) {
  // kilo's ids sort by creation (the snapshot's order): the prompt's message before the answer's.
  upstream.next(messageUpdated('msg_0', 'user'));
  upstream.next(textPart('prt_0', 'hi', 'msg_0'));
  upstream.next(status('busy'));
  upstream.next(messageUpdated('msg_a', 'assistant'));
  upstream.next(textPart('prt_a', ''));
  for (let i = 0; i < words; i++) upstream.next(delta('prt_a', `w${i} `));
}

afterEach(() => upstream.complete());

describe('AG-UI and AI SDK viewers of a broadcast', () => {
  it('each event is encoded once per format, whatever the number of viewers', async () => {
    const stringifyCalls = async (viewersPerFormat: number) => {
      setUp();
      const all: FakeResponse[] = [];
      for (let i = 0; i < viewersPerFormat; i++)
        for (const format of ['ag-ui', 'ai-sdk'] as const) {
          const r = createFakeResponse();
          broadcast.join(r.res, { format });
          all.push(r);
        }
      await turn();
      const spy = jest.spyOn(JSON, 'stringify');
      turnEvents(200);
      await turn();
      const calls = spy.mock.calls.length;
      spy.mockRestore();
      for (const r of all) await r.readAll();
      // Every viewer of a format got the same bytes.
      expect(new Set(all.filter((_, i) => i % 2 === 0).map((r) => r.text())).size).toBe(1);
      upstream.complete();
      return calls;
    };
    const one = await stringifyCalls(1);
    expect(one).toBeGreaterThan(200);
    expect(await stringifyCalls(25)).toBe(one);
  });

  it('frames are `id: <native id>` + `data:` with no event line; the AG-UI stream applies with @ag-ui/client to the turn', async () => {
    setUp();
    turnEvents(3);
    const r = createFakeResponse();
    broadcast.join(r.res, { format: 'ag-ui' });
    upstream.next(delta('prt_a', 'end'));
    await turn();
    await r.readAll();
    const frames = framesOf(r);
    expect(frames.every((f) => !f.event && Number.isSafeInteger(f.id))).toBe(true);
    const opening = frames.filter((f) => f.id === frames[0]!.id);
    expect(opening.map((f) => f.data.type)).toEqual(['RUN_STARTED', 'MESSAGES_SNAPSHOT', 'STATE_SNAPSHOT', 'TEXT_MESSAGE_START']);
    expect(frames[0]!.id).toBe(agent.history.latestSeq - 1);
    validateAgUi(frames.map((f) => f.data));
    const messages = await applyAgUi(frames.map((f) => f.data));
    expect(messages).toEqual([
      { id: 'prt_0', role: 'user', content: 'hi' },
      { id: 'prt_a', role: 'assistant', content: 'w0 w1 w2 end' },
    ]);
  });

  it('a joiner that does not read gets its opening paced by the socket, live frames queued behind it, and is cut past maxBufferedBytes', async () => {
    setUp(256 * 1024);
    upstream.next(status('busy'));
    upstream.next(messageUpdated('msg_a', 'assistant'));
    for (let i = 0; i < 40; i++) upstream.next(textPart(`prt_${String(i).padStart(3, '0')}`, 'x'.repeat(20_000)));
    const slow = createFakeResponse();
    const reader = createFakeResponse();
    broadcast.join(slow.res, { format: 'ai-sdk' });
    broadcast.join(reader.res, { format: 'ai-sdk' });
    await turn();
    // The opening (≈ 800 KB) goes out a slice at a time as the socket drains.
    expect(slow.queued).toBeLessThan(200 * 1024);
    await reader.readAll();
    expect(reader.text()).toContain('prt_039');
    for (let i = 0; i < 400 && !slow.destroyed; i++) {
      upstream.next(delta('prt_039', 'y'.repeat(1000)));
      await turn();
      await reader.readAll();
    }
    expect(slow.destroyed).toBe(true);
    expect(metrics.slowConsumerDisconnects).toBe(1);
    expect(reader.destroyed).toBe(false);
  });

  it('the AI SDK stream says so in its header', () => {
    setUp();
    const r = createFakeResponse();
    const headers: Record<string, unknown>[] = [];
    const writeHead = r.res.writeHead.bind(r.res);
    (r.res as unknown as { writeHead: (s: number, h: Record<string, unknown>) => unknown }).writeHead = (s, h) => {
      headers.push(h);
      return writeHead(s, h as never);
    };
    broadcast.join(r.res, { format: 'ai-sdk' });
    expect(headers[0]).toMatchObject({ 'x-vercel-ai-ui-message-stream': 'v1', 'Content-Type': 'text/event-stream; charset=utf-8' });
  });
});

describe('parseStreamQuery format', () => {
  it('takes ag-ui, ai-sdk and native; refuses other names and types with a format', () => {
    for (const format of ['ag-ui', 'ai-sdk', 'native'] as const) {
      const q = parseStreamQuery(`ticket=${TICKET}&format=${format}`, undefined);
      expect(q.ok && q.query.format).toBe(format);
    }
    expect(parseStreamQuery(`ticket=${TICKET}&format=xml`, undefined)).toMatchObject({ ok: false, status: 400, code: 'bad_query' });
    expect(parseStreamQuery(`ticket=${TICKET}&format=ag-ui&format=ag-ui`, undefined)).toMatchObject({ ok: false, code: 'bad_query' });
    expect(parseStreamQuery(`ticket=${TICKET}&format=ag-ui&types=text`, undefined)).toMatchObject({ ok: false, code: 'bad_query' });
    expect(parseStreamQuery(`ticket=${TICKET}&format=native&types=text`, undefined)).toMatchObject({ ok: true });
  });
});
