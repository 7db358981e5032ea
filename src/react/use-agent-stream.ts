import { useEffect, useReducer, useRef, useState } from 'react';
import { AgentStreamClientError } from '../client/agent-stream-client-error';
import type { AgentStreamClientOptions, ClientAgentEvent, ConnectionState, ConnectionStateInfo } from '../client/client-options';
import { createAgentStreamClient } from '../client/create-agent-stream-client';
import { createAgentLogState, reduceAgentLog, type AgentLogLimits, type AgentLogState } from './agent-log';

/** Options of {@link useAgentStream}: the client's (callbacks optional) plus the log limits. */
export interface UseAgentStreamOptions extends Omit<AgentStreamClientOptions, 'onEvent' | 'onState'>, AgentLogLimits {
  /** Called with every event, after it was applied to the log (in the frame that applied it). */
  onEvent?: (event: ClientAgentEvent) => void;
  /** Called on every connection state change. */
  onStateChange?: (state: ConnectionState, info: ConnectionStateInfo) => void;
}

/** What {@link useAgentStream} returns. */
export interface AgentStreamView {
  log: AgentLogState;
  connection: ConnectionState;
  /** Why the connection failed, or the error being retried. */
  error: Error | null;
  /** While `reconnecting`: when the next attempt starts (epoch ms); else `null`. */
  nextAttemptAt: number | null;
}

interface ConnectionView {
  state: ConnectionState;
  error: Error | null;
  nextAttemptAt: number | null;
}

type Action = { type: 'reset' } | { type: 'events'; events: ClientAgentEvent[]; limits: AgentLogLimits };

const reducer = (state: AgentLogState, action: Action): AgentLogState =>
  action.type === 'reset' ? createAgentLogState() : reduceAgentLog(state, action.events, action.limits);

/** Runs `flush` at the next animation frame (a timer where there is none, or the page is hidden). */
function scheduleFrame(flush: () => void): () => void {
  const doc = (globalThis as { document?: { hidden?: boolean } }).document;
  if (typeof requestAnimationFrame === 'function' && !doc?.hidden) {
    const id = requestAnimationFrame(flush);
    return () => cancelAnimationFrame(id);
  }
  const id = setTimeout(flush, 16);
  return () => clearTimeout(id);
}

/**
 * Runs an agent-stream client while the component is mounted and folds its events into an
 * {@link AgentLogState}, once per animation frame (a token stream of hundreds of deltas per
 * second costs one state update per frame, not one per token). A new client (and an empty log)
 * when `agentId`, `baseUrl`, `ticketUrl` or `types` change; other options are read when the
 * client starts. The client retries through any outage (`reconnecting`, with `nextAttemptAt`);
 * `failed` means the agent is gone or a `maxRetries` you set ran out. A `reset` event clears
 * the log's rows and the events after it refill them.
 *
 * ## Example
 * ```tsx
 * const { log, connection } = useAgentStream({ agentId: 'demo' });
 * return <p>{connection}: {log.rows.length} rows</p>;
 * ```
 */
export function useAgentStream(options: UseAgentStreamOptions): AgentStreamView {
  const [log, dispatch] = useReducer(reducer, undefined, createAgentLogState);
  const [connection, setConnection] = useState<ConnectionView>({ state: 'connecting', error: null, nextAttemptAt: null });
  const latest = useRef(options);
  latest.current = options;
  const typesKey = options.types?.join(',') ?? '';

  useEffect(() => {
    let active = true;
    dispatch({ type: 'reset' });
    setConnection({ state: 'connecting', error: null, nextAttemptAt: null });
    const { onEvent: _onEvent, onStateChange: _onStateChange, maxRows: _maxRows, maxTrackedSeqs: _max, ...clientOptions } = latest.current;
    let client: { close(): void } | null = null;
    let pending: ClientAgentEvent[] = [];
    let cancelFrame: (() => void) | null = null;
    const flush = () => {
      cancelFrame = null;
      const events = pending;
      pending = [];
      if (!active || events.length === 0) return;
      const { maxRows, maxTrackedSeqs } = latest.current;
      dispatch({ type: 'events', events, limits: { maxRows, maxTrackedSeqs } });
      for (const event of events) latest.current.onEvent?.(event);
    };
    try {
      client = createAgentStreamClient({
        ...clientOptions,
        onEvent: (event) => {
          if (!active) return;
          pending.push(event);
          cancelFrame ??= scheduleFrame(flush);
        },
        onState: (state, info) => {
          if (!active) return;
          flush(); // events first, so a state shown never runs ahead of the log
          const nextAttemptAt = state === 'reconnecting' ? (info.nextAttemptAt ?? null) : null;
          setConnection({ state, error: info.error ?? null, nextAttemptAt });
          latest.current.onStateChange?.(state, info);
        },
      });
    } catch (err) {
      const error = err instanceof Error ? err : new AgentStreamClientError('stream_error', String(err));
      setConnection({ state: 'failed', error, nextAttemptAt: null });
    }
    return () => {
      active = false;
      cancelFrame?.();
      client?.close();
    };
  }, [options.agentId, options.baseUrl, options.ticketUrl, typesKey]);

  return { log, connection: connection.state, error: connection.error, nextAttemptAt: connection.nextAttemptAt };
}

/** Whole seconds from `now` until `at`, rounded up, never below 0. */
export const secondsUntil = (at: number, now: number): number => Math.max(0, Math.ceil((at - now) / 1000));

/**
 * A countdown to `at` (epoch ms) in whole seconds, re-rendering each time the number changes
 * (about once a second) until it reaches 0; `null` when `at` is `null`. Used for "next try in
 * 7 s" while reconnecting.
 *
 * ## Example
 * ```tsx
 * const left = useSecondsUntil(view.nextAttemptAt);
 * return <span>{left === null ? view.connection : `reconnecting · next try in ${left} s`}</span>;
 * ```
 */
export function useSecondsUntil(at: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      const t = Date.now();
      setNow(t);
      const left = at - t;
      if (left <= 0) return;
      // wake just after the displayed number changes (the next whole second before `at`)
      timer = setTimeout(tick, (left % 1000 || 1000) + 5);
    };
    tick();
    return () => {
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [at]);
  return at === null ? null : secondsUntil(at, now);
}
