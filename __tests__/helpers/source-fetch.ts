import http from 'node:http';
import { Readable } from 'node:stream';
import { EventSource } from 'eventsource';
import type { EventSourceConstructor, FetchLike } from '../../src/client';

/**
 * A `fetch` (enough of one for the browser client and the `eventsource` package) whose requests
 * leave from `localAddress` (e.g. `127.0.0.7`), so nginx and the nodes see distinct clients (the
 * per-client ticket limits key on the address nginx names in `X-Forwarded-For`). Plain
 * `node:http`, no connection reuse; `signal` aborts the request and its body.
 */
export function sourceFetch(localAddress: string): FetchLike {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const req = http.request(
        String(input),
        { method: init.method ?? 'GET', headers: init.headers as Record<string, string> | undefined, localAddress, agent: false },
        (res) => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status: res.statusCode, headers }));
        },
      );
      const signal = init.signal ?? undefined;
      if (signal?.aborted) req.destroy(new Error('aborted'));
      signal?.addEventListener('abort', () => req.destroy(new Error('aborted')), { once: true });
      req.on('error', reject);
      req.end(typeof init.body === 'string' ? init.body : undefined);
    });
}

/** The `eventsource` package's EventSource, its requests leaving from `localAddress` (see {@link sourceFetch}). */
export function sourceEventSource(localAddress: string): EventSourceConstructor {
  const f = sourceFetch(localAddress);
  return class extends EventSource {
    constructor(url: string, init?: { withCredentials?: boolean }) {
      super(url, { ...init, fetch: (u, i) => f(String(u), i as RequestInit) });
    }
  } as unknown as EventSourceConstructor;
}
