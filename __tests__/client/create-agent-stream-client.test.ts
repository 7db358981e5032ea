import {
  AgentStreamClientError,
  createAgentStreamClient,
  type AgentStreamClientOptions,
  type ClientAgentEvent,
  type ClientDiagnostic,
  type ConnectionState,
  type ConnectionStateInfo,
} from '../../src/client';
import { createFakeEventSource, createFakeFetch, flush, statusData, textData, type FetchReply } from './fakes';

function setup(extra: Partial<AgentStreamClientOptions> = {}, replies: FetchReply[] = []) {
  const es = createFakeEventSource();
  const ff = createFakeFetch();
  ff.replies.push(...replies); // the first request goes out synchronously, at creation
  const events: ClientAgentEvent[] = [];
  const states: Array<{ state: ConnectionState; info: ConnectionStateInfo }> = [];
  const client = createAgentStreamClient({
    agentId: 'a1',
    baseUrl: 'http://host.test',
    EventSource: es.EventSource,
    fetch: ff.fetch,
    onEvent: (e) => events.push(e),
    onState: (state, info) => states.push({ state, info }),
    ...extra,
  });
  const current = () => es.instances[es.instances.length - 1];
  const ticketsOf = () => es.instances.map((i) => new URL(i.url).searchParams.get('ticket'));
  return { es, ff, events, states, client, current, ticketsOf };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('createAgentStreamClient', () => {
  it('POSTs for a ticket, then opens the stream with it', async () => {
    const t = setup();
    expect(t.client.state).toBe('connecting');
    await flush();
    expect(t.ff.calls).toEqual([{ url: 'http://host.test/agents/a1/stream-ticket', method: 'POST' }]);
    expect(t.es.instances).toHaveLength(1);
    expect(t.current().url).toBe('http://host.test/agents/a1/stream?ticket=t1');
    t.current().open();
    expect(t.client.state).toBe('live');
    t.client.close();
    expect(t.client.state).toBe('closed');
    expect(t.current().closed).toBe(true);
  });

  it('resumes with a NEW ticket and lastEventId, and never reuses a consumed ticket', async () => {
    const t = setup();
    await flush();
    const first = t.current();
    first.open();
    first.send('status', statusData()); // snapshot: no id
    first.send('text', textData('a'), 1);
    first.send('text', textData('ab'), 2);
    first.send('text', textData('abc'), 3);
    first.fail();
    // closed at once, so the browser cannot retry the consumed ticket by itself
    expect(first.closed).toBe(true);
    expect(t.client.state).toBe('reconnecting');
    expect(t.client.lastEventId).toBe(3);
    await jest.advanceTimersByTimeAsync(5000);
    expect(t.ff.calls).toHaveLength(2);
    expect(t.es.instances).toHaveLength(2);
    const second = t.current();
    expect(second.url).toBe('http://host.test/agents/a1/stream?ticket=t2&lastEventId=3');
    second.open();
    second.fail();
    await jest.advanceTimersByTimeAsync(5000);
    const tickets = t.ticketsOf();
    expect(tickets).toEqual(['t1', 't2', 't3']);
    expect(new Set(tickets).size).toBe(tickets.length);
    t.client.close();
  });

  it('drops events whose id is not above the last one; id-less frames pass and keep the id', async () => {
    const t = setup();
    await flush();
    const first = t.current();
    first.open();
    first.send('status', statusData('busy'));
    first.send('text', textData('a'), 1);
    first.send('tool', { messageId: 'm1', callId: 'c1', tool: 'bash', status: 'running' }, 2);
    first.fail();
    await jest.advanceTimersByTimeAsync(5000);
    const second = t.current();
    second.open();
    second.send('status', statusData('busy')); // the new stream's snapshot
    second.send('text', textData('a'), 1); // replayed by mistake: dropped
    second.send('tool', { messageId: 'm1', callId: 'c1', tool: 'bash', status: 'running' }, 2); // dropped
    second.send('tool', { messageId: 'm1', callId: 'c1', tool: 'bash', status: 'completed' }, 3);
    second.send('gap', { after: 3, oldest: 10 }); // no id line: the browser reports "3" again
    second.send('file', { path: 'a.txt' }); // no id line on a type that always has one: a duplicate
    second.send('file', { path: 'b.txt' }, 4);
    const seqs = t.events.map((e) => e.seq);
    expect(seqs).toEqual([undefined, 1, 2, undefined, 3, undefined, 4]);
    expect(t.events.map((e) => e.type)).toEqual(['status', 'text', 'tool', 'status', 'tool', 'gap', 'file']);
    expect(t.client.lastEventId).toBe(4);
    t.client.close();
  });

  it('stops for good after exit: no more ticket requests, no reconnects', async () => {
    const t = setup();
    await flush();
    const es = t.current();
    es.open();
    es.send('text', textData('done'), 1);
    es.send('exit', { reason: 'stopped' }, 2);
    expect(t.client.state).toBe('exited');
    expect(es.closed).toBe(true);
    expect(t.events[t.events.length - 1]).toEqual({ type: 'exit', data: { reason: 'stopped' }, seq: 2 });
    es.fail(); // the server ends the response: ignored
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.ff.calls).toHaveLength(1);
    expect(t.es.instances).toHaveLength(1);
    t.client.close();
    expect(t.client.state).toBe('exited');
    expect(t.states.map((s) => s.state)).toEqual(['live', 'exited']);
  });

  it('backoff stays within bounds, doubles its window, and the tries are bounded', async () => {
    for (const r of [0, 0.5, 0.999999]) {
      const down = Array.from({ length: 6 }, () => new TypeError('network down'));
      const t = setup({ maxRetries: 5, minDelayMs: 100, maxDelayMs: 1000, random: () => r }, down);
      await flush();
      await jest.advanceTimersByTimeAsync(20_000);
      expect(t.client.state).toBe('failed');
      expect(t.ff.calls).toHaveLength(6); // first try + 5 retries
      expect(t.es.instances).toHaveLength(0);
      expect(t.client.error).toBeInstanceOf(AgentStreamClientError);
      expect(t.client.error?.code).toBe('retries_exhausted');
      const delays = t.states.filter((s) => s.state === 'reconnecting').map((s) => s.info.delayMs as number);
      expect(delays).toHaveLength(5);
      delays.forEach((d, i) => {
        const cap = Math.min(1000, 100 * 2 ** i);
        expect(d).toBeGreaterThanOrEqual(Math.max(100, cap / 2)); // equal jitter: the floor grows too
        expect(d).toBeLessThanOrEqual(cap);
      });
      if (r > 0.99) expect(delays).toEqual([100, 200, 400, 800, 1000]);
      if (r === 0) expect(delays).toEqual([100, 100, 200, 400, 500]);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(t.ff.calls).toHaveLength(6);
    }
  });

  it('streams that never open count as failures; a connection that delivers new events resets the count', async () => {
    const t = setup({ maxRetries: 2, minDelayMs: 10, maxDelayMs: 10 });
    await flush();
    t.current().fail(); // e.g. 401: refused before open
    await jest.advanceTimersByTimeAsync(10);
    t.current().fail();
    await jest.advanceTimersByTimeAsync(10);
    t.current().open(); // third try works
    expect(t.client.state).toBe('live');
    t.current().send('file', { path: 'a' }, 1); // progress
    t.current().fail();
    await jest.advanceTimersByTimeAsync(10);
    t.current().fail();
    await jest.advanceTimersByTimeAsync(10);
    expect(t.client.state).toBe('reconnecting');
    t.current().fail();
    expect(t.client.state).toBe('failed');
    await jest.advanceTimersByTimeAsync(1000);
    expect(t.es.instances).toHaveLength(5);
    expect(new Set(t.ticketsOf()).size).toBe(5);
    expect(t.states.filter((s) => s.state === 'reconnecting').map((s) => s.info.attempt)).toEqual([1, 2, 1, 2]);
  });

  it('a stream that opens and drops at once, again and again, is bounded too', async () => {
    const t = setup({ maxRetries: 3, minDelayMs: 10, maxDelayMs: 10 });
    await flush();
    for (let i = 0; i < 10 && t.client.state !== 'failed'; i++) {
      t.current().open();
      t.current().send('status', statusData()); // the snapshot is not progress
      t.current().fail();
      await jest.advanceTimersByTimeAsync(10);
    }
    expect(t.client.state).toBe('failed');
    expect(t.es.instances).toHaveLength(4);
  });

  it('a connection that stayed open healthyAfterMs resets the count even without events', async () => {
    const t = setup({ maxRetries: 1, minDelayMs: 10, maxDelayMs: 10, healthyAfterMs: 1000 });
    await flush();
    for (let i = 0; i < 4; i++) {
      t.current().open();
      await jest.advanceTimersByTimeAsync(1000); // idle agent, quiet stream
      t.current().fail(); // e.g. a proxy timeout
      await jest.advanceTimersByTimeAsync(10);
    }
    expect(t.client.state).toBe('reconnecting'); // with maxRetries 1, two failures in a row would be 'failed'
    expect(t.es.instances).toHaveLength(5);
    expect(t.states.filter((s) => s.state === 'reconnecting').map((s) => s.info.attempt)).toEqual([1, 1, 1, 1]);
    t.client.close();
  });

  it('an `error` event from the agent is delivered and does not drop the connection', async () => {
    const t = setup();
    await flush();
    t.current().open();
    t.current().send('error', { name: 'APIError', message: 'rate limited' }, 1);
    t.current().send('text', textData('next'), 2);
    expect(t.events.map((e) => [e.type, e.seq])).toEqual([
      ['error', 1],
      ['text', 2],
    ]);
    expect(t.client.state).toBe('live');
    expect(t.current().closed).toBe(false);
    expect(t.es.instances).toHaveLength(1);
    t.client.close();
  });

  it('a 404 from the ticket endpoint fails at once, without retry', async () => {
    const t = setup({}, [{ status: 404, body: { error: { code: 'agent_not_found', message: 'no agent a1' } } }]);
    await flush();
    expect(t.client.state).toBe('failed');
    expect(t.client.error?.code).toBe('agent_not_found');
    expect(t.client.error?.status).toBe(404);
    expect(t.client.error?.message).toBe('no agent a1');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.ff.calls).toHaveLength(1);
    expect(t.es.instances).toHaveLength(0);
  });

  it('503 with Retry-After waits at least that long (capped at maxDelayMs), then retries', async () => {
    const t = setup({ minDelayMs: 100, maxDelayMs: 5000, random: () => 0 }, [
      { status: 503, body: { error: { code: 'ticket_capacity', message: 'full' } }, headers: { 'retry-after': '2' } },
    ]);
    await flush();
    const reconnecting = t.states.find((s) => s.state === 'reconnecting');
    expect(reconnecting?.info.delayMs).toBe(2000);
    expect(reconnecting?.info.error?.message).toBe('full');
    await jest.advanceTimersByTimeAsync(1999);
    expect(t.ff.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.ff.calls).toHaveLength(2);
    expect(t.current().url).toContain('ticket=t1');
    t.client.close();
  });

  it('types and an initial lastEventId are passed through', async () => {
    const t = setup({ types: ['tool', 'text'], lastEventId: 7 });
    await flush();
    expect(t.current().url).toBe('http://host.test/agents/a1/stream?ticket=t1&lastEventId=7&types=tool,text');
    t.current().send('tool', { messageId: 'm', callId: 'c', tool: 'bash', status: 'running' }, 7);
    expect(t.events).toHaveLength(0);
    t.client.close();
    expect(() =>
      createAgentStreamClient({
        agentId: 'a1',
        types: ['nope' as 'tool'],
        onEvent: () => {},
        EventSource: t.es.EventSource,
        fetch: t.ff.fetch,
      }),
    ).toThrow(TypeError);
  });

  it('the stream URL comes from the ticket, resolved against the ticket URL', async () => {
    const es = createFakeEventSource();
    const ff = createFakeFetch('stream?x=1');
    const client = createAgentStreamClient({
      ticketUrl: 'http://h.test/api/agents/a1/stream-ticket',
      EventSource: es.EventSource,
      fetch: ff.fetch,
      onEvent: () => {},
    });
    await flush();
    expect(ff.calls[0].url).toBe('http://h.test/api/agents/a1/stream-ticket');
    expect(es.instances[0].url).toBe('http://h.test/api/agents/a1/stream?x=1&ticket=t1');
    client.close();
  });

  it('close() cancels a pending retry; a frame that is not JSON is skipped with a warning', async () => {
    const diagnostics: ClientDiagnostic[] = [];
    const t = setup({ onDiagnostic: (d) => diagnostics.push(d) });
    await flush();
    t.current().open();
    t.current().sendRaw('text', '{not json', 1);
    t.current().send('text', textData('ok'), 2);
    expect(diagnostics).toEqual([{ type: 'invalid_frame', reason: 'a text frame whose data is not JSON', seq: 1 }]);
    expect(t.events.map((e) => e.seq)).toEqual([2]);
    t.ff.replies.push({ status: 502, body: 'Bad Gateway' });
    t.current().fail(); // a live stream: retried at once; that ticket request fails, a retry is pending
    await flush();
    expect(t.ff.calls).toHaveLength(2);
    expect(t.client.nextAttemptAt).not.toBeNull();
    t.client.close();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.ff.calls).toHaveLength(2);
    expect(t.client.state).toBe('closed');
  });

  it('getTicket replaces the POST', async () => {
    const es = createFakeEventSource();
    let n = 0;
    const client = createAgentStreamClient({
      agentId: 'x y',
      getTicket: async () => ({ ticket: `g${++n}` }),
      EventSource: es.EventSource,
      onEvent: () => {},
    });
    await flush();
    expect(es.instances[0].url).toBe('/agents/x%20y/stream?ticket=g1');
    client.close();
  });

  it('validates options eagerly', () => {
    const base = { onEvent: () => {}, EventSource: createFakeEventSource().EventSource, fetch: createFakeFetch().fetch };
    expect(() => createAgentStreamClient({ ...base })).toThrow(/agentId, ticketUrl or getTicket/);
    expect(() => createAgentStreamClient({ ...base, agentId: 'a', maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => createAgentStreamClient({ ...base, agentId: 'a', maxRetries: 1.5 })).toThrow(/maxRetries/);
    createAgentStreamClient({ ...base, agentId: 'a', maxRetries: Infinity }).close();
    expect(() => createAgentStreamClient({ ...base, agentId: 'a', minDelayMs: 10, maxDelayMs: 5 })).toThrow(/maxDelayMs/);
    expect(() => createAgentStreamClient({ agentId: 'a', onEvent: () => {}, fetch: base.fetch })).toThrow(/EventSource/);
  });

  it('in Node (no page to resolve against), a missing or relative base URL throws a TypeError at creation', () => {
    expect((globalThis as { location?: unknown }).location).toBeUndefined();
    const base = { onEvent: () => {}, EventSource: createFakeEventSource().EventSource };
    const noBase = () => createAgentStreamClient({ ...base, agentId: 'a' });
    expect(noBase).toThrow(TypeError);
    expect(noBase).toThrow(/absolute baseUrl/);
    expect(() => createAgentStreamClient({ ...base, agentId: 'a', baseUrl: '/api' })).toThrow(TypeError);
    expect(() => createAgentStreamClient({ ...base, ticketUrl: 'ftp://x/t' })).toThrow(TypeError);
    createAgentStreamClient({ ...base, agentId: 'a', baseUrl: 'http://127.0.0.1:9', maxRetries: 0 }).close();
    createAgentStreamClient({ ...base, ticketUrl: 'https://example.test/t' }).close();
  });
});
