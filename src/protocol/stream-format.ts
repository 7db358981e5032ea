/**
 * The wire formats of `GET /agents/:agentId/stream` (docs/interop.md): `native` (docs/protocol.md),
 * `ag-ui` (AG-UI events) and `ai-sdk` (the AI SDK UI message stream, v1).
 */
export type StreamFormat = 'native' | 'ag-ui' | 'ai-sdk';

/** Every stream format, the default first. */
export const STREAM_FORMATS: readonly StreamFormat[] = Object.freeze(['native', 'ag-ui', 'ai-sdk'] as StreamFormat[]);

/**
 * True when `name` is one of {@link STREAM_FORMATS}.
 *
 * ## Example
 * ```ts
 * isStreamFormat('ag-ui'); // true
 * isStreamFormat('xml'); // false
 * ```
 */
export function isStreamFormat(name: string): name is StreamFormat {
  return (STREAM_FORMATS as readonly string[]).includes(name);
}

/**
 * The agent-event type of an assistant message's completion (its info: finish, tokens, cost).
 * One constant, so code outside the protocol does not spell the name.
 */
export const MESSAGE_INFO_TYPE = 'message-info' as const;
