// The dashboard's agent list when the server refuses it (a token is configured, docs/protocol.md
// §6): a 401 or 403 is not an outage. No `reconnecting`, no fast backoff, no agents: the list
// reports `access` and asks again every 10 s, so a page left open recovers once it is signed in.
import { renderToString } from 'react-dom/server';
import { accessNoteOf, SIGN_IN_NOTE } from '../../src/dashboard/access-note';
import { Dashboard } from '../../src/dashboard/dashboard';
import type { AgentListPollerOptions } from '../../src/dashboard/use-agent-list';
import { fakeBrowserPerTest } from '../client/browser-globals';
import { flush } from '../client/fakes';
import { startPoller } from './start-poller';

const AGENTS = [{ id: 'demo', sessionId: 'ses_1', state: 'busy', activeTools: [], viewers: 1, lastEventId: 7 }];

type Mode = 'ok' | 'down' | { status: number; body: unknown };
const UNAUTHENTICATED = { status: 401, body: { error: { code: 'unauthenticated', message: 'credentials needed to watch' } } };
const FORBIDDEN = { status: 403, body: { error: { code: 'forbidden', message: 'not allowed to watch' } } };
const FORBIDDEN_ORIGIN = { status: 403, body: { error: { code: 'forbidden_origin', message: 'this Host is not allowed' } } };

/** A fake `GET /agents` that answers as `mode` says (`down`: the connection is refused). */
function fakeServer(initial: Mode) {
  const server = {
    mode: initial,
    calls: [] as number[],
    fetch: (url: string): Promise<Response> => {
      server.calls.push(Date.now());
      expect(url).toBe('http://host.test/agents');
      const m = server.mode;
      if (m === 'down') return Promise.reject(new TypeError('Failed to fetch'));
      const status = m === 'ok' ? 200 : m.status;
      const body = m === 'ok' ? { agents: AGENTS } : m.body;
      return Promise.resolve({
        ok: status >= 200 && status < 300,
        status,
        json: async () => {
          if (typeof body === 'string') throw new SyntaxError('Unexpected token');
          return body;
        },
      } as unknown as Response);
    },
  };
  return server;
}

function setup(initial: Mode, extra: Partial<AgentListPollerOptions> = {}) {
  const server = fakeServer(initial);
  return { server, ...startPoller(server.fetch, { random: () => 0, ...extra }) };
}

/** Calls made within the next `ms`. */
async function callsDuring(t: ReturnType<typeof setup>, ms: number): Promise<number> {
  const before = t.server.calls.length;
  await jest.advanceTimersByTimeAsync(ms);
  return t.server.calls.length - before;
}

const page = fakeBrowserPerTest();

describe('createAgentListPoller when the server refuses the page', () => {
  it('a 401 from the start: sign-in needed, no agents, never reconnecting, one poll every 10 s; recovers once signed in', async () => {
    const t = setup(UNAUTHENTICATED);
    await flush();
    expect(t.poller.list).toEqual({
      agents: null,
      error: 'GET /agents answered 401 unauthenticated: credentials needed to watch',
      reconnecting: false,
      nextAttemptAt: null,
      failures: 0,
      access: { status: 401, kind: 'unauthenticated', code: 'unauthenticated', message: 'credentials needed to watch' },
    });
    expect(await callsDuring(t, 60_000)).toBe(6); // slow: not the 2 s poll, not the 250 ms backoff
    expect(t.lists.every((l) => !l.reconnecting && l.agents === null && l.access?.status === 401)).toBe(true);

    t.server.mode = 'ok'; // the session cookie appeared (the link opened in another tab)
    await jest.advanceTimersByTimeAsync(10_000);
    expect(t.poller.list).toEqual({ agents: AGENTS, error: null, reconnecting: false, nextAttemptAt: null, failures: 0, access: null });
    expect(await callsDuring(t, 10_000)).toBe(5); // pollMs again
    t.poller.stop();
    expect(await callsDuring(t, 60_000)).toBe(0);
  });

  it('a session lost while watching: the agents go, then an outage keeps the note and backs off as before', async () => {
    const t = setup('ok');
    await flush();
    expect(t.poller.list.agents).toEqual(AGENTS);
    t.server.mode = UNAUTHENTICATED; // e.g. the server restarted: sessions are in memory
    await jest.advanceTimersByTimeAsync(2000);
    expect(t.poller.list).toMatchObject({ agents: null, reconnecting: false, failures: 0, access: { status: 401 } });

    t.server.mode = 'down';
    await jest.advanceTimersByTimeAsync(10_000);
    expect(t.poller.list).toMatchObject({
      agents: null,
      reconnecting: true,
      failures: 1,
      error: 'Failed to fetch',
      access: { status: 401 },
    });
    expect(t.poller.list.nextAttemptAt).toBe(Date.now() + 250); // the outage backoff, unchanged
    expect(await callsDuring(t, 250 + 500 + 1000)).toBe(3);

    t.server.mode = UNAUTHENTICATED; // back, still signed out: slow again
    await jest.advanceTimersByTimeAsync(2000);
    expect(t.poller.list).toMatchObject({ agents: null, reconnecting: false, failures: 0, nextAttemptAt: null, access: { status: 401 } });
    expect(await callsDuring(t, 30_000)).toBe(3);
    t.poller.stop();
  });

  it.each([
    ['forbidden', FORBIDDEN, 'not allowed to watch'],
    ['forbidden_origin', FORBIDDEN_ORIGIN, 'this Host is not allowed'],
  ])('a 403 %s: refused, not reconnecting, slow poll', async (code, mode, message) => {
    const t = setup(mode, { accessPollMs: 5000 });
    await flush();
    expect(t.poller.list).toMatchObject({ agents: null, reconnecting: false, access: { status: 403, kind: 'forbidden', code, message } });
    expect(await callsDuring(t, 30_000)).toBe(6); // accessPollMs
    t.poller.stop();
  });

  it('a 401 whose body is not JSON (a proxy in front) is still a sign-in, not an outage', async () => {
    const t = setup({ status: 401, body: '<html>401</html>' });
    await flush();
    expect(t.poller.list).toMatchObject({
      reconnecting: false,
      access: { status: 401, kind: 'unauthenticated', code: null, message: 'HTTP 401' },
    });
    t.poller.stop();
  });

  it('other statuses stay outages: a 500 or a 429 backs off and reconnects', async () => {
    const t = setup({ status: 500, body: { error: { code: 'internal', message: 'internal error' } } });
    await flush();
    expect(t.poller.list).toMatchObject({ reconnecting: true, failures: 1, access: null, error: 'GET /agents answered 500' });
    t.server.mode = { status: 429, body: {} };
    await jest.advanceTimersByTimeAsync(250);
    expect(t.poller.list).toMatchObject({ reconnecting: true, failures: 2, access: null });
    t.poller.stop();
  });

  it('signed out, the page becoming visible asks at once (signed in in another tab)', async () => {
    const browser = page.browser();
    const t = setup(UNAUTHENTICATED);
    await flush();
    await jest.advanceTimersByTimeAsync(3000);
    expect(t.server.calls).toHaveLength(1);
    t.server.mode = 'ok';
    browser.setVisibility('visible');
    await flush();
    expect(t.server.calls).toHaveLength(2);
    expect(t.poller.list).toMatchObject({ agents: AGENTS, access: null });
    t.poller.stop();
  });
});

describe('the notes', () => {
  const access = (status: 401 | 403, code: string | null) =>
    ({ status, kind: status === 401 ? 'unauthenticated' : 'forbidden', code, message: 'm' }) as const;

  it('401: how to sign in; 403: may only watch (acting), may not watch, or a refused address', () => {
    expect(SIGN_IN_NOTE).toBe('Sign in: open the link with #token=… that agent-stream printed when it started');
    expect(accessNoteOf(access(401, 'unauthenticated'))).toBe(SIGN_IN_NOTE);
    expect(accessNoteOf(access(401, null), 'admin')).toBe(SIGN_IN_NOTE);
    expect(accessNoteOf(access(403, 'forbidden'), 'act')).toBe('Not allowed: this token may only watch');
    expect(accessNoteOf(access(403, 'forbidden'), 'admin')).toBe('Not allowed: this token may only watch');
    expect(accessNoteOf(access(403, 'forbidden'))).toMatch(/may not watch/);
    expect(accessNoteOf(access(403, 'forbidden_origin'))).toMatch(/forbidden_origin/);
  });

  it('<Dashboard> before the first answer shows loading, no sign-in note', () => {
    const html = renderToString(<Dashboard fetch={() => new Promise<Response>(() => {})} />);
    expect(html).toContain('loading…');
    expect(html).not.toContain('auth-needed');
  });
});
