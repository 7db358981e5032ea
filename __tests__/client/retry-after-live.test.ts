// The browser client after a live stream dies (its node was SIGKILLed, a deploy): the first retry
// goes at once, then the usual backoff from its start; still never `failed` while open; at most
// one immediate retry a second, so a stream that delivers an event and drops, again and again,
// backs off. The schedule itself is checked as a property over any sequence of failures.
import fc from 'fast-check';
import {
  createAgentStreamClient,
  type AgentStreamClientOptions,
  type ClientAgentEvent,
  type ConnectionState,
  type ConnectionStateInfo,
} from '../../src/client';
import { computeBackoffDelay } from '../../src/client/compute-backoff-delay';
import { createRetrySchedule } from '../../src/client/create-retry-schedule';
import { createFakeEventSource, createFakeFetch, flush, statusData, textData, type FetchReply } from './fakes';

const down = (n: number): FetchReply[] => Array.from({ length: n }, () => ({ status: 502, body: 'Bad Gateway' }));

function setup(extra: Partial<AgentStreamClientOptions> = {}) {
  const es = createFakeEventSource();
  const ff = createFakeFetch();
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
  const current = () => es.instances[es.instances.length - 1]!;
  const delays = () => states.filter((s) => s.state === 'reconnecting').map((s) => s.info.delayMs as number);
  return { es, ff, events, states, client, current, delays };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('after a live stream dies, the client retries at once', () => {
  it('the drop of a stream that delivered events: a new ticket is requested in the same turn, and the stream resumes', async () => {
    const t = setup({ random: () => 0.5 });
    await flush();
    t.current().open();
    t.current().send('status', statusData());
    t.current().send('text', textData('a'), 7);
    const before = t.ff.calls.length;
    t.current().fail(); // the node died
    expect(t.ff.calls.length).toBe(before + 1); // no timer in between
    expect(t.delays()).toEqual([0]);
    expect(t.states.at(-1)!.info.nextAttemptAt).toBe(Date.now());
    await flush();
    expect(t.es.instances).toHaveLength(2);
    expect(t.current().url).toContain('lastEventId=7');
    t.current().open();
    expect(t.client.state).toBe('live');
    t.client.close();
  });

  it('when the immediate retry fails (a 502 behind the proxy), the backoff starts from its beginning and grows as before', async () => {
    const t = setup({ random: () => 0.999999 });
    await flush();
    t.current().open();
    t.current().send('text', textData('a'), 1);
    t.ff.replies.push(...down(6));
    t.current().fail();
    await flush();
    await jest.advanceTimersByTimeAsync(250 + 500 + 1000 + 2000 + 4000 + 8000);
    expect(t.ff.calls).toHaveLength(1 + 1 + 6); // the first ticket, the immediate retry, then one per backoff step
    expect(t.delays()).toEqual([0, 250, 500, 1000, 2000, 4000, 8000]);
    expect(t.states.filter((s) => s.state === 'reconnecting').map((s) => s.info.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(t.es.instances).toHaveLength(2); // the 8th request got a ticket
    expect(t.client.state).toBe('reconnecting');
    t.current().open();
    expect(t.client.state).toBe('live');
    t.client.close();
  });

  it('a stream that opened but delivered nothing new keeps backing off (no immediate retry)', async () => {
    const t = setup({ random: () => 0 });
    await flush();
    t.current().open();
    t.current().send('status', statusData()); // the snapshot is not progress
    t.current().fail();
    expect(t.delays()).toEqual([250]);
    t.client.close();
  });

  it('a stream that stayed open healthyAfterMs without events (an idle agent) also retries at once', async () => {
    const t = setup({ healthyAfterMs: 1000 });
    await flush();
    t.current().open();
    await jest.advanceTimersByTimeAsync(1000);
    t.current().fail();
    expect(t.delays()).toEqual([0]);
    t.client.close();
  });

  it('a stream that delivers one event and drops, again and again, gets at most one immediate retry a second', async () => {
    const t = setup({ random: () => 0 });
    await flush();
    let id = 0;
    for (let i = 0; i < 40; i++) {
      t.current().open();
      t.current().send('text', textData(`x${i}`), ++id);
      t.current().fail();
      await flush();
      const d = t.delays().at(-1)!;
      if (d > 0) await jest.advanceTimersByTimeAsync(d);
    }
    const delays = t.delays();
    const immediate = t.states.filter((s) => s.state === 'reconnecting' && s.info.delayMs === 0).map((s) => s.at);
    for (let i = 1; i < immediate.length; i++) expect(immediate[i]! - immediate[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(delays.filter((d) => d > 0).length).toBeGreaterThan(0);
    expect(t.events.length).toBe(40); // every event once
    t.client.close();
  });

  it('still never gives up: an outage after a live stream stays `reconnecting`, ~11 tries in its first minute, then every 15–30 s', async () => {
    const t = setup({ random: () => 0.5 });
    await flush();
    t.current().open();
    t.current().send('text', textData('a'), 1);
    t.ff.replies.push(...Array.from({ length: 10_000 }, () => new TypeError('fetch failed')));
    t.current().fail();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.ff.calls.length - 1).toBeLessThanOrEqual(11); // the immediate retry + at most 10 backoff steps
    await jest.advanceTimersByTimeAsync(30 * 60_000);
    expect(t.client.state).toBe('reconnecting');
    expect(t.states.some((s) => s.state === 'failed')).toBe(false);
    expect(
      t
        .delays()
        .slice(10)
        .every((d) => d >= 15_000 && d <= 30_000),
    ).toBe(true);
    t.client.close();
  });

  it('a bound you set counts the immediate retry as an attempt', async () => {
    const t = setup({ maxRetries: 2 });
    await flush();
    t.current().open();
    t.current().send('text', textData('a'), 1);
    t.ff.replies.push(...down(5));
    t.current().fail();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(t.client.state).toBe('failed');
    expect(t.client.error?.code).toBe('retries_exhausted');
    expect(t.ff.calls).toHaveLength(1 + 2);
  });
});

describe('createRetrySchedule (property)', () => {
  const opts = { minDelayMs: 250, maxDelayMs: 30_000, maxRetries: Infinity };
  it('0 only for the first failure after a live connection (at most once a second); otherwise the backoff of the streak, from its start', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ afterLive: fc.boolean(), dt: fc.integer({ min: 0, max: 5000 }), r: fc.double({ min: 0, max: 0.999, noNaN: true }) }),
          {
            maxLength: 60,
          },
        ),
        (steps) => {
          let r = 0;
          const s = createRetrySchedule({ ...opts, random: () => r });
          let now = 0;
          let lastImmediate = -Infinity;
          let streak = 0;
          let immediateStreak = false;
          for (const step of steps) {
            now += step.dt;
            r = step.r;
            const d = s.next({ afterLive: step.afterLive, now });
            if (step.afterLive) {
              streak = 0;
              immediateStreak = false;
            }
            streak++;
            expect(s.failures).toBe(streak);
            if (step.afterLive && now - lastImmediate >= 1000) {
              expect(d).toBe(0);
              lastImmediate = now;
              immediateStreak = true;
            } else {
              expect(d).toBe(computeBackoffDelay(streak - 1 - (immediateStreak ? 1 : 0), { ...opts, random: () => r }));
              expect(d).toBeGreaterThanOrEqual(250);
              expect(d).toBeLessThanOrEqual(30_000);
            }
          }
        },
      ),
    );
  });

  it('Retry-After wins over the immediate retry (capped at maxDelayMs); a spent bound answers null', () => {
    const s = createRetrySchedule({ ...opts, maxRetries: 1, random: () => 0 });
    expect(s.next({ afterLive: true, now: 0, retryAfterMs: 5000 })).toBe(5000);
    expect(s.next({ afterLive: false, now: 10 })).toBeNull();
    const t = createRetrySchedule({ ...opts, random: () => 0 });
    expect(t.next({ afterLive: true, now: 0, retryAfterMs: 120_000 })).toBe(30_000);
  });
});
