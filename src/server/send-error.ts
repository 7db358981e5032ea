import type { Response } from 'express';

/** The error codes of SPEC §4 (plus the generic ones every route may answer). */
export type ErrorCode =
  | 'ticket_missing' | 'ticket_malformed' | 'bad_query' | 'ticket_invalid' | 'ticket_agent_mismatch'
  | 'agent_not_found' | 'ticket_capacity' | 'not_found' | 'method_not_allowed' | 'bad_request'
  | 'agent_exists' | 'agent_exited' | 'spawn_failed' | 'upstream_error' | 'shutting_down' | 'internal';

/** Writes `{"error":{"code","message"}}` with `status`; a no-op once headers were sent. */
export function sendError(res: Response, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.status(status).set(headers).json({ error: { code, message } });
}
