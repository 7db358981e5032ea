import type { OperatorFunction } from 'rxjs';
import type { AgentEvent } from '../protocol/agent-event';
import { ofType } from './of-type';

/**
 * Only the `error` events (session errors and failed messages, once per failure). They are
 * values, not stream errors: the agent keeps running.
 *
 * ## Example
 * ```ts
 * agent.events$.pipe(errorEvents()).subscribe((e) => alert(`${e.data.name}: ${e.data.message}`));
 * ```
 */
export function errorEvents<T extends AgentEvent>(): OperatorFunction<T, Extract<T, { type: 'error' }>> {
  return ofType<T, 'error'>('error');
}
