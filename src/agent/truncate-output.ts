/** 64 KiB: the most tool output one event carries (docs/protocol.md §3). */
export const MAX_TOOL_OUTPUT_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const utf8Length = (text: string) => encoder.encode(text).byteLength;

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes at a character boundary (never half a code
 * point, never a lone surrogate).
 */
export function truncateUtf8(text: string, maxBytes = MAX_TOOL_OUTPUT_BYTES): { text: string; truncated: boolean } {
  // Fast path: every UTF-16 unit is at most 3 UTF-8 bytes. (No `Buffer`: this runs in browsers too.)
  if (text.length * 3 <= maxBytes || utf8Length(text) <= maxBytes) return { text, truncated: false };
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += cp > 0xffff ? 2 : 1;
  }
  return { text: text.slice(0, i), truncated: true };
}
