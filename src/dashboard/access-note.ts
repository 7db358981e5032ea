import type { AgentListAccess } from './use-agent-list';

/** What the dashboard was trying to do when the server refused it (docs/protocol.md §6). */
export type DashboardAction = 'watch' | 'act' | 'admin';

/** The note shown while the page is not signed in (401 `unauthenticated`). */
export const SIGN_IN_NOTE = 'Sign in: open the link with #token=… that agent-stream printed when it started';

/**
 * The note the dashboard shows for a 401 or 403 from the server: how to sign in (401), that a
 * watch token may only watch (403 `forbidden` on an `act` or `admin` request), that the
 * credentials may not watch (403 `forbidden` on `watch`), or that the server refuses the address
 * the page was opened by (403 `forbidden_origin`).
 *
 * ## Example
 * ```ts
 * accessNoteOf({ status: 403, kind: 'forbidden', code: 'forbidden', message: 'not allowed to admin' }, 'admin');
 * // → 'Not allowed: this token may only watch'
 * ```
 */
export function accessNoteOf(access: AgentListAccess, action: DashboardAction = 'watch'): string {
  if (access.status === 401) return SIGN_IN_NOTE;
  if (access.code === 'forbidden_origin') {
    return 'Refused: this server does not accept requests from this address (forbidden_origin); open it by the address it printed, or start it with --allow-host / --allow-origin';
  }
  if (action !== 'watch') return 'Not allowed: this token may only watch';
  return 'Not allowed: these credentials may not watch the agents here (403)';
}
