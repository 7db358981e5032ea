import { agentsOfMultiplexTarget, multiplexTarget } from '../tickets/multiplex-target';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type Response, type Router } from 'express';
import { TicketCapacityError } from '../tickets/ticket-store';
import { checkAction } from './authorize';
import { sendError, sendJson, writeEventStreamHead } from './http';
import type { ResolvedRouterOptions } from './router-options';

/** Most agents one multiplexed stream may carry. */
export const MAX_MULTIPLEX_AGENTS = 32;
/** What a multiplexed ticket is bound to in the ticket store: never a valid agent id (a NUL). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Rewrites one agent's SSE frames for the shared response: `data: J` becomes
 * `data: {"agent":"<id>","data":J}` and `id: N` becomes `id: <id>:N`; comments and `retry:` pass.
 */
function tagFrames(agentId: string, text: string): string {
  const agent = JSON.stringify(agentId);
  return text.replace(/^(id|data): (.*)$/gm, (_, field: string, value: string) =>
    field === 'id' ? `id: ${agentId}:${value}` : `data: {"agent":${agent},"data":${value}}`,
  );
}

/**
 * A stand-in `ServerResponse` for one agent's broadcast: what the broadcast writes goes, tagged,
 * to the shared response; `end()` ends only this agent's part (the shared response ends when
 * every part has); `destroy()` (a slow consumer, a dropped history) cuts the shared response, and
 * the client resumes every agent from its own last id.
 */
function partOf(shared: ServerResponse, agentId: string, onEnd: () => void): ServerResponse {
  const part = new EventEmitter() as EventEmitter & Record<string, unknown>;
  let pending = '';
  let ended = false;
  Object.assign(part, {
    writeHead: () => part,
    setHeader: () => undefined,
    getHeader: () => undefined,
    write(chunk: string | Buffer) {
      if (ended || shared.destroyed) return false;
      pending += String(chunk);
      const cut = pending.lastIndexOf('\n\n');
      if (cut < 0) return true;
      const whole = pending.slice(0, cut + 2);
      pending = pending.slice(cut + 2);
      return shared.write(tagFrames(agentId, whole));
    },
    end() {
      if (ended) return part;
      ended = true;
      onEnd();
      // As a response's: 'close' follows the end, so the broadcast lets this viewer go (and stops counting it).
      setImmediate(() => part.emit('close'));
      return part;
    },
    destroy() {
      shared.destroy();
      return part;
    },
    once(event: string, fn: (...a: unknown[]) => void) {
      if (event === 'drain') shared.once('drain', fn);
      else EventEmitter.prototype.once.call(part, event, fn);
      return part;
    },
  });
  for (const name of ['writableNeedDrain', 'writableLength', 'destroyed', 'writableEnded'] as const)
    Object.defineProperty(part, name, { get: () => (name === 'writableEnded' ? ended : shared[name]) });
  return part as unknown as ServerResponse;
}

/** `last=<agent>:<id>` parameters: the last id the client has of each agent. */
function lastIdsOf(params: URLSearchParams): Map<string, number> | null {
  const out = new Map<string, number>();
  for (const v of params.getAll('last')) {
    const at = v.lastIndexOf(':');
    const id = v.slice(at + 1);
    if (at <= 0 || !/^(0|[1-9][0-9]{0,15})$/.test(id)) return null;
    out.set(v.slice(0, at), Number(id));
  }
  return out;
}

/**
 * Installs the multiplexed stream on `router` (docs/protocol.md §4.4): `POST /stream-ticket`
 * with `{agents: [id…]}` (1 to 32 distinct agents, each checked for `watch` and existing) issues
 * ONE ticket, and `GET /stream?ticket=…&last=<agent>:<id>…` streams every one of them over one
 * response, so a browser watches many agents within HTTP/1.1's six connections per origin. Each
 * agent's frames are exactly its own stream's (status snapshot, history, `gap`/`reset`, live,
 * `exit`), with `data` wrapped as `{"agent": id, "data": …}` and `id:` as `<agent>:<seq>`; a
 * client resumes each agent from its own last id. An agent that is gone gets one `exit` frame
 * with reason `not_found`. The shared response ends when every agent's part has ended.
 *
 * ## Example
 * ```ts
 * const router = Router();
 * installMultiplexStream(router, resolveRouterOptions({ registry }));
 * // POST /stream-ticket {"agents":["a1","a2"]} → { ticket, streamUrl: '/stream?ticket=…' }
 * ```
 */
export function installMultiplexStream<Req extends IncomingMessage>(router: Router, o: ResolvedRouterOptions<Req>): void {
  const { registry, tickets, metrics, authorize, ticketRate, clientAddress, broadcasts } = o;

  router.post('/stream-ticket', express.json({ limit: 16 * 1024 }), (req: Request, res: Response) => {
    void (async () => {
      const agents = (req.body as { agents?: unknown } | undefined)?.agents;
      if (
        !Array.isArray(agents) ||
        agents.length === 0 ||
        agents.length > MAX_MULTIPLEX_AGENTS ||
        !agents.every((a) => typeof a === 'string' && a !== '' && !a.includes('\u0000')) ||
        new Set(agents).size !== agents.length
      ) {
        return sendError(res, 400, 'bad_request', `agents must be 1 to ${MAX_MULTIPLEX_AGENTS} distinct agent ids`);
      }
      for (const id of agents as string[]) {
        if (!(await checkAction(authorize, req as unknown as Req, res, 'watch', id))) return;
        if (!registry.get(id)) return sendError(res, 404, 'agent_not_found', `no agent "${id}"`);
      }
      const rate = ticketRate?.take(clientAddress(req));
      if (rate && !rate.ok) {
        metrics.rejectTicket('rate_limited');
        return sendError(res, 429, 'rate_limited', 'too many stream tickets from this address', {
          'Retry-After': String(rate.retryAfterSeconds),
        });
      }
      try {
        const issued = await tickets.issue(multiplexTarget(agents));
        metrics.ticketsIssued++;
        sendJson(res, 201, {
          ticket: issued.ticket,
          expiresAt: issued.expiresAt.toISOString(),
          streamUrl: `${req.baseUrl ?? ''}/stream?ticket=${issued.ticket}`,
        });
      } catch (err) {
        const capacity = err instanceof TicketCapacityError;
        metrics.rejectTicket(capacity ? 'ticket_capacity' : 'store_unavailable');
        if (capacity) return sendError(res, 503, 'ticket_capacity', err.message, { 'Retry-After': String(err.retryAfterSeconds) });
        sendError(res, 503, 'store_unavailable', 'the ticket store is unreachable; retry shortly', { 'Retry-After': '2' });
      }
    })().catch(() => sendError(res, 503, 'store_unavailable', 'try again shortly'));
  });

  router.get('/stream', (req: Request, res: Response) => {
    void (async () => {
      const url = req.originalUrl ?? req.url ?? '';
      const params = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
      const ticket = params.get('ticket');
      if (!ticket) return sendError(res, 400, 'ticket_missing', 'the ticket query parameter is required');
      if (!UUID.test(ticket) || params.getAll('ticket').length > 1)
        return sendError(res, 400, 'ticket_malformed', 'the ticket is not a UUID');
      const last = lastIdsOf(params);
      if (!last) return sendError(res, 400, 'bad_query', 'last must be <agent>:<non-negative integer>');
      let check: Awaited<ReturnType<typeof tickets.consume>>;
      try {
        check = await tickets.consume(ticket);
      } catch {
        return sendError(res, 503, 'store_unavailable', 'the ticket store is unreachable; retry shortly', { 'Retry-After': '2' });
      }
      if (!check.ok) return sendError(res, 401, 'ticket_invalid', 'the ticket is unknown, expired or already used');
      const agents = agentsOfMultiplexTarget(check.agentId);
      if (!agents) return sendError(res, 403, 'ticket_agent_mismatch', 'the ticket was issued for one agent');
      if (o.isShuttingDown?.()) return sendError(res, 503, 'shutting_down', 'the server is shutting down');
      writeEventStreamHead(res);
      let open = agents.length;
      const parts: ServerResponse[] = [];
      const partEnded = () => {
        if (--open === 0 && !res.writableEnded) res.end();
      };
      for (const id of agents) {
        const agent = registry.get(id);
        if (!agent) {
          res.write(tagFrames(id, `event: exit\ndata: {"reason":"not_found"}\n\n`));
          partEnded();
          continue;
        }
        const part = partOf(res, id, partEnded);
        parts.push(part);
        broadcasts.of(agent).join(part, { lastEventId: last.get(id) });
      }
      res.on('close', () => {
        for (const p of parts) if (!p.writableEnded) p.emit('close');
      });
      // A held stream never calls `next`: drop Express's chain of routing closures.
      (req as { next?: unknown }).next = undefined;
    })().catch(() => {
      if (!res.headersSent) sendError(res, 503, 'store_unavailable', 'try again shortly');
      else res.destroy();
    });
  });
  router.all('/stream-ticket', (_req, res) => sendError(res, 405, 'method_not_allowed', 'use POST'));
  router.all('/stream', (_req, res) => sendError(res, 405, 'method_not_allowed', 'use GET'));
}
