// The dashboard's agent list across a control-server outage: it keeps polling with the client's
// capped jittered backoff, shows `reconnecting` (never a dead error), keeps the last known agents,
// recovers by itself, and polls at once on `online` / page visible.
import type { AgentListPollerOptions } from '../../src/dashboard/use-agent-list';
import { fakeBrowserPerTest } from '../client/browser-globals';
import { flush } from '../client/fakes';
import { startPoller } from './start-poller';

const AGENTS = [{ id: 'demo', sessionId: 'ses_1', state: 'busy', activeTools: [], viewers: 1, lastEventId: 7 }];

/** A fake `GET /agents`: answers while `up`, else rejects like a refused connection (or answers `downStatus`). */
function fakeServer() {
  const server = {
    up: true,
    downStatus: null as number | null,
    hang: false,
    calls: [] as number[],
    fetch: (url: string, init?: RequestInit): Promise<Response> => {
      server.calls.push(Date.now());
      expect(url).toBe('http://host.test/agents');
      if (server.hang) {
        return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      if (!server.up && server.downStatus === null) return Promise.reject(new TypeError('Failed to fetch'));
      const status = server.up ? 200 : (server.downStatus as number);
      return Promise.resolve({ ok: status === 200, status, json: async () => ({ agents: AGENTS }) } as unknown as Response);
    },
  };
  return server;
}

function setup(extra: Partial<AgentListPollerOptions> = {}) {
  const server = fakeServer();
  return { server, ...startPoller(server.fetch, extra) };
}

const page = fakeBrowserPerTest();

describe('createAgentListPoller', () => {
  it('polls every pollMs while the server answers', async () => {
    const t = setup();
    await flush();
    expect(t.poller.list).toEqual({ agents: AGENTS, error: null, reconnecting: false, nextAttemptAt: null, failures: 0, access: null });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(t.server.calls).toHaveLength(6);
    t.poller.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(t.server.calls).toHaveLength(6);
  });

  it.each([0, 0.5, 0.999999])(
    'keeps polling through an outage (random %p): reconnecting, backoff capped at 30 s, recovers by itself',
    async (r) => {
      const t = setup({ random: () => r });
      await flush();
      t.server.up = false;
      await jest.advanceTimersByTimeAsync(2000); // the next poll fails
      const firstFailure = t.server.calls.length;
      expect(t.poller.list).toMatchObject({ agents: AGENTS, reconnecting: true, error: 'Failed to fetch', failures: 1 });
      expect(t.poller.list.nextAttemptAt).toBe(Date.now() + 250);

      await jest.advanceTimersByTimeAsync(60_000);
      const perMinute = t.server.calls.length - firstFailure;
      expect(perMinute).toBeGreaterThanOrEqual(7);
      expect(perMinute).toBeLessThanOrEqual(9); // 8 to 10 with the failed poll: no tight loop

      await jest.advanceTimersByTimeAsync(20 * 60_000);
      const gaps = t.server.calls.slice(firstFailure).map((at, i) => at - t.server.calls[firstFailure + i - 1]);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(30_000);
      expect(gaps.slice(9).every((g) => g >= 15_000)).toBe(true);
      expect(t.lists.some((l) => l.agents === null)).toBe(false); // the last known agents stay
      expect(t.poller.list.reconnecting).toBe(true);
      expect(t.poller.list.failures).toBe(t.server.calls.length - firstFailure + 1);

      t.server.up = true;
      await jest.advanceTimersByTimeAsync(30_000);
      expect(t.poller.list).toEqual({ agents: AGENTS, error: null, reconnecting: false, nextAttemptAt: null, failures: 0, access: null });
      const back = t.server.calls.length;
      await jest.advanceTimersByTimeAsync(10_000);
      expect(t.server.calls.length - back).toBe(5); // pollMs again
      t.poller.stop();
    },
  );

  it('a 502 while the server restarts is an outage too; so is a request that never answers', async () => {
    const t = setup({ random: () => 0, requestTimeoutMs: 5000 });
    await flush();
    t.server.up = false;
    t.server.downStatus = 502;
    await jest.advanceTimersByTimeAsync(2000);
    expect(t.poller.list).toMatchObject({ reconnecting: true, error: 'GET /agents answered 502' });
    t.server.hang = true;
    await jest.advanceTimersByTimeAsync(250 + 5000);
    expect(t.poller.list).toMatchObject({ reconnecting: true, failures: 2, error: 'GET /agents: no answer within 5000 ms' });
    t.server.hang = false;
    t.server.up = true;
    await jest.advanceTimersByTimeAsync(250);
    expect(t.poller.list.reconnecting).toBe(false);
    t.poller.stop();
  });

  it('`online` and the page becoming visible poll at once (debounced); stop() removes the listeners', async () => {
    const browser = page.browser();
    const t = setup({ random: () => 0.999999 });
    await flush();
    t.server.up = false;
    await jest.advanceTimersByTimeAsync(2000 + 250 + 500 + 1000 + 2000 + 4000); // waiting 8 s now
    await jest.advanceTimersByTimeAsync(1500);
    const before = t.server.calls.length;
    t.server.up = true;
    browser.online();
    browser.setVisibility('visible');
    await flush();
    expect(t.server.calls.length).toBe(before + 1);
    expect(t.poller.list.reconnecting).toBe(false);

    browser.setVisibility('hidden');
    await flush();
    expect(t.server.calls.length).toBe(before + 1);
    await jest.advanceTimersByTimeAsync(1000);
    browser.setVisibility('visible'); // while healthy: a fresh list at once
    await flush();
    expect(t.server.calls.length).toBe(before + 2);

    expect(browser.window.listeners + browser.document.listeners).toBe(2);
    t.poller.stop();
    expect(browser.window.listeners + browser.document.listeners).toBe(0);
    browser.online();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.server.calls.length).toBe(before + 2);
  });
});
