import type { ServerResponse } from 'node:http';

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
