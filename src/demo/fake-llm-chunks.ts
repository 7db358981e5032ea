/** One tool call a scripted turn makes. */
export interface FakeLlmToolCall {
  /** kilo's tool name, e.g. `write`, `bash`, `read`. */
  name: string;
  /** The JSON arguments (`bash` needs `command`; `read`/`write` need an absolute `filePath`). */
  args: Record<string, unknown>;
  /** The call id. Default `call_<n>`. */
  id?: string;
}

/** Token counts reported in the last chunk. */
export interface FakeLlmUsage {
  prompt_tokens: number;
  completion_tokens: number;
  /** Of `completion_tokens`, how many were reasoning (sent as `completion_tokens_details.reasoning_tokens`). Default: not sent. */
  reasoning_tokens?: number;
}

/**
 * The `data:` payloads of one streamed OpenAI `chat.completion.chunk` answer: reasoning first
 * (one `delta.reasoning_content` chunk per piece, as DeepSeek and vLLM stream it), then text (one
 * chunk per piece), then the tool calls (name, then the arguments in two halves), then a last
 * chunk with the finish reason (`tool_calls` when there are tool calls, else `stop`) and usage,
 * then `[DONE]`.
 */
export function completionChunks(args: {
  id: string;
  model: string;
  pieces: string[];
  /** Reasoning pieces streamed before the text. Default none. */
  reasoning?: string[];
  toolCalls: FakeLlmToolCall[];
  usage: FakeLlmUsage;
  callIdBase: number;
}): string[] {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: object = {}) =>
    JSON.stringify({
      id: args.id,
      object: 'chat.completion.chunk',
      created,
      model: args.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...extra,
    });
  const out: string[] = [chunk({ role: 'assistant', content: '' })];
  for (const piece of args.reasoning ?? []) out.push(chunk({ reasoning_content: piece }));
  for (const piece of args.pieces) out.push(chunk({ content: piece }));
  args.toolCalls.forEach((call, index) => {
    const id = call.id ?? `call_${args.callIdBase + index}`;
    const json = JSON.stringify(call.args);
    const half = Math.ceil(json.length / 2);
    out.push(chunk({ tool_calls: [{ index, id, type: 'function', function: { name: call.name, arguments: '' } }] }));
    out.push(chunk({ tool_calls: [{ index, function: { arguments: json.slice(0, half) } }] }));
    out.push(chunk({ tool_calls: [{ index, function: { arguments: json.slice(half) } }] }));
  });
  const { reasoning_tokens, ...counts } = args.usage;
  const usage = {
    ...counts,
    total_tokens: counts.prompt_tokens + counts.completion_tokens,
    ...(reasoning_tokens === undefined ? {} : { completion_tokens_details: { reasoning_tokens } }),
  };
  out.push(chunk({}, args.toolCalls.length > 0 ? 'tool_calls' : 'stop', { usage }));
  out.push('[DONE]');
  return out;
}

/**
 * How a string `text` or `reasoning` is cut into streamed chunks: `chars`, pieces of `chunkSize`
 * characters; `word`, one word per chunk with the whitespace after it (`'Hello there, world!'` →
 * `['Hello ', 'there, ', 'world!']`), as a real LLM streams tokens.
 */
export type FakeLlmChunkBy = 'chars' | 'word';

/** The values {@link FakeLlmChunkBy} takes. */
export const FAKE_LLM_CHUNK_BY: readonly FakeLlmChunkBy[] = ['chars', 'word'];

/**
 * Splits text into streamed pieces: with `by` `chars` (the default), pieces of at most `size`
 * characters (never inside a surrogate pair); with `word`, one word each with its trailing
 * whitespace (leading whitespace is a piece of its own). The pieces always join back to `text`.
 * An array is taken as the exact pieces.
 */
export function splitText(text: string | string[], size: number, by: FakeLlmChunkBy = 'chars'): string[] {
  if (Array.isArray(text)) return text;
  if (by === 'word') return text.match(/^\s+|\S+\s*/g) ?? [];
  const chars = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces;
}
