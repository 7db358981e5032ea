import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { TicketCapacityError } from '../tickets/ticket-store';
import { checkAction } from './authorize';
import { requireAgent, sendError, sendJson } from './http';
import type { ResolvedRouterOptions } from './router-options';

/**
 * `POST /agents/:agentId/stream-ticket` (docs/protocol.md §4.1): checks `watch`, the agent and
 * the caller's ticket rate, then issues a one-time ticket whose `streamUrl` carries the router's
 * mount prefix. A caller holding its share of unused tickets answers 429 `rate_limited`; a full
 * store (or agent share) 503 `ticket_capacity`, an unreachable one 503
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
    const client = clientAddress(req);
    const rate = await ticketRate?.take(client);
    if (rate && !rate.ok) {
      metrics.rejectTicket('rate_limited');
      return sendError(res, 429, 'rate_limited', 'too many stream tickets from this address', {
        'Retry-After': String(rate.retryAfterSeconds),
      });
    }
    try {
      // The store's per-client share goes with the rate: `ticketRate: false` turns both off.
      const issued = await tickets.issue(agentId, ticketRate ? { client } : undefined);
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
      // This client's share is full (unused tickets): its problem, not the server's.
      const mine = err.client !== undefined;
      metrics.rejectTicket(mine ? 'rate_limited' : 'ticket_capacity');
      sendError(res, mine ? 429 : 503, mine ? 'rate_limited' : 'ticket_capacity', err.message, {
        'Retry-After': String(err.retryAfterSeconds),
      });
    }
  };
}
