// The browser client while a person is watching: it retries through any outage with capped,
// jittered backoff (never `failed` for a transient outage), one ticket per attempt, tries at once
// on `online` / page visible, reports the next attempt's time, and stops only for a gone agent,
// an exited one, or a bound you set. `reset` reaches the view and clears what it folded.
import {
  createAgentStreamClient,
  type AgentStreamClientOptions,
  type ClientAgentEvent,
  type ConnectionState,
  type ConnectionStateInfo,
} from '../../src/client';
import { createAgentLogState, reduceAgentLog } from '../../src/react';
import { fakeBrowserPerTest } from './browser-globals';
import { createFakeEventSource, createFakeFetch, flush, statusData, textData, type FetchReply } from './fakes';

const down = (n: number): FetchReply[] => Array.from({ length: n }, () => new TypeError('fetch failed'));

function setup(extra: Partial<AgentStreamClientOptions> = {}, replies: FetchReply[] = []) {
  const es = createFakeEventSource();
  const ff = createFakeFetch();
  ff.replies.push(...replies);
  const events: ClientAgentEvent[] = [];
  const states: Array<{ state: ConnectionState; info: ConnectionStateInfo; at: number }> = [];
  const client = createAgentStreamClient({
    agentId: 'a1',
    baseUrl: 'http://host.test',
    EventSource: es.EventSource,
    fetch: ff.fetch,
    onEvent: (e) => events.push(e),
    onState: (state, info) => states.push({ state, info, at: Date.now() }),
    ...extra,
  });
  const current = () => es.instances[es.instances.length - 1];
  const delays = () => states.filter((s) => s.state === 'reconnecting').map((s) => s.info.delayMs as number);
  return { es, ff, events, states, client, current, delays };
}

const page = fakeBrowserPerTest();

describe('createAgentStreamClient never gives up while open', () => {
  it.each([
    [0, 10],
    [0.5, 9],
    [0.999999, 8],
  ])('a minute of outage (random %p) costs %p ticket requests, then a try every 15 to 30 s, never `failed`', async (r, perMinute) => {
    const t = setup({ random: () => r }, down(10_000));
    await flush();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.ff.calls).toHaveLength(perMinute); // the first try and its retries: no tight loop
    expect(t.es.instances).toHaveLength(0);

    await jest.advanceTimersByTimeAsync(30 * 60_000);
    expect(t.client.state).toBe('reconnecting');
    expect(t.states.some((s) => s.state === 'failed')).toBe(false);
    const delays = t.delays();
    expect(t.ff.calls).toHaveLength(delays.length); // one ticket request per attempt (the last wait is pending)
    delays.forEach((d, i) => {
      const cap = Math.min(30_000, 250 * 2 ** i);
      expect(d).toBeGreaterThanOrEqual(Math.max(250, cap / 2));
      expect(d).toBeLessThanOrEqual(cap);
    });
    expect(Math.max(...delays)).toBeLessThanOrEqual(30_000);
    expect(delays.slice(8).every((d) => d >= 15_000)).toBe(true);
    // 31 minutes: 8-10 tries in the first, then 2-4 a minute
    expect(t.ff.calls.length).toBeLessThanOrEqual(10 + 30 * 4);
    expect(t.client.error?.code).toBe('ticket_failed');

    // the server is back: the next attempt gets a ticket and the stream goes live
    t.ff.replies.length = 0;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(t.es.instances).toHaveLength(1);
    t.current().open();
    expect(t.client.state).toBe('live');
    expect(t.client.error).toBeNull();
    t.client.close();
  });

  it('with Math.random, a minute of outage costs at most 10 ticket requests', async () => {
    for (let run = 0; run < 20; run++) {
      const t = setup({}, down(100));
      await flush();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(t.ff.calls.length).toBeGreaterThanOrEqual(8);
      expect(t.ff.calls.length).toBeLessThanOrEqual(10);
      t.client.close();
    }
  });

  it('`reconnecting` carries nextAttemptAt = now + delayMs; the attempt starts then', async () => {
    const t = setup({ random: () => 0.5 }, down(3));
    await flush();
    const first = t.states[0];
    expect(first.state).toBe('reconnecting');
    expect(first.info.delayMs).toBe(250);
    expect(first.info.nextAttemptAt).toBe(first.at + 250);
    expect(t.client.nextAttemptAt).toBe(first.at + 250);
    await jest.advanceTimersByTimeAsync(249);
    expect(t.ff.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.ff.calls).toHaveLength(2);
    const second = t.states[1];
    expect(second.info.delayMs).toBe(375);
    expect(second.info.nextAttemptAt).toBe(second.at + 375);
    await jest.advanceTimersByTimeAsync(375 + 750);
    expect(t.ff.calls).toHaveLength(4); // the 4th gets a ticket
    expect(t.client.nextAttemptAt).toBeNull(); // an attempt is under way
    t.current().open();
    expect(t.states[t.states.length - 1].info.nextAttemptAt).toBeUndefined();
    t.client.close();
  });

  it('a stream that opens and drops at once counts as a failure: the backoff grows to the cap, never `failed`', async () => {
    const t = setup({ random: () => 0.5 });
    await flush();
    for (let i = 0; i < 14; i++) {
      t.current().open();
      t.current().send('status', statusData()); // the snapshot is not progress
      t.current().fail();
      await jest.advanceTimersByTimeAsync(t.delays()[i]);
    }
    const delays = t.delays();
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
    expect(delays[delays.length - 1]).toBe(22_500); // half way between 15 s and 30 s
    expect(t.states.some((s) => s.state === 'failed')).toBe(false);
    expect(new Set(t.es.instances.map((i) => new URL(i.url).searchParams.get('ticket'))).size).toBe(15);
    t.client.close();
  });

  it('agent_not_found is final, even after a long outage', async () => {
    const t = setup({}, [...down(12), { status: 404, body: { error: { code: 'agent_not_found', message: 'no agent "a1"' } } }]);
    await flush();
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(t.client.state).toBe('failed');
    expect(t.client.error?.code).toBe('agent_not_found');
    expect(t.ff.calls).toHaveLength(13);
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(t.ff.calls).toHaveLength(13);
    expect(t.client.nextAttemptAt).toBeNull();
  });

  it('a 404 that is not agent_not_found (e.g. a proxy page during a deploy) is retried', async () => {
    const t = setup({ random: () => 0 }, [
      { status: 404, body: 'not json' },
      { status: 404, body: { error: { code: 'not_found', message: 'no route' } } },
    ]);
    await flush();
    expect(t.client.state).toBe('reconnecting');
    expect(t.client.error?.code).toBe('ticket_failed');
    expect(t.client.error?.status).toBe(404);
    await jest.advanceTimersByTimeAsync(250 + 250);
    expect(t.ff.calls).toHaveLength(3);
    expect(t.es.instances).toHaveLength(1);
    t.client.close();
  });

  it('exit is final: no retry, and a wake does nothing', async () => {
    const browser = page.browser();
    const t = setup();
    await flush();
    t.current().open();
    t.current().send('exit', { reason: 'process_exit', code: 0 }, 1);
    expect(t.client.state).toBe('exited');
    t.current().fail();
    browser.online();
    browser.setVisibility('visible');
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(t.ff.calls).toHaveLength(1);
    expect(browser.window.listeners).toBe(0);
    expect(browser.document.listeners).toBe(0);
  });

  it('exit with reason shutdown is the server going away (a deploy): delivered, then the client comes back', async () => {
    const t = setup({ random: () => 0 });
    await flush();
    t.current().open();
    t.current().send('file', { path: 'a.ts' }, 5);
    t.current().send('exit', { reason: 'shutdown' }, 6);
    expect(t.events.map((e) => e.type)).toEqual(['file', 'exit']);
    expect(t.client.state).toBe('reconnecting');
    await jest.advanceTimersByTimeAsync(1000);
    expect(t.ff.calls).toHaveLength(2); // a new ticket
    expect(t.es.instances.at(-1)!.url).toContain('lastEventId=6');
  });

  it('a bound you set still ends in `failed` (retries_exhausted)', async () => {
    const t = setup({ maxRetries: 3 }, down(10));
    await flush();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.client.state).toBe('failed');
    expect(t.client.error?.code).toBe('retries_exhausted');
    expect(t.ff.calls).toHaveLength(4);
  });
});

describe('online and visibilitychange try at once', () => {
  /** A client waiting 8 s before its 7th attempt, 1.5 s after the 6th began. */
  async function waiting() {
    const t = setup({ random: () => 0.999999 }, down(6));
    await flush();
    await jest.advanceTimersByTimeAsync(250 + 500 + 1000 + 2000 + 4000);
    expect(t.ff.calls).toHaveLength(6);
    expect(t.delays()[5]).toBe(8000);
    await jest.advanceTimersByTimeAsync(1500);
    expect(t.ff.calls).toHaveLength(6);
    return t;
  }

  it('`online` cancels the pending timer and connects now; a second event does not open a second attempt', async () => {
    const browser = page.browser();
    const t = await waiting();
    browser.online();
    browser.setVisibility('visible'); // often fires together with online
    browser.online();
    await flush();
    expect(t.ff.calls).toHaveLength(7);
    expect(t.es.instances).toHaveLength(1);
    const wake = t.states[t.states.length - 1];
    expect(wake).toMatchObject({ state: 'reconnecting', info: { delayMs: 0 } });
    expect(wake.info.nextAttemptAt).toBe(wake.at);
    t.current().open();
    expect(t.client.state).toBe('live');
    await jest.advanceTimersByTimeAsync(60_000); // the old timer was cancelled
    expect(t.ff.calls).toHaveLength(7);
    expect(t.es.instances).toHaveLength(1);
    t.client.close();
  });

  it('the page becoming visible tries at once; becoming hidden does not', async () => {
    const browser = page.browser();
    const t = await waiting();
    browser.setVisibility('hidden');
    await flush();
    expect(t.ff.calls).toHaveLength(6);
    browser.setVisibility('visible');
    await flush();
    expect(t.ff.calls).toHaveLength(7);
    t.client.close();
  });

  it('a wake attempt that fails backs off further; wakes start at most one attempt a second', async () => {
    const browser = page.browser();
    const t = await waiting();
    t.ff.replies.push(...down(5));
    browser.online();
    await flush();
    expect(t.ff.calls).toHaveLength(7); // failed again: 15..16 s to wait now
    expect(t.delays()[t.delays().length - 1]).toBe(16_000);
    browser.online(); // 0 ms after that attempt began: deferred to 1 s after it
    await flush();
    expect(t.ff.calls).toHaveLength(7);
    expect(t.client.nextAttemptAt).toBe(Date.now() + 1000);
    await jest.advanceTimersByTimeAsync(999);
    expect(t.ff.calls).toHaveLength(7);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.ff.calls).toHaveLength(8);
    t.client.close();
  });

  it('nothing happens while live or while the first attempt is under way', async () => {
    const browser = page.browser();
    const t = setup();
    browser.online(); // connecting: the ticket request is out
    await flush();
    expect(t.ff.calls).toHaveLength(1);
    t.current().open();
    browser.online();
    browser.setVisibility('visible');
    await flush();
    expect(t.ff.calls).toHaveLength(1);
    expect(t.es.instances).toHaveLength(1);
    t.client.close();
  });

  it('close() removes the listeners', async () => {
    const browser = page.browser();
    const t = setup({}, down(1));
    expect(browser.window.listeners).toBe(1);
    expect(browser.document.listeners).toBe(1);
    await flush();
    t.client.close();
    expect(browser.window.listeners).toBe(0);
    expect(browser.document.listeners).toBe(0);
    browser.online();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.ff.calls).toHaveLength(1);
  });

  it('agent_not_found removes the listeners too', async () => {
    const browser = page.browser();
    const t = setup({}, [{ status: 404, body: { error: { code: 'agent_not_found', message: 'gone' } } }]);
    await flush();
    expect(t.client.state).toBe('failed');
    expect(browser.window.listeners + browser.document.listeners).toBe(0);
  });
});

describe('reset', () => {
  it('reaches onEvent after the snapshot and clears the folded view; the larger ids that follow are kept', async () => {
    const t = setup();
    await flush();
    const first = t.current();
    first.open();
    first.send('status', statusData());
    first.send('text', textData('old a'), 1);
    first.send('file', { path: 'old.txt' }, 2);
    first.send('text', textData('old ab'), 3);
    first.fail(); // the control server restarts
    await jest.advanceTimersByTimeAsync(250);
    const second = t.current();
    expect(new URL(second.url).searchParams.get('lastEventId')).toBe('3');
    second.open();
    second.send('status', statusData('idle')); // no id line
    second.send('reset', {}); // no id line
    second.send('text', { messageId: 'm1', partId: 'p1', role: 'assistant', text: 'whole text from kilo' }, 1001);
    second.send('tool', { messageId: 'm1', partId: 'p2', callId: 'c1', tool: 'bash', status: 'completed' }, 1002);
    expect(t.events.map((e) => [e.type, e.seq])).toEqual([
      ['status', undefined],
      ['text', 1],
      ['file', 2],
      ['text', 3],
      ['status', undefined],
      ['reset', undefined],
      ['text', 1001],
      ['tool', 1002],
    ]);
    expect(t.events[5]).toEqual({ type: 'reset', data: {} });
    expect(t.client.lastEventId).toBe(1002);
    const log = reduceAgentLog(createAgentLogState(), t.events);
    expect(log.rows.map((r) => r.kind)).toEqual(['text', 'tool']);
    expect(log.rows[0]).toMatchObject({ text: 'whole text from kilo', seq: 1001 });
    expect(log.status?.state).toBe('idle');
    t.client.close();
  });
});
