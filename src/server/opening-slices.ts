/**
 * Cuts an SSE text into pieces of about `size` characters, each ending at a frame's end (a blank
 * line), so that a piece never splits a frame nor a UTF-16 surrogate pair; a longer frame is one piece.
 *
 * ## Example
 * ```ts
 * openingSlices('data: 1\n\ndata: 2\n\n', 8); // ['data: 1\n\n', 'data: 2\n\n']
 * ```
 */
export function openingSlices(text: string, size: number): string[] {
  const out: string[] = [];
  let from = 0;
  while (from < text.length) {
    const end = text.indexOf('\n\n', from + Math.max(1, size) - 2);
    const to = end < 0 ? text.length : end + 2;
    out.push(text.slice(from, to));
    from = to;
  }
  return out;
}
