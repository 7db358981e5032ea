import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { TicketCapacityError } from '../tickets/ticket-store';
import { checkAction } from './authorize';
import { requireAgent, sendError, sendJson } from './http';
import type { ResolvedRouterOptions } from './router-options';

/**
 * `POST /agents/:agentId/stream-ticket` (docs/protocol.md §4.1): checks `watch`, the agent and
 * the caller's ticket rate, then issues a one-time ticket whose `streamUrl` carries the router's
 * mount prefix. A full store answers 503 `ticket_capacity`, an unreachable one 503
 * `store_unavailable` (both with `Retry-After`), never a 500.
 *
 * ## Example
 * ```ts
 * router.post('/agents/:agentId/stream-ticket', createTicketHandler(resolveRouterOptions({ registry })));
 * ```
 */
export function createTicketHandler<Req extends IncomingMessage>(o: ResolvedRouterOptions<Req>) {
  const { registry, tickets, metrics, authorize, ticketRate, clientAddress } = o;
  return async (req: Request, res: Response): Promise<void> => {
    const agentId = String(req.params.agentId);
    if (!(await checkAction(authorize, req as unknown as Req, res, 'watch', agentId))) return;
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
  };
}
