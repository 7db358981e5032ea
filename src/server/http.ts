import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentRegistry } from '../agent/create-agent-registry';
import type { ManagedAgent } from '../agent/create-managed-agent';

// The HTTP vocabulary of every route: one JSON shape, one error shape, one 405, one agent lookup.

/** The error codes of docs/protocol.md §4 (plus the generic ones every route may answer). */
export type ErrorCode =
  | 'ticket_missing'
  | 'ticket_malformed'
  | 'bad_query'
  | 'ticket_invalid'
  | 'ticket_agent_mismatch'
  | 'agent_not_found'
  | 'ticket_capacity'
  | 'not_found'
  | 'method_not_allowed'
  | 'bad_request'
  | 'payload_too_large'
  | 'agent_exists'
  | 'agent_exited'
  | 'spawn_failed'
  | 'upstream_error'
  | 'shutting_down'
  | 'unauthenticated'
  | 'forbidden'
  | 'forbidden_origin'
  | 'rate_limited'
  | 'agent_limit'
  | 'not_pending'
  | 'not_supported'
  | 'upstream_failed'
  | 'store_unavailable'
  | 'internal';

/** Writes JSON `body` with `status` using only node:http, so it works with or without Express. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes `{"error":{"code","message"}}` with `status`; a no-op once headers were sent. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

/**
 * A handler answering 405 `method_not_allowed` with `Allow: allow` (mount it with `all` after a
 * path's routes).
 *
 * ## Example
 * ```ts
 * app.get('/healthz', health);
 * app.all('/healthz', methodNotAllowed('GET'));
 * ```
 */
export function methodNotAllowed(allow: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => sendError(res, 405, 'method_not_allowed', `use ${allow}`, { Allow: allow });
}

/**
 * The agent `agentId` of `registry`, or undefined after answering 404 `agent_not_found`.
 *
 * ## Example
 * ```ts
 * const agent = requireAgent(registry, req.params.agentId, res);
 * if (!agent) return;
 * ```
 */
export function requireAgent(registry: Pick<AgentRegistry, 'get'>, agentId: unknown, res: ServerResponse): ManagedAgent | undefined {
  const id = String(agentId);
  const agent = registry.get(id);
  if (!agent) sendError(res, 404, 'agent_not_found', `no agent "${id}"`);
  return agent;
}

/**
 * Opens an event stream on `res`: 200 with the SSE headers (plus `headers`), no proxy buffering,
 * Nagle off, and a raw body (an event stream ends only with the connection, so each write is one
 * plain write on the socket instead of a chunk). The one place every stream starts.
 *
 * ## Example
 * ```ts
 * writeEventStreamHead(res);
 * res.write('retry: 2000\n\n');
 * ```
 */
export function writeEventStreamHead(res: ServerResponse, headers: Record<string, string> = {}): void {
  (res as ServerResponse & { useChunkedEncodingByDefault: boolean }).useChunkedEncodingByDefault = false;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
    ...headers,
  });
  res.socket?.setNoDelay(true);
}
