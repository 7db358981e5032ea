import type { OperatorFunction } from 'rxjs';
import type { AgentEvent } from '../protocol/agent-event';
import { ofType } from './of-type';

/**
 * Only the file-edit events.
 *
 * ## Example
 * ```ts
 * agent.events$.pipe(fileEdits()).subscribe((e) => print('edited', e.data.path));
 * ```
 */
export function fileEdits<T extends AgentEvent>(): OperatorFunction<T, Extract<T, { type: 'file' }>> {
  return ofType<T, 'file'>('file');
}
