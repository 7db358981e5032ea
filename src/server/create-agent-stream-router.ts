import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AgentRegistry } from '../agent/create-agent-registry';
import { createMemoryTicketStore } from '../tickets/create-memory-ticket-store';
import { TicketCapacityError, type TicketStore } from '../tickets/ticket-store';
import { allowAll, checkAction, type Authorize } from './authorize';
import { socketAddress, type ClientAddress } from './client-address';
import { createBroadcastRegistry, type BroadcastRegistry } from './create-broadcast-registry';
import { createRateLimiter, type RateLimiter } from './create-rate-limiter';
import { createStreamHandler } from './create-stream-handler';
import { createStreamMetrics, type StreamMetrics } from './create-stream-metrics';
import { DEFAULT_FLUSH_INTERVAL_MS, checkFlushIntervalMs } from './frame-batches';
import { methodNotAllowed, requireAgent, sendError, sendJson } from './http';
import { integerOption } from '../options/number-option';

export interface AgentStreamRouterOptions {
  /** Where the agents are looked up by id. */
  registry: AgentRegistry;
  /** Where tickets live. Default: an in-memory store (60 s TTL, 1000 outstanding). */
  tickets?: TicketStore;
  /** Interval of the `: keepalive` comment. Default 15 000 ms. */
  keepaliveMs?: number;
  /** Unsent bytes a viewer may have before it is disconnected. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** The `retry:` sent to EventSource. Default 2000 ms. */
  retryMs?: number;
  /**
   * The frame window: the events of one window go out in one write per viewer, so a viewer gets
   * at most one write per window whatever the event rate (docs/protocol.md §4.2). 0: one write
   * per viewer per event-loop turn. Default 16 ms.
   */
  flushIntervalMs?: number;
  /** Counters to update (tickets, forwarded events, slow consumers). */
  metrics?: StreamMetrics;
  /** The broadcasts (and so the viewers) of the agents. Default: one of this router's own. */
  broadcasts?: BroadcastRegistry;
  /** When it returns true, new streams are refused with 503 (graceful shutdown). */
  isShuttingDown?: () => boolean;
  /**
   * Who may do what (docs/protocol.md §6): ticket issuance is `watch` on the agent. Default:
   * everyone. The stream route is never guarded: its ticket is its credential.
   */
  authorize?: Authorize;
  /** Tickets per client address (token bucket); `false` for none. Default 20 at once, 1 more per second. */
  ticketRate?: RateLimiter | false;
  /** Who a request comes from, the key of `ticketRate` (see `createClientAddress` behind a proxy). Default: the peer address. */
  clientAddress?: ClientAddress;
}

const positiveInt = (name: string, v: number) => integerOption('createAgentStreamRouter', name, v);

/** Express 4 does not catch rejected promises: route them to `next`. */
const wrap =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next: NextFunction) => {
    fn(req, res).catch(next);
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

/**
 * Creates the Express router serving `POST /agents/:agentId/stream-ticket` and
 * `GET /agents/:agentId/stream` (docs/protocol.md §4). Mount it under any prefix, in Express 5 or 4.
 *
 * ## Example
 * ```ts
 * const registry = createAgentRegistry();
 * app.use('/api', createAgentStreamRouter({ registry, keepaliveMs: 15_000 }));
 * // POST /api/agents/demo/stream-ticket → { ticket, expiresAt, streamUrl: '/api/agents/demo/stream?ticket=…' }
 * ```
 */
export function createAgentStreamRouter(options: AgentStreamRouterOptions): Router {
  if (!options?.registry) throw new TypeError('createAgentStreamRouter: registry is required');
  const { registry } = options;
  const tickets = options.tickets ?? createMemoryTicketStore();
  const metrics = options.metrics ?? createStreamMetrics();
  const broadcasts = options.broadcasts ?? createBroadcastRegistry(broadcastOptionsOf(options, metrics));
  const stream = createStreamHandler({ registry, tickets, broadcasts, metrics, isShuttingDown: options.isShuttingDown });
  const authorize = options.authorize ?? allowAll;
  const ticketRate = options.ticketRate === false ? null : (options.ticketRate ?? createRateLimiter({ burst: 20, perSecond: 1 }));
  const clientAddress = options.clientAddress ?? socketAddress;
  const router = Router();

  router.post(
    '/agents/:agentId/stream-ticket',
    wrap(async (req, res) => {
      const agentId = String(req.params.agentId);
      if (!(await checkAction(authorize, req, res, 'watch', agentId))) return;
      if (!requireAgent(registry, agentId, res)) return;
      const rate = ticketRate?.take(clientAddress(req));
      if (rate && !rate.ok) {
        metrics.rejectTicket('rate_limited');
        return sendError(res, 429, 'rate_limited', 'too many stream tickets from this address', {
          'Retry-After': String(rate.retryAfterSeconds),
        });
      }
      try {
        const issued = await tickets.issue(agentId);
        metrics.ticketsIssued++;
        sendJson(res, 201, {
          ticket: issued.ticket,
          expiresAt: issued.expiresAt.toISOString(),
          streamUrl: `${req.baseUrl ?? ''}/agents/${encodeURIComponent(agentId)}/stream?ticket=${issued.ticket}`,
        });
      } catch (err) {
        if (!(err instanceof TicketCapacityError)) {
          // A shared store (Redis) out of reach: the client retries; never a 500.
          metrics.rejectTicket('store_unavailable');
          return sendError(res, 503, 'store_unavailable', 'the ticket store is unreachable; retry shortly', { 'Retry-After': '2' });
        }
        metrics.rejectTicket('ticket_capacity');
        sendError(res, 503, 'ticket_capacity', err.message, { 'Retry-After': String(err.retryAfterSeconds) });
      }
    }),
  );
  router.all('/agents/:agentId/stream-ticket', methodNotAllowed('POST'));
  router.get(
    '/agents/:agentId/stream',
    wrap(async (req, res) => {
      await stream(req, res, String(req.params.agentId));
      // A held stream never calls `next`: drop Express's chain of per-request routing closures
      // (`req.next` keeps every router's state alive for as long as the stream stays open).
      if (res.headersSent && !res.writableEnded) (req as { next?: unknown }).next = undefined;
    }),
  );
  router.all('/agents/:agentId/stream', methodNotAllowed('GET'));

  return router;
}
