import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  completionChunks,
  FAKE_LLM_CHUNK_BY,
  splitText,
  type FakeLlmChunkBy,
  type FakeLlmToolCall,
  type FakeLlmUsage,
} from './fake-llm-chunks';

export type { FakeLlmChunkBy, FakeLlmToolCall, FakeLlmUsage } from './fake-llm-chunks';

/** One scripted answer. A turn with neither text nor tool calls answers an empty text. */
export interface FakeLlmTurn {
  /**
   * Reasoning streamed before the text and tool calls, as `choices[0].delta.reasoning_content`
   * deltas (DeepSeek/vLLM style): a string (cut as `chunkBy` says) or the exact pieces.
   * kilo's `@ai-sdk/openai-compatible` provider turns them into a `reasoning` part.
   */
  reasoning?: string | string[];
  /** Streamed text: a string (cut as `chunkBy` says) or the exact pieces. */
  text?: string | string[];
  /** How this turn's string `text` and `reasoning` are cut. Default: the server's `chunkBy`. */
  chunkBy?: FakeLlmChunkBy;
  /** Tool calls made after the text (finish_reason `tool_calls`). */
  toolCalls?: FakeLlmToolCall[];
  /** Answer with this HTTP status and an OpenAI error JSON body instead of a stream (e.g. 500, 400). */
  status?: number;
  /** The error message of a `status` answer. Default `fake LLM error <status>`. */
  errorMessage?: string;
  /** Pause before each chunk (a slow stream). Default: the server's `chunkDelayMs`. */
  chunkDelayMs?: number;
  /** How many requests this turn answers (e.g. a 500 and its retries). Default 1. */
  times?: number;
  /** Token counts of the last chunk. Default `{prompt_tokens: 100, completion_tokens: 20}`. */
  usage?: FakeLlmUsage;
}

export interface FakeLlmOptions {
  /** The script: each agent request (one with `tools`) plays the next turn. */
  turns: FakeLlmTurn[];
  /** The answer to requests without tools (kilo's title model); they consume no turn. Default `Fake title`. */
  titleText?: string;
  /** The answer once the script ran out. Default `Done.` */
  finalText?: string;
  /** Default pause before each chunk. Default 0. */
  chunkDelayMs?: number;
  /** Characters per chunk when a string is cut by `chars`. Default 8. */
  chunkSize?: number;
  /**
   * How string `text` and `reasoning` are cut into chunks: `chars` (`chunkSize` characters each)
   * or `word` (one word per chunk with its trailing whitespace, as a real LLM streams tokens).
   * Default `chars`.
   */
  chunkBy?: FakeLlmChunkBy;
  /** The model name in the chunks. Default `fake-model`. */
  model?: string;
}

/** One request the fake LLM received, in order. */
export interface FakeLlmRequest {
  /** `turn`: played script turn `turnIndex`; `title`: a request without tools; `final`: after the script ran out. */
  kind: 'turn' | 'title' | 'final';
  turnIndex?: number;
  /** The parsed JSON body (model, messages, tools, stream…). */
  body: Record<string, unknown>;
}

export interface FakeLlm {
  /** `http://127.0.0.1:P/v1`: the provider `baseURL`. */
  readonly baseURL: string;
  /** Everything received on `POST /v1/chat/completions`, in order. */
  readonly requests: FakeLlmRequest[];
  /** Script turns not played yet (a turn with `times: n` counts until its n-th request). */
  remainingTurns(): number;
  /** Closes the server, ends open streams and clears timers. */
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

function readBody(req: IncomingMessage, limit = 16 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) return reject(new Error('body too large'));
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts an OpenAI-compatible fake LLM on 127.0.0.1 (free port): `POST /v1/chat/completions`
 * answers streamed `chat.completion.chunk` SSE from a script of turns (reasoning, text, tool
 * calls, error statuses, slow streams), cut in fixed-size pieces or one word per chunk. Requests
 * without `tools` (kilo's session title request) get `titleText` and consume no turn; when the
 * script runs out, requests get `finalText`. The CLI's offline `--spawn` mode and
 * `npm run record-fixture` script it; tests get it from `agent-stream/testing`.
 *
 * ## Example
 * ```ts
 * const llm = await createFakeLlm({ turns: [
 *   { toolCalls: [{ name: 'bash', args: { command: 'echo hi', description: 'say hi' } }] },
 *   { text: 'All done, the file says hi.', chunkBy: 'word', chunkDelayMs: 30 }, // 'All ', 'done, ', …
 * ] });
 * const kilo = await launchKilo({ config: kiloConfigFor({ baseURL: llm.baseURL }) });
 * // … later
 * await llm.close();
 * ```
 */
export async function createFakeLlm(options: FakeLlmOptions): Promise<FakeLlm> {
  if (!options || !Array.isArray(options.turns)) throw new TypeError('createFakeLlm: turns must be an array');
  const chunkSize = options.chunkSize ?? 8;
  const defaultDelay = options.chunkDelayMs ?? 0;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  if (!Number.isFinite(defaultDelay) || defaultDelay < 0) throw new RangeError(`chunkDelayMs must be >= 0, got ${defaultDelay}`);
  const chunkBy = options.chunkBy ?? 'chars';
  if (!FAKE_LLM_CHUNK_BY.includes(chunkBy))
    throw new RangeError(`chunkBy must be one of ${FAKE_LLM_CHUNK_BY.join(', ')}, got ${String(chunkBy)}`);
  for (const [i, t] of options.turns.entries()) {
    if (t.status !== undefined && (!Number.isInteger(t.status) || t.status < 200 || t.status > 599))
      throw new RangeError(`turns[${i}].status must be an HTTP status`);
    if (t.times !== undefined && (!Number.isInteger(t.times) || t.times < 1))
      throw new RangeError(`turns[${i}].times must be a positive integer`);
    if (t.chunkBy !== undefined && !FAKE_LLM_CHUNK_BY.includes(t.chunkBy))
      throw new RangeError(`turns[${i}].chunkBy must be one of ${FAKE_LLM_CHUNK_BY.join(', ')}`);
    if (t.chunkDelayMs !== undefined && (!Number.isFinite(t.chunkDelayMs) || t.chunkDelayMs < 0))
      throw new RangeError(`turns[${i}].chunkDelayMs must be >= 0`);
    for (const k of ['text', 'reasoning'] as const) {
      const v = t[k];
      if (v !== undefined && typeof v !== 'string' && !(Array.isArray(v) && v.every((p) => typeof p === 'string')))
        throw new TypeError(`turns[${i}].${k} must be a string or an array of strings`);
    }
  }
  const model = options.model ?? 'fake-model';
  const requests: FakeLlmRequest[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let turn = 0;
  let usedOfTurn = 0;
  let calls = 0;
  let completions = 0;

  const nextTurn = (): { turn: FakeLlmTurn; index: number } | undefined => {
    const t = options.turns[turn];
    if (!t) return undefined;
    const index = turn;
    if (++usedOfTurn >= (t.times ?? 1)) {
      turn++;
      usedOfTurn = 0;
    }
    return { turn: t, index };
  };

  const stream = (res: ServerResponse, t: FakeLlmTurn) => {
    const by = t.chunkBy ?? chunkBy;
    const pieces = t.text === undefined ? [] : splitText(t.text, chunkSize, by);
    const frames = completionChunks({
      id: `chatcmpl-fake-${++completions}`,
      model,
      pieces,
      reasoning: t.reasoning === undefined ? [] : splitText(t.reasoning, chunkSize, by),
      toolCalls: t.toolCalls ?? [],
      usage: t.usage ?? { prompt_tokens: 100, completion_tokens: 20 },
      callIdBase: calls + 1,
    });
    calls += t.toolCalls?.length ?? 0;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const delay = t.chunkDelayMs ?? defaultDelay;
    let i = 0;
    const send = () => {
      if (res.destroyed) return;
      res.write(`data: ${frames[i++]}\n\n`);
      if (i >= frames.length) return void res.end();
      later(send);
    };
    const later = (fn: () => void) => {
      if (delay === 0) return void setImmediate(fn);
      const timer = setTimeout(() => (timers.delete(timer), fn()), delay);
      timers.add(timer);
    };
    later(send);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: model, object: 'model' }] });
    if (path !== '/v1/chat/completions') return json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
    if (req.method !== 'POST') return json(res, 405, { error: { message: 'use POST' } });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      return json(res, 400, { error: { message: `bad JSON body: ${(err as Error).message}`, type: 'invalid_request_error' } });
    }
    const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
    if (!hasTools) {
      requests.push({ kind: 'title', body });
      return stream(res, { text: options.titleText ?? 'Fake title' });
    }
    const next = nextTurn();
    if (!next) {
      requests.push({ kind: 'final', body });
      return stream(res, { text: options.finalText ?? 'Done.' });
    }
    requests.push({ kind: 'turn', turnIndex: next.index, body });
    const t = next.turn;
    if (t.status !== undefined && t.status >= 300) {
      const message = t.errorMessage ?? `fake LLM error ${t.status}`;
      return json(res, t.status, { error: { message, type: t.status >= 500 ? 'server_error' : 'invalid_request_error', code: t.status } });
    }
    stream(res, t);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(err) } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    remainingTurns: () => options.turns.length - turn,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
