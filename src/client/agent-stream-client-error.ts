/** Why the browser client gave up (or could not get a ticket). */
export type AgentStreamClientErrorCode =
  /** The ticket endpoint answered 404 `agent_not_found`: the agent is gone. Never retried. */
  | 'agent_not_found'
  /** The ticket endpoint answered another non-2xx status (or could not be reached). Retried. */
  | 'ticket_failed'
  /** The ticket endpoint answered 2xx with a body that is not `{ticket, ...}`. */
  | 'ticket_malformed'
  /** The stream broke (or never opened) and a new ticket is needed. */
  | 'stream_error'
  /** `maxRetries` consecutive attempts failed (only when you set a bound; the default is none). */
  | 'retries_exhausted';

/** Typed error of the browser client; `status` is the HTTP status when one was seen. */
export class AgentStreamClientError extends Error {
  override readonly name = 'AgentStreamClientError';
  constructor(
    readonly code: AgentStreamClientErrorCode,
    message: string,
    readonly status?: number,
    /** Milliseconds the server asked to wait (`Retry-After`), when it did. */
    readonly retryAfterMs?: number,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
