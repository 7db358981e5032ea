import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AgentRegistry } from '../agent/create-agent-registry';
import { createMemoryTicketStore } from '../tickets/create-memory-ticket-store';
import { TicketCapacityError, type TicketStore } from '../tickets/ticket-store';
import { createStreamMetrics, type StreamMetrics } from './create-stream-metrics';
import type { ViewerConnections } from './create-viewer-connections';
import { parseStreamQuery } from './parse-stream-query';
import { sendError, sendJson } from './send-error';
import { streamAgent } from './stream-agent';

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
  /** Counters to update (viewers, tickets, forwarded events, slow consumers). */
  metrics?: StreamMetrics;
  /** Tracks open streams so they can be cut (`POST /agents/:agentId/disconnect-viewers`). */
  connections?: ViewerConnections;
  /** When it returns true, new streams are refused with 503 (graceful shutdown). */
  isShuttingDown?: () => boolean;
}

const positiveInt = (name: string, v: number) => {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`createAgentStreamRouter: ${name} must be a positive integer, got ${v}`);
  return v;
};

/** Express 4 does not catch rejected promises: route them to `next`. */
const wrap = (fn: (req: Request, res: Response) => Promise<void>): RequestHandler => (req, res, next: NextFunction) => {
  fn(req, res).catch(next);
};

const methodNotAllowed = (allow: string): RequestHandler => (_req, res) =>
  sendError(res, 405, 'method_not_allowed', `use ${allow}`, { Allow: allow });

/**
 * Creates the Express router serving `POST /agents/:agentId/stream-ticket` and
 * `GET /agents/:agentId/stream` (SPEC §4). Mount it under any prefix, in Express 5 or 4.
 *
 * ## Example
 * ```ts
 * const registry = createAgentRegistry();
 * app.use('/api', createAgentStreamRouter({ registry, keepaliveMs: 15_000 }));
 * // POST /api/agents/demo/stream-ticket → { ticket, expiresAt, streamUrl }
 * ```
 */
export function createAgentStreamRouter(options: AgentStreamRouterOptions): Router {
  if (!options?.registry) throw new TypeError('createAgentStreamRouter: registry is required');
  const { registry } = options;
  const tickets = options.tickets ?? createMemoryTicketStore();
  const metrics = options.metrics ?? createStreamMetrics();
  const stream = {
    keepaliveMs: positiveInt('keepaliveMs', options.keepaliveMs ?? 15_000),
    maxBufferedBytes: positiveInt('maxBufferedBytes', options.maxBufferedBytes ?? 1024 * 1024),
    retryMs: positiveInt('retryMs', options.retryMs ?? 2000),
    metrics,
    connections: options.connections,
    fanouts: new WeakMap(),
  };
  const shuttingDown = options.isShuttingDown ?? (() => false);
  const router = Router();

  router.post('/agents/:agentId/stream-ticket', wrap(async (req, res) => {
    const agentId = String(req.params.agentId);
    if (!registry.get(agentId)) return sendError(res, 404, 'agent_not_found', `no agent "${agentId}"`);
    try {
      const issued = await tickets.issue(agentId);
      metrics.ticketsIssued++;
      sendJson(res, 201, {
        ticket: issued.ticket,
        expiresAt: issued.expiresAt.toISOString(),
        streamUrl: `${req.baseUrl ?? ''}/agents/${encodeURIComponent(agentId)}/stream`,
      });
    } catch (err) {
      if (!(err instanceof TicketCapacityError)) throw err;
      metrics.rejectTicket('ticket_capacity');
      sendError(res, 503, 'ticket_capacity', err.message, { 'Retry-After': String(err.retryAfterSeconds) });
    }
  }));
  router.all('/agents/:agentId/stream-ticket', methodNotAllowed('POST'));

  router.get('/agents/:agentId/stream', wrap(async (req, res) => {
    // Express routes HEAD here too; it must neither consume a ticket nor hold a connection open.
    if (req.method === 'HEAD') return sendError(res, 405, 'method_not_allowed', 'use GET', { Allow: 'GET' });
    const agentId = String(req.params.agentId);
    const url = req.originalUrl ?? req.url;
    const at = url.indexOf('?');
    const lastEventIdHeader = req.headers['last-event-id'];
    const q = parseStreamQuery(at < 0 ? '' : url.slice(at + 1), typeof lastEventIdHeader === 'string' ? lastEventIdHeader : undefined);
    if (!q.ok) {
      metrics.rejectTicket(q.code);
      return sendError(res, q.status, q.code, q.message);
    }
    const { query } = q;
    const before = registry.get(agentId);
    if (before && query.lastEventId !== undefined && query.lastEventId > before.history.latestSeq) {
      metrics.rejectTicket('bad_query');
      return sendError(res, 400, 'bad_query', `lastEventId ${query.lastEventId} is ahead of the latest id ${before.history.latestSeq}`);
    }
    const check = await tickets.consume(query.ticket);
    if (!check.ok) {
      metrics.rejectTicket('ticket_invalid');
      return sendError(res, 401, 'ticket_invalid', 'the ticket is unknown, expired or already used');
    }
    if (check.agentId !== agentId) {
      metrics.rejectTicket('ticket_agent_mismatch');
      return sendError(res, 403, 'ticket_agent_mismatch', 'the ticket was issued for another agent');
    }
    const agent = registry.get(agentId);
    if (!agent) return sendError(res, 404, 'agent_not_found', `no agent "${agentId}"`);
    if (shuttingDown()) return sendError(res, 503, 'shutting_down', 'the server is shutting down');
    if (req.socket.destroyed) return;
    streamAgent(res, agent, { ...stream, lastEventId: query.lastEventId, types: query.types });
  }));
  router.all('/agents/:agentId/stream', methodNotAllowed('GET'));

  return router;
}
