import type { FoldedView } from '../protocol/fold-agent-events';
import type { AgUiMessage, AgUiToolCall } from './ag-ui-types';
import { retainedMessages, toolArguments } from './retained-messages';

/**
 * The id of the AG-UI tool message that carries the result of call `callId`.
 *
 * ## Example
 * ```ts
 * agUiResultId('call_1'); // 'result-call_1'
 * ```
 */
export const agUiResultId = (callId: string): string => `result-${callId}`;

/**
 * The complete AG-UI message list of a folded view (the content of a `MESSAGES_SNAPSHOT`): each
 * text part a `user`/`assistant` message and each reasoning part a `reasoning` message (id = the
 * part id); the tool calls of a kilo message in one `assistant` message whose id is kilo's message
 * id; each finished call's result a `tool` message `result-<call id>` after it.
 *
 * ## Example
 * ```ts
 * const view = createFoldedView();
 * for (const e of history.since().events) foldAgentEvent(view, e);
 * const snapshot = { type: 'MESSAGES_SNAPSHOT', messages: agUiMessagesOf(view) };
 * ```
 */
export function agUiMessagesOf(view: FoldedView): AgUiMessage[] {
  const out: AgUiMessage[] = [];
  for (const m of retainedMessages(view)) {
    let holder: { id: string; role: 'assistant'; toolCalls: AgUiToolCall[] } | undefined;
    // Results go right after the holder (and the results before them), where AG-UI's own event
    // application puts a TOOL_CALL_RESULT.
    let resultAt = 0;
    for (const item of m.items) {
      if (item.kind === 'tool') {
        const t = item.tool;
        if (!holder) {
          out.push((holder = { id: m.messageId, role: 'assistant', toolCalls: [] }));
          resultAt = out.length;
        }
        holder.toolCalls.push({ id: t.callId, type: 'function', function: { name: t.tool, arguments: toolArguments(t) } });
        if (t.status === 'completed' || t.status === 'error')
          out.splice(resultAt++, 0, { id: agUiResultId(t.callId), role: 'tool', toolCallId: t.callId, content: resultContent(t) });
        continue;
      }
      const { partId, text, role } = item.part;
      out.push(item.kind === 'reasoning' ? { id: partId, role: 'reasoning', content: text } : { id: partId, role, content: text });
    }
  }
  return out;
}

/**
 * What a finished call's `TOOL_CALL_RESULT` carries: its output, or its error.
 *
 * ## Example
 * ```ts
 * resultContent({ error: 'exit code 1' }); // 'exit code 1'
 * ```
 */
export function resultContent(t: { output?: string; error?: string }): string {
  return t.output ?? t.error ?? '';
}
