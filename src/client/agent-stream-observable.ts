import { Observable } from 'rxjs';
import { AgentStreamClientError } from './agent-stream-client-error';
import type { AgentStreamClientOptions, ClientAgentEvent } from './client-options';
import { createAgentStreamClient } from './create-agent-stream-client';

/** Options of {@link agentStream$}: the client's, without `onEvent`. */
export type AgentStreamObservableOptions = Omit<AgentStreamClientOptions, 'onEvent'>;

/**
 * The events of one agent as a cold Observable: each subscription runs its own client. It
 * completes after `exit`, errors with an {@link AgentStreamClientError} when the client fails
 * (the agent is gone, `agent_not_found`, or a `maxRetries` you set ran out: by default it keeps
 * retrying through any outage), and unsubscribing closes the client.
 *
 * ## Example
 * ```ts
 * agentStream$({ agentId: 'demo' })
 *   .pipe(filter((e) => e.type === 'tool'))
 *   .subscribe({ next: (e) => showTool(e), error: (err) => showGone(err.code) });
 * ```
 */
export function agentStream$(options: AgentStreamObservableOptions): Observable<ClientAgentEvent> {
  return new Observable<ClientAgentEvent>((subscriber) => {
    const client = createAgentStreamClient({
      ...options,
      onEvent: (event) => subscriber.next(event),
      onState: (state, info) => {
        options.onState?.(state, info);
        if (state === 'exited') subscriber.complete();
        if (state === 'failed') {
          subscriber.error(info.error ?? new AgentStreamClientError('retries_exhausted', 'the agent stream failed'));
        }
      },
    });
    return () => client.close();
  });
}
