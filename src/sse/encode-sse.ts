import { SseEncodeError } from './sse-encode-error';

/** One SSE message. `data` is sent as-is; a multi-line string becomes several `data:` lines. */
export interface SseMessage {
  id?: string | number;
  event?: string;
  data: string;
}

const LINE_BREAK = /\r\n|\r|\n/;

function field(name: 'id' | 'event', value: string): string {
  if (value.includes('\n') || value.includes('\r')) {
    throw new SseEncodeError('invalid_field', `SSE "${name}" must not contain CR or LF`);
  }
  if (name === 'id' && value.includes('\u0000')) throw new SseEncodeError('invalid_field', 'SSE "id" must not contain NUL');
  return `${name}: ${value}\n`;
}

/**
 * Encodes one SSE message to its exact wire text: `id: …\nevent: …\ndata: …\n\n`.
 * Throws {@link SseEncodeError} when `id` or `event` holds CR or LF.
 *
 * ## Example
 * ```ts
 * encodeSseMessage({ id: 7, event: 'file', data: '{"path":"a.ts"}' });
 * // 'id: 7\nevent: file\ndata: {"path":"a.ts"}\n\n'
 * ```
 */
export function encodeSseMessage(message: SseMessage): string {
  let out = '';
  if (message.id !== undefined) out += field('id', String(message.id));
  if (message.event !== undefined) out += field('event', message.event);
  const data = message.data;
  if (!LINE_BREAK.test(data)) return `${out}data: ${data}\n\n`;
  for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A comment line (`: text\n\n`), e.g. the keepalive; each line of `text` becomes a comment. */
export function encodeSseComment(text: string): string {
  return `${text
    .split(LINE_BREAK)
    .map((l) => `: ${l}`)
    .join('\n')}\n\n`;
}

/** The `retry: ms` field that tells EventSource how long to wait before reconnecting. */
export function encodeSseRetry(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new SseEncodeError('invalid_retry', `retry must be a non-negative integer, got ${ms}`);
  return `retry: ${ms}\n\n`;
}

/** The keepalive comment frame, `: keepalive\n\n`. */
export const SSE_KEEPALIVE = ': keepalive\n\n';
