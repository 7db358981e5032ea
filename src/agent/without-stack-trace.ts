/** A stack frame (`    at fn (file:1:2)`, `at <anonymous>`) or a code frame line of Bun's (`12 | code`, `   ^`). */
const TRACE_LINE = /^\s+at\s+\S|^\s*\d+\s*\||^\s*\^\s*$/;

/**
 * An upstream error message without its stack trace: the lines before the first stack or code
 * frame (kilo's paths and internals stay out of what viewers see). A message with no trace is
 * returned as is; one that is all trace keeps its first line.
 *
 * ## Example
 * ```ts
 * withoutStackTrace('TypeError: x is undefined\n    at run (/$bunfs/root/kilo:1:2)'); // 'TypeError: x is undefined'
 * ```
 */
export function withoutStackTrace(message: string): string {
  const lines = message.split(/\r?\n/);
  const first = lines.findIndex((l) => TRACE_LINE.test(l));
  if (first < 0) return message;
  const kept = lines.slice(0, first).join('\n').trimEnd();
  return kept || lines[0]!.trim();
}
