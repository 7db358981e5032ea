/**
 * The AI SDK UI message stream (v1) chunks agent-stream sends (docs/interop.md), typed here so
 * that the package needs no `ai` dependency at run time; tests validate them with `ai`'s own
 * `uiMessageChunkSchema`.
 */

/** The `finishReason`s of ai 7's `finish` chunk. */
export type AiSdkFinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'interrupted' | 'other';

export type AiSdkChunk =
  | { type: 'start'; messageId: string }
  | { type: 'finish'; finishReason?: AiSdkFinishReason; messageMetadata?: unknown }
  | { type: 'start-step' }
  | { type: 'finish-step' }
  | { type: 'reset-step' }
  | { type: 'text-start'; id: string }
  | { type: 'text-delta'; id: string; delta: string }
  | { type: 'text-end'; id: string }
  | { type: 'reasoning-start'; id: string }
  | { type: 'reasoning-delta'; id: string; delta: string }
  | { type: 'reasoning-end'; id: string }
  | { type: 'tool-input-start'; toolCallId: string; toolName: string; dynamic: true; title?: string }
  | { type: 'tool-input-available'; toolCallId: string; toolName: string; input: unknown; dynamic: true; title?: string }
  | { type: 'tool-output-available'; toolCallId: string; output: unknown; dynamic: true }
  | { type: 'tool-output-error'; toolCallId: string; errorText: string; dynamic: true }
  | { type: `data-${AiSdkDataName}`; id?: string; data: unknown; transient?: true };

/** The names of the `data-*` parts (docs/interop.md). */
export type AiSdkDataName = 'prompt' | 'status' | 'permission' | 'question' | 'file' | 'action' | 'error' | 'gap' | 'exit';

/** The UI message stream's marker of its end: sent once the agent has exited, never while it lives. */
export const AI_SDK_DONE = '[DONE]';
