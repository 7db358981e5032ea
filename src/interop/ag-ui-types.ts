/**
 * The AG-UI events and messages agent-stream sends (docs/interop.md), typed here so that the
 * package needs no AG-UI dependency at run time; tests validate them with `@ag-ui/core`'s schemas.
 */

export type AgUiMessage =
  | { id: string; role: 'user' | 'assistant'; content: string }
  | { id: string; role: 'assistant'; toolCalls: AgUiToolCall[] }
  | { id: string; role: 'reasoning'; content: string }
  | { id: string; role: 'tool'; toolCallId: string; content: string };

export interface AgUiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type AgUiEvent =
  | { type: 'RUN_STARTED'; threadId: string; runId: string }
  | { type: 'RUN_FINISHED'; threadId: string; runId: string }
  | { type: 'RUN_ERROR'; message: string; code?: string }
  | { type: 'TEXT_MESSAGE_START'; messageId: string; role: 'user' | 'assistant' }
  | { type: 'TEXT_MESSAGE_CONTENT'; messageId: string; delta: string }
  | { type: 'TEXT_MESSAGE_END'; messageId: string }
  | { type: 'REASONING_MESSAGE_START'; messageId: string; role: 'reasoning' }
  | { type: 'REASONING_MESSAGE_CONTENT'; messageId: string; delta: string }
  | { type: 'REASONING_MESSAGE_END'; messageId: string }
  | { type: 'TOOL_CALL_START'; toolCallId: string; toolCallName: string; parentMessageId: string }
  | { type: 'TOOL_CALL_ARGS'; toolCallId: string; delta: string }
  | { type: 'TOOL_CALL_END'; toolCallId: string }
  | { type: 'TOOL_CALL_RESULT'; messageId: string; toolCallId: string; content: string; role: 'tool' }
  | { type: 'MESSAGES_SNAPSHOT'; messages: AgUiMessage[] }
  | { type: 'STATE_SNAPSHOT'; snapshot: AgUiState }
  | { type: 'CUSTOM'; name: AgUiCustomName; value: unknown };

/** The names of the `CUSTOM` events (docs/interop.md). */
export type AgUiCustomName =
  | 'permission.asked'
  | 'permission.replied'
  | 'question.asked'
  | 'question.replied'
  | 'file.edited'
  | 'message.finished'
  | 'action'
  | 'gap'
  | 'agent.exit';

/** The AG-UI state of an agent: its status and the requests waiting for an answer. */
export interface AgUiState {
  status: import('../protocol/agent-event').StatusData | null;
  /** Permission and question requests asked and not answered yet, by request id. */
  pending: Record<string, import('../protocol/agent-event').PermissionData | import('../protocol/agent-event').QuestionData>;
}
