import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentRegistry } from '../agent/create-agent-registry';
import type { StreamFormat } from '../protocol/stream-format';
import type { TicketStore } from '../tickets/ticket-store';
import type { BroadcastRegistry } from './create-broadcast-registry';
import type { StreamMetrics } from './create-stream-metrics';
import { parseStreamQuery } from './parse-stream-query';
import { methodNotAllowed, requireAgent, sendError } from './http';

export interface StreamHandlerOptions {
  registry: AgentRegistry;
  tickets: TicketStore;
  broadcasts: BroadcastRegistry;
  metrics: StreamMetrics;
  /** When it returns true, new streams are refused with 503 (graceful shutdown). */
  isShuttingDown?: () => boolean;
  /** The format of a stream whose query names none (docs/interop.md). Default `native`. */
  defaultFormat?: StreamFormat;
}

/** Serves `GET /agents/:agentId/stream` for an already decoded `agentId`. */
export type StreamHandler = (req: IncomingMessage, res: ServerResponse, agentId: string) => Promise<void>;

/**
 * Creates the stream endpoint as a plain `node:http` handler (the Express router and the control
 * server both call it): checks in protocol order (docs/protocol.md §4) — the query (400s, which
 * consume nothing), the ticket (401, 403), shutting down (503), the agent (404) —
 * then hands the response to the agent's broadcast.
 *
 * ## Example
 * ```ts
 * const stream = createStreamHandler({ registry, tickets, broadcasts, metrics });
 * http.createServer((req, res) => stream(req, res, 'demo'));
 * ```
 */
export function createStreamHandler(options: StreamHandlerOptions): StreamHandler {
  const { registry, tickets, broadcasts, metrics } = options;
  const shuttingDown = options.isShuttingDown ?? (() => false);
  return async (req, res, agentId) => {
    // HEAD must neither consume a ticket nor hold a connection open.
    if (req.method !== 'GET') return methodNotAllowed('GET')(req, res);
    const url = req.url ?? '';
    const at = url.indexOf('?');
    const header = req.headers['last-event-id'];
    const q = parseStreamQuery(at < 0 ? '' : url.slice(at + 1), typeof header === 'string' ? header : undefined);
    if (!q.ok) {
      metrics.rejectTicket(q.code);
      return sendError(res, q.status, q.code, q.message);
    }
    const { query } = q;
    const format = query.format ?? options.defaultFormat ?? 'native';
    if (query.types && format !== 'native') {
      metrics.rejectTicket('bad_query');
      return sendError(res, 400, 'bad_query', '"types" applies to the native format only');
    }
    let check: Awaited<ReturnType<TicketStore['consume']>>;
    try {
      check = await tickets.consume(query.ticket);
    } catch {
      metrics.rejectTicket('store_unavailable');
      return sendError(res, 503, 'store_unavailable', 'the ticket store is unreachable; retry shortly', { 'Retry-After': '2' });
    }
    if (!check.ok) {
      metrics.rejectTicket('ticket_invalid');
      return sendError(res, 401, 'ticket_invalid', 'the ticket is unknown, expired or already used');
    }
    if (check.agentId !== agentId) {
      metrics.rejectTicket('ticket_agent_mismatch');
      return sendError(res, 403, 'ticket_agent_mismatch', 'the ticket was issued for another agent');
    }
    // Before the agent: a closing server has already let its agents go (a 404 would tell the
    // client the agent is gone; it is the server that is).
    if (shuttingDown()) return sendError(res, 503, 'shutting_down', 'the server is shutting down');
    const agent = requireAgent(registry, agentId, res);
    if (!agent) return;
    if (req.socket.destroyed) return;
    broadcasts.of(agent).join(res, { lastEventId: query.lastEventId, types: query.types, format });
  };
}
