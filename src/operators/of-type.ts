import { filter, type OperatorFunction } from 'rxjs';
import type { AgentEvent } from '../protocol/agent-event';

/**
 * Keeps only the events whose `type` is one of `types`, narrowing the element type.
 *
 * ## Example
 * ```ts
 * agent.events$.pipe(ofType('tool', 'file')).subscribe((e) => {
 *   if (e.type === 'tool') e.data.callId; // typed as ToolData
 * });
 * ```
 */
export function ofType<T extends AgentEvent, K extends T['type']>(...types: K[]): OperatorFunction<T, Extract<T, { type: K }>> {
  const wanted = new Set<string>(types);
  return filter((e: T): e is Extract<T, { type: K }> => wanted.has(e.type));
}
