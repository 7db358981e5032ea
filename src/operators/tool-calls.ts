import type { OperatorFunction } from 'rxjs';
import type { AgentEvent } from '../protocol/agent-event';
import { ofType } from './of-type';

/**
 * Only the tool-call events (pending → running → completed / error).
 *
 * ## Example
 * ```ts
 * agent.events$.pipe(toolCalls()).subscribe((e) => print(e.data.tool, e.data.status));
 * ```
 */
export function toolCalls<T extends AgentEvent>(): OperatorFunction<T, Extract<T, { type: 'tool' }>> {
  return ofType<T, 'tool'>('tool');
}
