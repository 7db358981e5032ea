import { AGENT_EVENT_TYPES, type AgentEvent, type AgentEventType } from '../protocol/agent-event';
import { isStreamFormat, type StreamFormat } from '../protocol/stream-format';

/** An event as the browser client delivers it: `seq` is the SSE `id` (absent on the status snapshot, `gap` and `reset`). */
export type ClientAgentEvent = AgentEvent & { readonly seq?: number };

/**
 * The connection state of a client. `exited`, `failed` and `closed` are final; `reconnecting`
 * lasts through any outage (the client retries for as long as it is open), `failed` is only for
 * an agent that is gone (`agent_not_found`) or a bounded `maxRetries` exhausted.
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'exited' | 'failed' | 'closed';

/** What the ticket endpoint answers (`201 {ticket, expiresAt, streamUrl}`). */
/** What the client can report besides its state (`onDiagnostic`). */
export type ClientDiagnostic = { type: 'invalid_frame'; reason: string; seq?: number };

export interface StreamTicket {
  ticket: string;
  expiresAt?: string;
  /** The stream URL, resolved against the ticket URL. Default `<baseUrl>/agents/<agentId>/stream`. */
  streamUrl?: string;
}

/** Details passed along with a state change. */
export interface ConnectionStateInfo {
  /** Consecutive failed attempts so far (0 after a successful open). */
  attempt: number;
  /** The wait before the next attempt, when `reconnecting` (0: trying now, e.g. after `online`). */
  delayMs?: number;
  /** When the next attempt starts (epoch ms, `Date.now()` clock), when `reconnecting`. */
  nextAttemptAt?: number;
  /** What went wrong (`reconnecting`, `failed`). */
  error?: Error;
}

/** The smallest `EventSource` the client needs (the browser's, or e.g. the `eventsource` package). */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** An `EventSource` constructor. */
export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

/** The smallest `fetch` the client needs. */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** Options of `createAgentStreamClient`. */
export interface AgentStreamClientOptions {
  /** The agent to watch; used for the default ticket and stream URLs. */
  agentId?: string;
  /** Prefix of the default URLs, e.g. `https://host/api`. Default `''` (same origin). */
  baseUrl?: string;
  /** Where to POST for a ticket. Default `<baseUrl>/agents/<agentId>/stream-ticket`. */
  ticketUrl?: string;
  /** Fetches a ticket your own way (e.g. with auth headers); replaces the POST to `ticketUrl`. */
  getTicket?: (signal?: AbortSignal) => Promise<StreamTicket>;
  /** Only these events (`status` and `exit` always come). Default: all. */
  types?: readonly AgentEventType[];
  /** Resume after this id on the first connection (e.g. a persisted one). Default: whole history. */
  lastEventId?: number;
  /** Receives every event once, in order (the native format). */
  onEvent: (event: ClientAgentEvent) => void;
  /**
   * The wire format (docs/interop.md): `native` (default; events go to `onEvent`), or `ag-ui` /
   * `ai-sdk`, whose events go to `onFormatEvent` (and `onEvent` is not called).
   */
  format?: StreamFormat;
  /**
   * Receives each AG-UI event / AI SDK chunk of a non-native `format`, with its native `id` and
   * the number of the connection it came on: each connection begins anew (AG-UI: `RUN_STARTED`
   * and a snapshot; AI SDK: the replay of the messages since the last id), so restart whatever
   * applies the events (e.g. @ag-ui/client's verifier, ai's readUIMessageStream) when it changes.
   */
  onFormatEvent?: (event: unknown, info: { id: number; connection: number }) => void;
  /** Receives every connection state change. */
  onState?: (state: ConnectionState, info: ConnectionStateInfo) => void;
  /** Receives what happened without changing the state (e.g. a frame that is not JSON, skipped). */
  onDiagnostic?: (d: ClientDiagnostic) => void;
  /**
   * Consecutive failed attempts allowed before `failed`. Default `Infinity`: while it is open the
   * client retries through any outage (a server restart, a lost network), with backoff capped at
   * `maxDelayMs`; only a gone agent (`agent_not_found`) or `exit` end it. Set a number to give up.
   */
  maxRetries?: number;
  /**
   * A connection counts as live (when it drops, the failure count starts again and the first
   * retry goes at once) once it delivered a new event or stayed open this long, ms. Default 10000.
   */
  healthyAfterMs?: number;
  /** Backoff lower bound, ms. Default 250. */
  minDelayMs?: number;
  /** Backoff upper bound, ms: during a long outage the client tries every 15 to 30 s. Default 30000. */
  maxDelayMs?: number;
  /** Passed to the EventSource (and `credentials: 'include'` to fetch). Default false. */
  withCredentials?: boolean;
  /** EventSource implementation. Default `globalThis.EventSource`. */
  EventSource?: EventSourceConstructor;
  /** fetch implementation. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Random source for jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** Options with defaults applied. */
export interface ResolvedClientOptions extends AgentStreamClientOptions {
  baseUrl: string;
  maxRetries: number;
  minDelayMs: number;
  maxDelayMs: number;
  healthyAfterMs: number;
  withCredentials: boolean;
  EventSource: EventSourceConstructor;
  random: () => number;
}

const fail = (message: string): never => {
  throw new TypeError(`createAgentStreamClient: ${message}`);
};

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;

/** Default `maxRetries`: never give up while open. */
export const DEFAULT_MAX_RETRIES = Infinity;
/** Default `minDelayMs`. */
export const DEFAULT_MIN_DELAY_MS = 250;
/** Default `maxDelayMs`. */
export const DEFAULT_MAX_DELAY_MS = 30_000;

const canParseUrl = (url: string, base?: string): boolean => {
  try {
    const u = new URL(url, base);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

/** Validates options eagerly and applies defaults; throws `TypeError` on a bad option. */
export function resolveClientOptions(options: AgentStreamClientOptions): ResolvedClientOptions {
  if (!options || typeof options !== 'object') fail('options are required');
  const o = options;
  const native = o.format === undefined || o.format === 'native';
  if (native && typeof o.onEvent !== 'function') fail('onEvent must be a function');
  if (o.onState !== undefined && typeof o.onState !== 'function') fail('onState must be a function');
  if (o.agentId !== undefined && (typeof o.agentId !== 'string' || o.agentId === '')) fail('agentId must be a non-empty string');
  if (o.ticketUrl !== undefined && (typeof o.ticketUrl !== 'string' || o.ticketUrl === '')) fail('ticketUrl must be a non-empty string');
  if (o.getTicket !== undefined && typeof o.getTicket !== 'function') fail('getTicket must be a function');
  if (o.agentId === undefined && o.ticketUrl === undefined && o.getTicket === undefined) {
    fail('one of agentId, ticketUrl or getTicket is required');
  }
  if (o.baseUrl !== undefined && typeof o.baseUrl !== 'string') fail('baseUrl must be a string');
  if (o.format !== undefined && !isStreamFormat(o.format)) fail(`unknown format ${String(o.format)}`);
  if (o.format !== undefined && o.format !== 'native') {
    if (typeof o.onFormatEvent !== 'function') fail('onFormatEvent must be a function with format ' + o.format);
    if (o.types !== undefined) fail('types applies to the native format only');
  }
  if (o.types !== undefined) {
    if (!Array.isArray(o.types)) fail('types must be an array of event names');
    for (const t of o.types as unknown[]) {
      if (typeof t !== 'string' || !(AGENT_EVENT_TYPES as readonly string[]).includes(t)) fail(`unknown event type ${String(t)}`);
    }
  }
  if (o.lastEventId !== undefined && !isCount(o.lastEventId)) fail('lastEventId must be a non-negative integer');
  const maxRetries = o.maxRetries ?? DEFAULT_MAX_RETRIES;
  const minDelayMs = o.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
  const maxDelayMs = o.maxDelayMs ?? Math.max(DEFAULT_MAX_DELAY_MS, minDelayMs);
  const healthyAfterMs = o.healthyAfterMs ?? 10000;
  if (!isCount(healthyAfterMs)) fail('healthyAfterMs must be a non-negative integer');
  if (!isCount(maxRetries) && maxRetries !== Infinity) fail('maxRetries must be a non-negative integer or Infinity');
  if (!isCount(minDelayMs)) fail('minDelayMs must be a non-negative integer');
  if (!isCount(maxDelayMs) || maxDelayMs < minDelayMs) fail('maxDelayMs must be an integer >= minDelayMs');
  const ES = o.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (typeof ES !== 'function') fail('no EventSource: pass options.EventSource');
  if (o.getTicket === undefined) {
    const f = o.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
    if (typeof f !== 'function') fail('no fetch: pass options.fetch');
  }
  if (o.random !== undefined && typeof o.random !== 'function') fail('random must be a function');
  if (o.getTicket === undefined && o.fetch === undefined) {
    // Outside a page (Node, a worker without location) a relative URL has nothing to resolve
    // against: every attempt would fail on "Failed to parse URL", forever. Say so now. (Your own
    // `fetch` or `getTicket` resolves URLs its own way.)
    const page = (globalThis as { location?: { href?: unknown } }).location?.href;
    const url = o.ticketUrl ?? `${(o.baseUrl ?? '').replace(/\/+$/, '')}/agents/x/stream-ticket`;
    if (!canParseUrl(url, typeof page === 'string' ? page : undefined)) {
      fail(`no usable base URL for "${url}": outside a browser page pass an absolute baseUrl (e.g. "http://127.0.0.1:8080") or ticketUrl`);
    }
  }
  return {
    ...o,
    baseUrl: (o.baseUrl ?? '').replace(/\/+$/, ''),
    maxRetries,
    minDelayMs,
    maxDelayMs,
    healthyAfterMs,
    withCredentials: o.withCredentials === true,
    EventSource: ES as EventSourceConstructor,
    random: o.random ?? Math.random,
  };
}
