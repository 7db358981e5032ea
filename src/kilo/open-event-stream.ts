import http from 'node:http';
import https from 'node:https';
import { createParser } from 'eventsource-parser';

/** The parts of a `fetch` Response an event stream reads. */
export interface FetchLikeResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }> } } | null;
}

/** A `fetch` to read the stream with instead of `node:http` (e.g. through a proxy, or a fake in tests). */
export type FetchLike = (url: string | URL, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<FetchLikeResponse>;

/** Why the stream ended: a message, and the HTTP status when the answer was not a stream. */
export interface EventStreamError {
  message: string;
  code?: number;
}

export interface EventStreamHandlers {
  /** The answer is a 200 event stream. */
  onOpen(): void;
  /** The `data` of one unnamed (or `message`) event, as `EventSource`'s `onmessage` gets it. */
  onData(data: string): void;
  /** The stream failed or ended; called once, and nothing is called after it. */
  onError(error: EventStreamError): void;
}

/** The open stream: `close()` aborts it (no handler is called after). */
export interface EventStream {
  close(): void;
}

const notAStream = (status: number, type: string | null | undefined): EventStreamError | undefined => {
  if (status !== 200) return { message: `Non-200 status code (${status})`, code: status };
  if (!(type ?? '').startsWith('text/event-stream')) return { message: 'Invalid content type, expected "text/event-stream"', code: status };
  return undefined;
};

/**
 * Opens one SSE stream (`GET url`, `Accept: text/event-stream`) and hands on each message's data.
 * It reads with `node:http`/`node:https` straight off the socket (one `data` event per read, no
 * web streams, no `Event` objects per message) into `eventsource-parser`, or with `fetch` when one
 * is given. Messages follow `EventSource`'s `onmessage`: data lines joined with LF, LF/CRLF/CR line
 * ends cut anywhere, a leading BOM skipped, comments, `id:`, `retry:` and events named other than
 * `message` left out. A non-200
 * answer, another content type, a socket error or the end of the body is `onError`; there is no
 * reconnect here (the caller decides).
 *
 * ## Example
 * ```ts
 * const stream = openEventStream(new URL('http://127.0.0.1:4096/event'), { headers: {} }, {
 *   onOpen: () => logger.info('open'),
 *   onData: (data) => events.push(JSON.parse(data)),
 *   onError: (e) => logger.warn('lost', e.message),
 * });
 * stream.close();
 * ```
 */
export function openEventStream(
  url: URL,
  options: { headers?: Record<string, string>; fetch?: FetchLike },
  handlers: EventStreamHandlers,
): EventStream {
  let done = false;
  let stop = () => {};
  const headers = { Accept: 'text/event-stream', 'Cache-Control': 'no-cache', ...options.headers };
  const fail = (error: EventStreamError) => {
    if (done) return;
    done = true;
    stop();
    handlers.onError(error);
  };
  const parser = createParser({
    // As `onmessage`: an event named other than `message` is not a message.
    onEvent: ({ event, data }) => {
      if (!done && (event === undefined || event === 'message')) handlers.onData(data);
    },
    // Unknown fields and bad `retry:` values carry nothing for us (EventSource ignores them too).
  });
  let first = true;
  const onData = (chunk: string) => {
    // A decoded body keeps its BOM as U+FEFF (eventsource-parser 3 looks for the UTF-8 bytes).
    if (first && chunk !== '') {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    parser.feed(chunk);
  };
  const open = (status: number, type: string | null | undefined) => {
    const bad = notAStream(status, type);
    if (bad) fail(bad);
    else if (!done) handlers.onOpen();
    return !done;
  };

  if (options.fetch) {
    const abort = new AbortController();
    stop = () => abort.abort();
    const read = async (res: FetchLikeResponse) => {
      if (!open(res.status, res.headers.get('content-type'))) return;
      if (!res.body) return fail({ message: 'Invalid response body, expected a web ReadableStream', code: res.status });
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done: end, value } = await reader.read();
        if (done) return;
        if (value) onData(decoder.decode(value, { stream: true }));
        if (end) return fail({ message: 'the stream ended' });
      }
    };
    options
      .fetch(url, { headers, signal: abort.signal })
      .then(read)
      .catch((err: unknown) => fail({ message: err instanceof Error ? err.message : String(err) }));
  } else {
    const req = (url.protocol === 'https:' ? https : http).get(url, { headers, agent: false }, (res) => {
      if (!open(res.statusCode ?? 0, res.headers['content-type'])) return void res.resume();
      res.setEncoding('utf8');
      res.on('data', onData);
      res.on('error', (err) => fail({ message: err.message }));
      res.on('close', () => fail({ message: 'the stream ended' }));
    });
    req.on('error', (err) => fail({ message: err.message }));
    stop = () => req.destroy();
  }
  return {
    close() {
      if (done) return;
      done = true;
      stop();
    },
  };
}
