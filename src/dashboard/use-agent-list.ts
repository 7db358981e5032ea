import { useEffect, useRef, useState } from 'react';
import type { AgentState } from '../protocol/agent-event';
import { DEFAULT_MAX_DELAY_MS, DEFAULT_MIN_DELAY_MS, type FetchLike } from '../client/client-options';
import { computeBackoffDelay } from '../client/compute-backoff-delay';
import { watchWakeEvents } from '../client/watch-wake-events';

/** One entry of `GET /agents`. */
export interface AgentSummary {
  id: string;
  sessionId: string | null;
  state: AgentState;
  activeTools: string[];
  viewers: number;
  lastEventId: number;
  /**
   * Whether a person may act on it (prompt, abort, answer its requests, docs/protocol.md §7),
   * given the right to act: false for an agent that can only be watched (e.g. the demo) or that
   * exited. Absent from servers that cannot act.
   */
  actionable?: boolean;
  /** The agent takes no actions at all (e.g. the demo); else a non-actionable agent means the caller may only watch. */
  watchOnly?: boolean;
  /** Permission requests and questions waiting for an answer (absent from older servers). */
  waiting?: number;
  /** When the oldest of them was asked (ISO time). */
  waitingSince?: string | null;
}

/**
 * Why the server refused `GET /agents` (docs/protocol.md §6): `unauthenticated` (401: no or
 * bad credentials, e.g. a token is configured and the page has no session cookie yet) or
 * `forbidden` (403: the credentials may not watch, or `forbidden_origin`: this Host is not
 * allowed). `code` and `message` are the server's error body, as far as it had one.
 */
export interface AgentListAccess {
  status: 401 | 403;
  kind: 'unauthenticated' | 'forbidden';
  code: string | null;
  message: string;
}

/**
 * The polled list: `agents` is `null` until the first answer, and kept (last known) through an
 * outage; `null` again while the server refuses access (`access`).
 */
export interface AgentList {
  agents: AgentSummary[] | null;
  /** Why the latest poll failed, while `reconnecting` or refused (`access`); else `null`. */
  error: string | null;
  /** True while `GET /agents` fails: the list keeps trying with backoff and recovers by itself. */
  reconnecting: boolean;
  /** While `reconnecting`: when the next try starts (epoch ms); else `null`. */
  nextAttemptAt: number | null;
  /** Consecutive failed polls (0 after an answer). */
  failures: number;
  /**
   * Set while the server refuses the list with 401 or 403: not an outage (no `reconnecting`, no
   * fast backoff); the poller asks again every `accessPollMs` so it recovers by itself once the
   * page has credentials (the session cookie appears). Kept (last known) through an outage.
   */
  access: AgentListAccess | null;
}

/** Options of {@link createAgentListPoller}. */
export interface AgentListPollerOptions {
  /** Prefix of the control server API (`''` = same origin, root). */
  baseUrl: string;
  /** The wait between polls while the server answers, ms. */
  pollMs: number;
  /** Receives the list after every change. */
  onChange: (list: AgentList) => void;
  /** fetch implementation. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Backoff lower bound after a failed poll, ms. Default 250 (as the stream client). */
  minDelayMs?: number;
  /** Backoff upper bound, ms: a long outage costs a poll every 15 to 30 s. Default 30000. */
  maxDelayMs?: number;
  /** A request that has not answered after this long counts as failed, ms. Default 10000. */
  requestTimeoutMs?: number;
  /** Random source for jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** The wait between polls while the server answers 401/403 (sign-in needed), ms. Default 10000. */
  accessPollMs?: number;
}

/** A running poller; see {@link createAgentListPoller}. */
export interface AgentListPoller {
  /** The list now. */
  readonly list: AgentList;
  /** Stops polling and cancels a request under way. */
  stop(): void;
}

/** A wake (`online`, page visible) starts a poll at most this soon after the previous one began. */
const WAKE_MIN_GAP_MS = 1000;

/** The list before the first answer. */
const INITIAL: AgentList = { agents: null, error: null, reconnecting: false, nextAttemptAt: null, failures: 0, access: null };

/** A 401 or 403 from `GET /agents`: the server is there and refuses this page. */
class AccessRefused extends Error {
  constructor(readonly access: AgentListAccess) {
    super(`GET /agents answered ${access.status}${access.code ? ` ${access.code}` : ''}: ${access.message}`);
  }
}

/** The `{error: {code, message}}` of an error answer, as far as it is there. */
async function errorBodyOf(response: Response): Promise<{ code: string | null; message: string }> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    return {
      code: typeof body?.error?.code === 'string' ? body.error.code : null,
      message: typeof body?.error?.message === 'string' ? body.error.message : `HTTP ${response.status}`,
    };
  } catch {
    return { code: null, message: `HTTP ${response.status}` };
  }
}

/**
 * Polls `GET <baseUrl>/agents` every `pollMs`, one request at a time, and never gives up: when
 * the server is down (a restart, a deploy, no network) it keeps the last known agents, reports
 * `reconnecting` with `nextAttemptAt`, and tries again with the stream client's capped jittered
 * backoff (`computeBackoffDelay`, 250 ms doubling up to 30 s), back to `pollMs` as soon as it
 * answers. In a browser, `online` and the page becoming visible poll at once (debounced: not
 * while a request is under way, at most once a second). No React: {@link useAgentList} wraps it.
 *
 * A 401 or 403 is not an outage: the server is there and refuses this page (a token is
 * configured and the page is not signed in, or its credentials may not watch). The list reports
 * `access` (no `reconnecting`, no agents) and asks again every `accessPollMs` (10 s), so a page
 * left open recovers by itself once it is signed in (e.g. `/?token=…` opened in another tab).
 *
 * ## Example
 * ```ts
 * const poller = createAgentListPoller({ baseUrl: '', pollMs: 2000, onChange: (l) => render(l) });
 * // later: poller.stop();
 * ```
 */
export function createAgentListPoller(options: AgentListPollerOptions): AgentListPoller {
  const { baseUrl, pollMs, onChange } = options;
  const doFetch: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const minDelayMs = options.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
  const backoff = {
    minDelayMs,
    maxDelayMs: Math.max(minDelayMs, options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS),
    random: options.random ?? Math.random,
  };
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const accessPollMs = options.accessPollMs ?? 10_000;

  let list: AgentList = INITIAL;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** When the scheduled poll starts (epoch ms), while one is scheduled. */
  let dueAt: number | null = null;
  let inFlight: AbortController | null = null;
  let startedAt = -Infinity;

  const publish = (next: AgentList) => {
    list = next;
    onChange(next);
  };

  const schedule = (delayMs: number) => {
    if (timer !== null) clearTimeout(timer);
    dueAt = Date.now() + delayMs;
    timer = setTimeout(poll, delayMs);
  };

  const fetchAgents = async (signal: AbortSignal): Promise<AgentSummary[]> => {
    const response = await doFetch(`${baseUrl}/agents`, { headers: { accept: 'application/json' }, signal });
    if (response.status === 401 || response.status === 403) {
      const { code, message } = await errorBodyOf(response);
      const kind = response.status === 401 ? 'unauthenticated' : 'forbidden';
      throw new AccessRefused({ status: response.status, kind, code, message });
    }
    if (!response.ok) throw new Error(`GET /agents answered ${response.status}`);
    const body = (await response.json()) as { agents?: AgentSummary[] };
    if (!Array.isArray(body.agents)) throw new Error('GET /agents: no agents array');
    return body.agents;
  };

  async function poll(): Promise<void> {
    timer = null;
    dueAt = null;
    if (stopped || inFlight) return;
    const controller = new AbortController();
    inFlight = controller;
    startedAt = Date.now();
    const timeout = setTimeout(() => controller.abort(), requestTimeoutMs);
    try {
      const agents = await fetchAgents(controller.signal);
      if (stopped) return;
      publish({ agents, error: null, reconnecting: false, nextAttemptAt: null, failures: 0, access: null });
      schedule(pollMs);
    } catch (err) {
      if (stopped) return;
      if (err instanceof AccessRefused) {
        schedule(accessPollMs);
        publish({ agents: null, error: err.message, reconnecting: false, nextAttemptAt: null, failures: 0, access: err.access });
        return;
      }
      const failures = list.failures + 1;
      const delayMs = computeBackoffDelay(failures - 1, backoff);
      const error = controller.signal.aborted
        ? `GET /agents: no answer within ${requestTimeoutMs} ms`
        : err instanceof Error
          ? err.message
          : String(err);
      schedule(delayMs);
      publish({ agents: list.agents, error, reconnecting: true, nextAttemptAt: dueAt, failures, access: list.access });
    } finally {
      clearTimeout(timeout);
      if (inFlight === controller) inFlight = null;
    }
  }

  const onWake = () => {
    if (stopped || inFlight || timer === null || dueAt === null) return;
    const now = Date.now();
    const at = Math.max(now, startedAt + WAKE_MIN_GAP_MS);
    if (at >= dueAt) return;
    if (at > now) {
      schedule(at - now);
      if (list.reconnecting) publish({ ...list, nextAttemptAt: dueAt });
      return;
    }
    if (timer !== null) clearTimeout(timer);
    if (list.reconnecting) publish({ ...list, nextAttemptAt: now }); // "trying now"
    void poll();
  };

  const unwatch = watchWakeEvents(onWake);
  void poll();

  return {
    get list() {
      return list;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      unwatch();
      if (timer !== null) clearTimeout(timer);
      timer = null;
      inFlight?.abort();
    },
  };
}

/** Options of {@link useAgentList} beyond the positional ones. */
export type UseAgentListOptions = Omit<AgentListPollerOptions, 'baseUrl' | 'pollMs' | 'onChange' | 'fetch'>;

/**
 * Polls `GET <baseUrl>/agents` every `pollMs` (one request at a time) while mounted, through
 * outages: while the server is down the list stays (last known agents) with `reconnecting` and
 * `nextAttemptAt`, and recovers by itself when the server is back ({@link createAgentListPoller});
 * while the server refuses the page (401/403) it reports `access` and asks again every 10 s.
 * A new poller when `baseUrl`, `pollMs` or `fetchImpl` change; `options` are read when it starts.
 *
 * ## Example
 * ```tsx
 * const { agents, reconnecting } = useAgentList('', 2000);
 * ```
 */
export function useAgentList(baseUrl: string, pollMs: number, fetchImpl?: FetchLike, options: UseAgentListOptions = {}): AgentList {
  const [list, setList] = useState<AgentList>(INITIAL);
  const latest = useRef(options);
  latest.current = options;
  useEffect(() => {
    const poller = createAgentListPoller({ ...latest.current, baseUrl, pollMs, fetch: fetchImpl, onChange: setList });
    return () => poller.stop();
  }, [baseUrl, pollMs, fetchImpl]);
  return list;
}
