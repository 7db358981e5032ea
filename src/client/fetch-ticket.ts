import { AgentStreamClientError } from './agent-stream-client-error';
import type { FetchLike, StreamTicket } from './client-options';

const retryAfterMs = (header: string | null): number | undefined => {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
};

/** The `{error: {code, message}}` of an error answer (docs/protocol.md §4), as far as it is there. */
const errorOf = async (response: Response): Promise<{ code?: string; message: string }> => {
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof body?.error?.code === 'string' ? body.error.code : undefined;
    const message = typeof body?.error?.message === 'string' ? body.error.message : `HTTP ${response.status}`;
    return { code, message };
  } catch {
    return { message: `HTTP ${response.status}` }; // not JSON (e.g. a proxy's page)
  }
};

/**
 * POSTs to the ticket endpoint and returns the ticket. Throws {@link AgentStreamClientError}:
 * `agent_not_found` on a 404 whose body says `agent_not_found` (the agent is gone: final for the
 * client), `ticket_failed` on any other status, a 404 without that code included (e.g. a proxy's
 * page while the server restarts: retried), `ticket_malformed` on a bad body.
 *
 * ## Example
 * ```ts
 * const { ticket, streamUrl } = await fetchTicket(fetch, '/agents/demo/stream-ticket');
 * ```
 */
export async function fetchTicket(
  fetchImpl: FetchLike,
  ticketUrl: string,
  init: { signal?: AbortSignal; withCredentials?: boolean } = {},
): Promise<StreamTicket> {
  const response = await fetchImpl(ticketUrl, {
    method: 'POST',
    headers: { accept: 'application/json' },
    credentials: init.withCredentials ? 'include' : 'same-origin',
    signal: init.signal,
  });
  if (response.status < 200 || response.status > 299) {
    const { code, message } = await errorOf(response);
    if (response.status === 404 && code === 'agent_not_found') throw new AgentStreamClientError('agent_not_found', message, 404);
    const wait = retryAfterMs(response.headers?.get?.('retry-after') ?? null);
    throw new AgentStreamClientError('ticket_failed', message, response.status, wait);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (err) {
    throw new AgentStreamClientError('ticket_malformed', 'ticket response is not JSON', response.status, undefined, err);
  }
  const t = body as Partial<StreamTicket> | null;
  if (!t || typeof t.ticket !== 'string' || t.ticket === '') {
    throw new AgentStreamClientError('ticket_malformed', 'ticket response has no ticket', response.status);
  }
  if (t.streamUrl !== undefined && typeof t.streamUrl !== 'string') {
    throw new AgentStreamClientError('ticket_malformed', 'ticket response has a bad streamUrl', response.status);
  }
  return { ticket: t.ticket, expiresAt: t.expiresAt, streamUrl: t.streamUrl };
}
