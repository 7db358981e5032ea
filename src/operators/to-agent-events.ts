import { defer, mergeMap, type OperatorFunction } from 'rxjs';
import type { AgentEvent } from '../protocol/agent-event';
import { createAgentEventMapper, type AgentEventMapperOptions } from '../agent/create-agent-event-mapper';
import type { KiloEvent } from '../kilo/kilo-event-types';

/**
 * Maps kilo serve events to browser-facing agent events (docs/protocol.md §3), with fresh state per
 * subscription. Events of other sessions are dropped; `session.idle` is a turn end, not an exit.
 *
 * ## Example
 * ```ts
 * kiloEvents(url).pipe(toAgentEvents({ agentId: 'a1', sessionId: 'ses_1' }), toolCalls());
 * ```
 */
export function toAgentEvents(options: AgentEventMapperOptions): OperatorFunction<KiloEvent, AgentEvent> {
  return (source) =>
    defer(() => {
      const mapper = createAgentEventMapper(options);
      return source.pipe(mergeMap((e) => mapper.map(e)));
    });
}
