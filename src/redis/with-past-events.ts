import { Observable, filter } from 'rxjs';
import type { ManagedAgent } from '../agent/create-managed-agent';
import type { SequencedAgentEvent } from '../protocol/agent-event';

/**
 * `agent`, whose `events$` start with the events it already gave out (those its history
 * retains), then go on live without a gap or a repeat: for an agent started before a cluster
 * took it (a spawned agent is registered once its kilo is up and prompted). Everything else is
 * the agent's own.
 *
 * ## Example
 * ```ts
 * const owner = await startAgentOwner({ …, createUpstream: () => withPastEvents(spawned.agent) });
 * ```
 */
export function withPastEvents(agent: ManagedAgent): ManagedAgent {
  const events$ = new Observable<SequencedAgentEvent>((subscriber) => {
    const past = [...agent.history.entries()].map((e) => e.event);
    const last = agent.history.latestSeq;
    for (const e of past) subscriber.next(e);
    return agent.events$.pipe(filter((e) => e.seq > last)).subscribe(subscriber);
  });
  return Object.create(agent, { events$: { value: events$ } }) as ManagedAgent;
}
