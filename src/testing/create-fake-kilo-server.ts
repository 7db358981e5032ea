import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFakeKiloState } from './fake-kilo-state';

export interface FakeKiloServerOptions {
  /** Status to answer `GET /event` with (e.g. 503 to test give-up); read per request. Default 200. */
  status?: () => number;
  /** Called for each new `/event` stream, e.g. to write a burst. */
  onConnect?: (res: http.ServerResponse) => void;
  /**
   * Status to answer kilo's action routes with (`POST /session/:id/prompt_async` and `/abort`,
   * `/permission/:id/reply`, `/question/:id/reply` and `/reject`), read per request. Default: not
   * served (404).
   */
  actionStatus?: () => number;
}

const ACTION_ROUTE = /^\/(?:session\/[^/]+\/(?:prompt_async|abort)|permission\/[^/]+\/reply|question\/[^/]+\/(?:reply|reject))$/;

/**
 * A kilo serve stand-in on loopback that your test drives by hand: `GET /event`, and what the
 * nothing-lost path (`kiloSessionEvents`) reads besides — `POST /sync/history`,
 * `GET /session/status`, `GET /permission`, `GET /question` — answered from what was sent.
 */
export interface FakeKiloServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT`; pass it to `kiloEvents`. */
  url: string;
  /** Open `/event` responses. */
  readonly clients: http.ServerResponse[];
  /** How many `/event` requests arrived in all. */
  readonly connections: number;
  /** Every request that arrived, `METHOD /path` (query left out), in order. */
  readonly requests: readonly string[];
  /** Resolves when exactly `n` streams are open. */
  waitForClients(n: number, timeoutMs?: number): Promise<void>;
  /**
   * Sends one kilo event (an object, or a raw `data` string) to every open stream. As kilo does,
   * an event kilo logs (`message.*`, `session.created|updated|deleted`) gets an `id`, a place in
   * its session's log (`POST /sync/history`) and a `sync` copy after it; `session.status`,
   * permissions and questions update what `GET /session/status`, `/permission` and `/question` answer.
   */
  send(event: object | string): void;
  /** Destroys every open stream, as a dropped upstream. */
  drop(): void;
  close(): Promise<void>;
}

/**
 * Starts a fake kilo serve for your own tests: `GET /event` answers `server.connected`, then
 * whatever the test `send`s; `drop()` simulates a lost connection. It serves what both
 * `kiloEvents` and `kiloSessionEvents` read, so either runs against it without a diagnostic.
 *
 * ## Example
 * ```ts
 * const kilo = await createFakeKiloServer();
 * const agent = createManagedAgent({ agentId: 'a', events: kiloEvents(kilo.url) });
 * await kilo.waitForClients(1);
 * kilo.send({ type: 'file.edited', properties: { file: '/a.ts' } });
 * ```
 */
export async function createFakeKiloServer(options: FakeKiloServerOptions = {}): Promise<FakeKiloServer> {
  const clients: http.ServerResponse[] = [];
  const requests: string[] = [];
  const state = createFakeKiloState();
  let connections = 0;
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  const json = (res: http.ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(`${req.method} ${path}`);
    if (req.method === 'POST' && path === '/sync/history') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body || '{}');
        } catch {
          return json(res, 400, { error: 'body is not JSON' });
        }
        json(res, 200, state.history(parsed));
      });
      return;
    }
    if (req.method === 'POST' && options.actionStatus && ACTION_ROUTE.test(path)) {
      req.resume();
      return json(res, options.actionStatus(), true);
    }
    if (req.method === 'GET' && path === '/session/status') return json(res, 200, state.sessionStatus());
    if (req.method === 'GET' && path === '/permission') return json(res, 200, state.pendingPermissions());
    if (req.method === 'GET' && path === '/question') return json(res, 200, state.pendingQuestions());
    if (path !== '/event') return json(res, 404, { error: 'not found' });
    connections++;
    const status = options.status?.() ?? 200;
    if (status !== 200) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write('data: {"type":"server.connected","properties":{}}\n\n');
    clients.push(res);
    res.on('close', () => {
      clients.splice(clients.indexOf(res), 1);
      notify();
    });
    options.onConnect?.(res);
    notify();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    clients,
    get connections() {
      return connections;
    },
    requests,
    waitForClients(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (clients.length !== n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${n} /event clients (have ${clients.length})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    send(event) {
      const frames = typeof event === 'string' ? [event] : state.record(event);
      const text = frames.map((data) => `data: ${data}\n\n`).join('');
      for (const c of clients) c.write(text);
    },
    drop() {
      for (const c of [...clients]) c.socket?.destroy();
    },
    close() {
      for (const c of [...clients]) c.socket?.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
