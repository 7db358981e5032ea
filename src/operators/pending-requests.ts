import { filter, type OperatorFunction } from 'rxjs';
import type { AgentEvent } from '../protocol/agent-event';

type Request<T extends AgentEvent> = Extract<T, { type: 'permission' | 'question' }>;

/**
 * Only the requests kilo is waiting on: `permission` and `question` events in state `asked`
 * (their later `replied` state is left out: follow it with `ofType('permission', 'question')`).
 *
 * ## Example
 * ```ts
 * agent.events$.pipe(pendingRequests()).subscribe((e) => notify(`${agent.id} is waiting: ${e.type} ${e.data.requestId}`));
 * ```
 */
export function pendingRequests<T extends AgentEvent>(): OperatorFunction<T, Request<T>> {
  return filter((e: T): e is Request<T> => (e.type === 'permission' || e.type === 'question') && e.data.state === 'asked');
}
