import { AgentStreamClientError } from './agent-stream-client-error';
import type { FetchLike, StreamTicket } from './client-options';

const retryAfterMs = (header: string | null): number | undefined => {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
};

const errorMessageOf = async (response: Response): Promise<string> => {
  try {
    const body = (await response.json()) as { error?: { message?: unknown } };
    if (typeof body?.error?.message === 'string') return body.error.message;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${response.status}`;
};

/**
 * POSTs to the ticket endpoint and returns the ticket. Throws {@link AgentStreamClientError}:
 * `agent_not_found` on 404, `ticket_failed` on other statuses, `ticket_malformed` on a bad body.
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
  if (response.status === 404) {
    throw new AgentStreamClientError('agent_not_found', await errorMessageOf(response), 404);
  }
  if (response.status < 200 || response.status > 299) {
    const wait = retryAfterMs(response.headers?.get?.('retry-after') ?? null);
    throw new AgentStreamClientError('ticket_failed', await errorMessageOf(response), response.status, wait);
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
