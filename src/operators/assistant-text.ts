import { filter, type OperatorFunction } from 'rxjs';
import type { AgentEvent } from '../protocol/agent-event';

/**
 * Only the assistant's text updates (not the user's prompt, not reasoning). Each carries either
 * the whole `text` of its part so far (replace) or a `delta` (append): fold them with
 * `foldAgentEvent`.
 *
 * ## Example
 * ```ts
 * agent.events$.pipe(assistantText()).subscribe((e) => foldAgentEvent(view, e)); // view.parts[partId].text: the whole text
 * ```
 */
export function assistantText<T extends AgentEvent>(): OperatorFunction<T, Extract<T, { type: 'text' }>> {
  return filter((e: T): e is Extract<T, { type: 'text' }> => e.type === 'text' && e.data.role === 'assistant');
}
