import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import type { AgentRegistry } from '../agent/create-agent-registry';
import { createMemoryTicketStore } from '../tickets/create-memory-ticket-store';
import type { TicketStore } from '../tickets/ticket-store';
import { integerOption } from '../options/number-option';
import { STREAM_FORMATS, isStreamFormat, type StreamFormat } from '../protocol/stream-format';
import { allowAll, type Authorize } from './authorize';
import { socketAddress, type ClientAddress } from './client-address';
import { createBroadcastRegistry, type BroadcastRegistry } from './create-broadcast-registry';
import { createRateLimiter, type RateLimiter, type SharedRateLimiter } from './create-rate-limiter';
import { createStreamMetrics, type StreamMetrics } from './create-stream-metrics';
import { DEFAULT_FLUSH_INTERVAL_MS, checkFlushIntervalMs } from './frame-batches';
import { silentLogger, type Logger } from './logger';
import { createMemoryClaims, type RequestClaims } from './request-claims';
import type { IRouter } from 'express';

/** What a `routes` hook of the router gets: where agents live and how to guard a route. */
export interface RouterContext {
  registry: AgentRegistry;
  metrics: StreamMetrics;
}

/**
 * The options of {@link createAgentStreamRouter}. `Req` is your app's request type: an `authorize`
 * written as `(req: Request & { user?: User }, action) => …` reads `req.user` without a cast.
 */
export interface AgentStreamRouterOptions<Req extends IncomingMessage = Request> {
  /** Where the agents are looked up by id. */
  registry: AgentRegistry;
  /** Where tickets live. Default: an in-memory store (60 s TTL, 1000 outstanding). */
  tickets?: TicketStore;
  /**
   * Who may do what (docs/protocol.md §6): `watch` for tickets and the agent list, `act` for the
   * acting routes, `admin` for stop and disconnect-viewers. Default: everyone. The stream route
   * is never guarded: its ticket is its credential.
   */
  authorize?: Authorize<Req>;
  /** Interval of the `: keepalive` comment. Default 15 000 ms. */
  keepaliveMs?: number;
  /** Unsent bytes a viewer may have before it is disconnected. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** The `retry:` sent to EventSource. Default 2000 ms. */
  retryMs?: number;
  /**
   * The frame window: the events of one window go out in one write per viewer (docs/protocol.md
   * §4.2). 0: one write per viewer per event-loop turn. Default 16 ms.
   */
  flushIntervalMs?: number;
  /** Largest JSON body the acting routes accept. Default 256 KiB (413 `payload_too_large` beyond). */
  maxBodyBytes?: number;
  /** Counters to update (tickets, forwarded events, slow consumers). */
  metrics?: StreamMetrics;
  /** The broadcasts (and so the viewers) of the agents. Default: one of this router's own. */
  broadcasts?: BroadcastRegistry;
  /** When it returns true, new streams are refused with 503 (graceful shutdown). */
  isShuttingDown?: () => boolean;
  /** The stream format when the query names none: `native`, `ag-ui` or `ai-sdk` (docs/interop.md). Default `native`. */
  defaultFormat?: StreamFormat;
  /**
   * Tickets per client address (token bucket); `false` for none. Default 20 at once, 1 more per
   * second. Unless false, the store also counts each client's unused tickets (its per-client share).
   * A {@link SharedRateLimiter} keeps the buckets elsewhere (another process).
   */
  ticketRate?: RateLimiter | SharedRateLimiter | false;
  /** Who a request comes from, the key of `ticketRate` (see `createClientAddress` behind a proxy). Default: the peer address. */
  clientAddress?: ClientAddress;
  /** Who is answering which request (first claim wins). Default: in memory (a cluster passes its own). */
  claims?: RequestClaims;
  /** Who a request comes from, for the `by` of actions. Default: `client <address>`. */
  identify?: (req: Req) => string;
  /**
   * More routes, mounted after the agent routes and before the router's own 404 (e.g. the
   * spawning routes of `agentSpawnRoutes`). `POST /agents` is guarded as `admin` and
   * `POST /agents/:agentId/message` as `act` in front of them.
   */
  routes?: (router: IRouter, ctx: RouterContext) => void;
  /** Where request failures are reported. Default: silent. */
  logger?: Logger;
}

const positiveInt = (name: string, v: number) => integerOption('createAgentStreamRouter', name, v);

const checkFormat = (format: StreamFormat | undefined): StreamFormat | undefined => {
  if (format !== undefined && !isStreamFormat(format))
    throw new TypeError(`createAgentStreamRouter: defaultFormat must be one of ${STREAM_FORMATS.join(', ')}`);
  return format;
};

/** The broadcast options of the router's options, validated once, with defaults. */
export function broadcastOptionsOf(
  options: Pick<AgentStreamRouterOptions, 'keepaliveMs' | 'maxBufferedBytes' | 'retryMs' | 'flushIntervalMs'>,
  metrics: StreamMetrics,
) {
  return {
    keepaliveMs: positiveInt('keepaliveMs', options.keepaliveMs ?? 15_000),
    maxBufferedBytes: positiveInt('maxBufferedBytes', options.maxBufferedBytes ?? 1024 * 1024),
    retryMs: positiveInt('retryMs', options.retryMs ?? 2000),
    flushIntervalMs: checkFlushIntervalMs('createAgentStreamRouter', options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS),
    metrics,
  };
}

/** The router's options validated once, with every default filled in. */
export function resolveRouterOptions<Req extends IncomingMessage>(options: AgentStreamRouterOptions<Req>) {
  if (!options || typeof options !== 'object') throw new TypeError('createAgentStreamRouter: pass an options object with a registry');
  if (!options.registry) throw new TypeError('createAgentStreamRouter: registry is required');
  if (options.authorize !== undefined && typeof options.authorize !== 'function')
    throw new TypeError('createAgentStreamRouter: authorize must be a function (req, action, agentId) => verdict');
  const metrics = options.metrics ?? createStreamMetrics();
  const clientAddress = options.clientAddress ?? socketAddress;
  return {
    registry: options.registry,
    tickets: options.tickets ?? createMemoryTicketStore(),
    metrics,
    broadcasts: options.broadcasts ?? createBroadcastRegistry(broadcastOptionsOf(options, metrics)),
    authorize: (options.authorize ?? allowAll) as Authorize<Req>,
    ticketRate: options.ticketRate === false ? null : (options.ticketRate ?? createRateLimiter({ burst: 20, perSecond: 1 })),
    clientAddress,
    claims: options.claims ?? createMemoryClaims(),
    identify: options.identify ?? ((req: Req) => `client ${clientAddress(req)}`),
    isShuttingDown: options.isShuttingDown ?? (() => false),
    defaultFormat: checkFormat(options.defaultFormat),
    maxBodyBytes: positiveInt('maxBodyBytes', options.maxBodyBytes ?? 256 * 1024),
    routes: options.routes,
    logger: options.logger ?? silentLogger,
  };
}

export type ResolvedRouterOptions<Req extends IncomingMessage = Request> = ReturnType<typeof resolveRouterOptions<Req>>;
