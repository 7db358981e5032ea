import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './http';

/** What a request wants to do (docs/protocol.md §6). */
export type Action = 'watch' | 'act' | 'admin';

/**
 * The verdict of an {@link Authorize} hook: `true` allows; `false` answers 403 `forbidden`
 * (known caller, not allowed); `'unauthenticated'` answers 401 (no or bad credentials);
 * `{ retryAfterSeconds }` answers 429 `rate_limited` (too many failed attempts).
 */
export type AuthorizeResult = boolean | 'unauthenticated' | { retryAfterSeconds: number };

/**
 * Decides whether `req` may take `action` (on `agentId`, when the route has one). `watch` guards
 * ticket issuance, the agent list and metrics; `act` prompts, aborts and answers; `admin` stop,
 * spawn and disconnect-viewers. The stream route is not guarded: its ticket is its credential.
 * `Req` is the request type the hook reads: the router passes Express's `Request` (with whatever
 * your app's middleware added to it), the control server a plain `IncomingMessage`.
 *
 * ## Example
 * ```ts
 * // Your login middleware, in front of the router, sets req.user:
 * type User = { role: 'viewer' | 'operator' };
 * const authorize: Authorize<Request & { user?: User }> = (req, action) =>
 *   !req.user ? 'unauthenticated' : action === 'watch' || req.user.role === 'operator';
 * ```
 */
export type Authorize<Req extends IncomingMessage = IncomingMessage> = (
  req: Req,
  action: Action,
  agentId?: string,
) => AuthorizeResult | Promise<AuthorizeResult>;

/** The hook that allows everything (the default: put your own in front of a shared server). */
export const allowAll: Authorize = () => true;

/**
 * Runs `authorize` for `req` and, when it refuses, answers with the matching error (401
 * `unauthenticated`, 403 `forbidden`, 429 `rate_limited` with `Retry-After`). Resolves true when
 * the request may go on.
 */
export async function checkAction<Req extends IncomingMessage>(
  authorize: Authorize<Req>,
  req: Req,
  res: ServerResponse,
  action: Action,
  agentId?: string,
): Promise<boolean> {
  let verdict: AuthorizeResult;
  try {
    verdict = await authorize(req, action, agentId);
  } catch {
    verdict = false;
  }
  if (verdict === true) return true;
  if (verdict === 'unauthenticated')
    sendError(res, 401, 'unauthenticated', `credentials needed to ${action}`, { 'WWW-Authenticate': 'Bearer' });
  else if (verdict === false) sendError(res, 403, 'forbidden', `not allowed to ${action}`);
  else sendError(res, 429, 'rate_limited', 'too many failed attempts', { 'Retry-After': String(verdict.retryAfterSeconds) });
  return false;
}
