import type { OperatorFunction } from 'rxjs';
import type { AgentEvent } from '../protocol/agent-event';
import { ofType } from './of-type';

/**
 * Only the `action` events: who prompted, stopped or answered the agent through agent-stream.
 *
 * ## Example
 * ```ts
 * agent.events$.pipe(actionsTaken()).subscribe((e) => audit.write(`${e.data.at} ${e.data.by} ${e.data.kind}`));
 * ```
 */
export function actionsTaken<T extends AgentEvent>(): OperatorFunction<T, Extract<T, { type: 'action' }>> {
  return ofType<T, 'action'>('action');
}
