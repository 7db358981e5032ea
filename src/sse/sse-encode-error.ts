/** Why a value cannot be put on the SSE wire. */
export type SseEncodeErrorCode = 'invalid_field' | 'invalid_retry';

/** Thrown by the SSE encoders when a field would break framing (CR or LF in `id`/`event`). */
export class SseEncodeError extends Error {
  override readonly name = 'SseEncodeError';
  constructor(
    readonly code: SseEncodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}
