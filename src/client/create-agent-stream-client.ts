import { AGENT_EVENT_TYPES, type AgentEventType } from '../protocol/agent-event';
import { AgentStreamClientError } from './agent-stream-client-error';
import {
  resolveClientOptions,
  type AgentStreamClientOptions,
  type ConnectionState,
  type ConnectionStateInfo,
  type EventSourceLike,
  type FetchLike,
  type StreamTicket,
} from './client-options';
import { createFrameReader, type FrameResult } from './create-frame-reader';
import { createRetrySchedule } from './create-retry-schedule';
import { fetchTicket } from './fetch-ticket';
import { buildStreamUrl, resolveUrl } from './stream-url';
import { watchWakeEvents } from './watch-wake-events';

/** A running browser client; see {@link createAgentStreamClient}. */
export interface AgentStreamClient {
  /** The connection state now. */
  readonly state: ConnectionState;
  /** The id of the last event delivered, `null` before the first one. */
  readonly lastEventId: number | null;
  /** Why the client failed (or the last retried error while `reconnecting`); else `null`. */
  readonly error: AgentStreamClientError | null;
  /** When the next attempt starts (epoch ms) while `reconnecting` and waiting; else `null`. */
  readonly nextAttemptAt: number | null;
  /** Stops for good: closes the stream, cancels a pending ticket request or retry. */
  close(): void;
}

const FINAL: ReadonlySet<ConnectionState> = new Set(['exited', 'failed', 'closed']);

/** A wake (`online`, page visible) starts an attempt at most this soon after the previous one began. */
const WAKE_MIN_GAP_MS = 1000;

const toClientError = (err: unknown): AgentStreamClientError =>
  err instanceof AgentStreamClientError
    ? err
    : new AgentStreamClientError('ticket_failed', err instanceof Error ? err.message : String(err), undefined, undefined, err);

/**
 * Watches one agent: gets a one-use ticket, opens an `EventSource`, delivers every event once and
 * in order, and on a dropped stream closes it at once (a browser would otherwise retry the
 * consumed ticket), gets a NEW ticket and resumes with `lastEventId`.
 *
 * It never gives up while it is open: through a server restart or a lost network it stays
 * `reconnecting`, one ticket request per attempt, with jittered backoff capped at `maxDelayMs`
 * (30 s; `computeBackoffDelay`, honouring `Retry-After`), and reports each wait as `delayMs` and
 * `nextAttemptAt`. A connection that opens and drops at once is a failure too (the backoff keeps
 * growing); one that delivered new events, or stayed open `healthyAfterMs`, was live: the count
 * starts again and the first retry goes at once (its node died or was redeployed; behind a proxy
 * that retries ticket requests on the next node the viewer is back within a round trip), then
 * the backoff from its start (`createRetrySchedule`; at most one immediate retry a second). In a browser, `online` and the page becoming visible start the pending attempt at once
 * (at most one attempt a second). It stops for good after `exit` (state `exited`) — except an
 * `exit` with reason `shutdown`, which is the server going away, not the agent — when the
 * ticket endpoint answers 404 `agent_not_found` (`failed`), after `maxRetries` consecutive
 * failures when you set a bound (`failed`, code `retries_exhausted`), or on `close()`.
 *
 * A `reset` event (a resume id from an earlier server instance) is delivered like any other: the
 * view clears what it folded and folds what follows (`reduceAgentLog` does).
 *
 * ## Example
 * ```ts
 * const client = createAgentStreamClient({
 *   agentId: 'demo',
 *   onEvent: (e) => view.apply(e), // `reset` included: clear, then fold what follows
 *   onState: (state, { nextAttemptAt }) => {
 *     badge.textContent = state === 'reconnecting' && nextAttemptAt
 *       ? `reconnecting · next try in ${Math.ceil((nextAttemptAt - Date.now()) / 1000)} s`
 *       : state;
 *   },
 * });
 * // later: client.close();
 * ```
 */
export function createAgentStreamClient(options: AgentStreamClientOptions): AgentStreamClient {
  const o = resolveClientOptions(options);
  const agentPath = o.agentId === undefined ? undefined : `${o.baseUrl}/agents/${encodeURIComponent(o.agentId)}`;
  const ticketUrl = resolveUrl(o.ticketUrl ?? `${agentPath}/stream-ticket`);
  const fetchImpl: FetchLike = o.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const types = o.types as readonly AgentEventType[] | undefined;
  /** Connections opened (for `onFormatEvent`). */
  let connections = 0;
  /** AG-UI: the agent's exit came; its run's end is the stream's. */
  let exiting = false;

  let state: ConnectionState = 'connecting';
  let lastId: number | null = o.lastEventId ?? null;
  const retries = createRetrySchedule(o);
  let lastError: AgentStreamClientError | null = null;
  let source: EventSourceLike | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let abort: AbortController | null = null;
  let generation = 0;
  /** When the pending retry starts (epoch ms), while one is scheduled. */
  let nextAttemptAt: number | null = null;
  /** When the latest attempt started (epoch ms). */
  let attemptStartedAt = -Infinity;
  let unwatchWake: () => void = () => {};
  /** The current connection, once open: when, and whether it delivered a new event. */
  let opened: { at: number; progress: boolean } | null = null;

  const isFinal = () => FINAL.has(state);

  const setState = (next: ConnectionState, info: Omit<ConnectionStateInfo, 'attempt'> = {}) => {
    if (state === next && next !== 'reconnecting') return;
    state = next;
    o.onState?.(next, { attempt: retries.failures, ...info });
  };

  const dropSource = () => {
    const s = source;
    source = null;
    s?.close();
  };

  const stop = () => {
    generation++;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    nextAttemptAt = null;
    unwatchWake();
    abort?.abort();
    abort = null;
    dropSource();
  };

  const fail = (err: AgentStreamClientError) => {
    stop();
    lastError = err;
    setState('failed', { error: err });
  };

  const onFailure = (err: AgentStreamClientError) => {
    if (isFinal()) return;
    dropSource();
    lastError = err;
    if (err.code === 'agent_not_found') return fail(err);
    // A connection that delivered new events or stayed up `healthyAfterMs` was live: the count
    // starts again and the first retry goes at once. One that opens and drops at once is not (no
    // endless reconnect loop against a broken stream).
    const afterLive = opened !== null && (opened.progress || Date.now() - opened.at >= o.healthyAfterMs);
    opened = null;
    const delayMs = retries.next({ afterLive, retryAfterMs: err.retryAfterMs, now: Date.now() });
    if (delayMs === null) {
      return fail(
        new AgentStreamClientError(
          'retries_exhausted',
          `gave up after ${retries.failures} failed attempts: ${err.message}`,
          err.status,
          undefined,
          err,
        ),
      );
    }
    scheduleRetry(delayMs, err);
  };

  /** Reports `reconnecting` with the wait, and starts the next attempt after it (now, for 0). */
  const scheduleRetry = (delayMs: number, err: AgentStreamClientError | undefined) => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    nextAttemptAt = Date.now() + delayMs;
    setState('reconnecting', { delayMs, nextAttemptAt, error: err });
    if (isFinal()) return; // closed from onState
    if (delayMs <= 0) connect();
    else timer = setTimeout(connect, delayMs);
  };

  /**
   * `online` / page visible while waiting to retry: try now instead of at the end of the backoff.
   * Debounced: nothing while an attempt is under way (a second event right after the first finds
   * no pending timer) and at most one attempt per `WAKE_MIN_GAP_MS`; a `Retry-After` is honoured.
   */
  const onWake = () => {
    if (state !== 'reconnecting' || timer === null || nextAttemptAt === null) return;
    if (lastError?.retryAfterMs !== undefined) return;
    const now = Date.now();
    const at = Math.max(now, attemptStartedAt + WAKE_MIN_GAP_MS);
    if (at >= nextAttemptAt) return;
    scheduleRetry(at - now, lastError ?? undefined);
  };

  const onOpen = () => {
    opened = { at: Date.now(), progress: false };
    lastError = null;
    setState('live');
  };

  const open = (ticket: StreamTicket) => {
    if (!ticket || typeof ticket.ticket !== 'string' || ticket.ticket === '') {
      return onFailure(new AgentStreamClientError('ticket_malformed', 'getTicket returned no ticket'));
    }
    const streamBase =
      ticket.streamUrl !== undefined ? resolveUrl(ticket.streamUrl, ticketUrl) : agentPath && resolveUrl(`${agentPath}/stream`);
    if (streamBase === undefined) {
      return onFailure(new AgentStreamClientError('ticket_malformed', 'ticket response has no streamUrl'));
    }
    const url = buildStreamUrl(streamBase, { ticket: ticket.ticket, lastEventId: lastId, types, format: o.format });
    let es: EventSourceLike;
    try {
      es = new o.EventSource(url, { withCredentials: o.withCredentials });
    } catch (err) {
      return onFailure(new AgentStreamClientError('stream_error', `cannot open the stream: ${String(err)}`, undefined, undefined, err));
    }
    source = es;
    opened = null;
    const read = createFrameReader();
    const onFrame = (type: AgentEventType, message: MessageEvent) => {
      if (source !== es) return;
      if (state !== 'live') onOpen();
      deliver(read(type, message, lastId));
    };
    es.addEventListener('open', () => {
      if (source === es) onOpen();
    });
    // The agent's `error` event and the EventSource's own error share the type "error": only the
    // former is a MessageEvent with string `data`.
    es.addEventListener('error', (event: MessageEvent) => {
      if (source !== es) return;
      if (typeof event?.data === 'string') return onFrame('error', event);
      const code = (event as unknown as { code?: unknown } | undefined)?.code; // the `eventsource` package sets it
      const status = typeof code === 'number' ? code : undefined;
      dropSource(); // at once: never let the EventSource retry with the consumed ticket
      onFailure(new AgentStreamClientError('stream_error', 'the stream was refused or dropped', status));
    });
    if (o.format !== undefined && o.format !== 'native') {
      const connection = ++connections;
      es.addEventListener('message', (message: MessageEvent) => {
        if (source !== es) return;
        if (state !== 'live') onOpen();
        deliverFormat(message, connection);
      });
      return;
    }
    for (const name of AGENT_EVENT_TYPES) {
      if (name !== 'error') es.addEventListener(name, (message: MessageEvent) => onFrame(name, message));
    }
  };

  /** A frame of an ecosystem format: its id is the native id its event was made from (several share one). */
  const deliverFormat = (message: MessageEvent, connection: number) => {
    const id = Number(message.lastEventId);
    if (message.lastEventId && Number.isSafeInteger(id)) {
      if (lastId === null || id > lastId) {
        lastId = id;
        if (opened) opened.progress = true;
      }
    }
    if (message.data === '[DONE]') {
      stop();
      lastError = null;
      return setState('exited');
    }
    let event: { type?: unknown; name?: unknown; value?: unknown; data?: unknown };
    try {
      event = JSON.parse(String(message.data)) as typeof event;
    } catch {
      return o.onDiagnostic?.({ type: 'invalid_frame', reason: 'a frame whose data is not JSON', seq: lastId ?? undefined });
    }
    o.onFormatEvent!(event, { id: lastId ?? 0, connection });
    if (exiting && event.type === 'RUN_FINISHED') {
      // AG-UI: the agent's exit, then the end of its run: nothing follows.
      stop();
      lastError = null;
      return setState('exited');
    }
    const exit = (
      event.type === 'CUSTOM' && event.name === 'agent.exit' ? event.value : event.type === 'data-exit' ? event.data : undefined
    ) as { reason?: string } | undefined;
    if (exit?.reason === 'shutdown') {
      dropSource();
      onFailure(new AgentStreamClientError('stream_error', 'the server is shutting down'));
    } else if (exit && o.format === 'ag-ui') exiting = true;
  };

  const deliver = (frame: FrameResult) => {
    if (frame.kind === 'duplicate') return;
    if (frame.seq !== undefined) {
      lastId = frame.seq;
      if (opened) opened.progress = true;
    }
    if (frame.kind === 'invalid') return o.onDiagnostic?.({ type: 'invalid_frame', reason: frame.reason, seq: frame.seq });
    if (frame.event.type === 'exit' && frame.event.data.reason === 'shutdown') {
      // The server is going away (a deploy), not the agent: come back when it does.
      o.onEvent(frame.event);
      dropSource();
      return onFailure(new AgentStreamClientError('stream_error', 'the server is shutting down'));
    }
    if (frame.event.type === 'exit') {
      stop(); // before the callback, so nothing reconnects whatever it does
      o.onEvent(frame.event);
      lastError = null;
      return setState('exited');
    }
    o.onEvent(frame.event);
  };

  function connect(): void {
    timer = null;
    nextAttemptAt = null;
    if (isFinal()) return;
    attemptStartedAt = Date.now();
    const gen = ++generation;
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    abort = controller;
    const signal = controller?.signal;
    const request: Promise<StreamTicket> = o.getTicket
      ? Promise.resolve().then(() => o.getTicket!(signal))
      : fetchTicket(fetchImpl, ticketUrl, { signal, withCredentials: o.withCredentials });
    request.then(
      (ticket) => {
        if (gen !== generation || isFinal()) return;
        abort = null;
        open(ticket);
      },
      (err: unknown) => {
        if (gen !== generation || isFinal()) return;
        abort = null;
        onFailure(toClientError(err));
      },
    );
  }

  unwatchWake = watchWakeEvents(onWake);
  connect();

  return {
    get state() {
      return state;
    },
    get lastEventId() {
      return lastId;
    },
    get error() {
      return lastError;
    },
    get nextAttemptAt() {
      return nextAttemptAt;
    },
    close() {
      if (isFinal()) return;
      stop();
      setState('closed');
    },
  };
}
