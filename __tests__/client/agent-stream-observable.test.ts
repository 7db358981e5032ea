import { toArray, firstValueFrom } from 'rxjs';
import { AgentStreamClientError, agentStream$, computeBackoffDelay } from '../../src/client';
import { createFakeEventSource, createFakeFetch, flush, textData } from './fakes';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('agentStream$', () => {
  it('emits the events and completes after exit', async () => {
    const es = createFakeEventSource();
    const ff = createFakeFetch();
    const all = firstValueFrom(agentStream$({ agentId: 'a1', EventSource: es.EventSource, fetch: ff.fetch }).pipe(toArray()));
    await flush();
    es.instances[0].open();
    es.instances[0].send('text', textData('hi'), 1);
    es.instances[0].send('exit', { reason: 'process_exit', code: 0 }, 2);
    await expect(all).resolves.toEqual([
      { type: 'text', data: textData('hi'), seq: 1 },
      { type: 'exit', data: { reason: 'process_exit', code: 0 }, seq: 2 },
    ]);
    expect(es.instances[0].closed).toBe(true);
  });

  it('errors with a typed error when the agent does not exist', async () => {
    const ff = createFakeFetch();
    ff.replies.push({ status: 404, body: { error: { code: 'agent_not_found', message: 'nope' } } });
    const done = firstValueFrom(agentStream$({ agentId: 'a1', EventSource: createFakeEventSource().EventSource, fetch: ff.fetch }));
    await flush();
    await expect(done).rejects.toBeInstanceOf(AgentStreamClientError);
    await expect(done).rejects.toMatchObject({ code: 'agent_not_found' });
  });

  it('unsubscribing closes the stream and stops retries', async () => {
    const es = createFakeEventSource();
    const ff = createFakeFetch();
    const sub = agentStream$({ agentId: 'a1', EventSource: es.EventSource, fetch: ff.fetch }).subscribe();
    await flush();
    es.instances[0].open();
    sub.unsubscribe();
    expect(es.instances[0].closed).toBe(true);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(ff.calls).toHaveLength(1);
  });
});

describe('computeBackoffDelay', () => {
  it('stays within [min, max] for any random value and attempt', () => {
    for (const r of [0, 0.1, 0.5, 0.9, 0.999999, 1, -1, NaN]) {
      for (let attempt = 0; attempt < 40; attempt++) {
        const d = computeBackoffDelay(attempt, { minDelayMs: 250, maxDelayMs: 5000, random: () => r });
        expect(d).toBeGreaterThanOrEqual(250);
        expect(d).toBeLessThanOrEqual(Math.min(5000, 250 * 2 ** attempt));
      }
    }
  });
});
