import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeKiloServerOptions {
  /** Status to answer `GET /event` with (e.g. 503 to test give-up); read per request. Default 200. */
  status?: () => number;
  /** Called for each new `/event` stream, e.g. to write a burst. */
  onConnect?: (res: http.ServerResponse) => void;
}

/** A kilo-serve-compatible `GET /event` server on loopback that your test drives by hand. */
export interface FakeKiloServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT`; pass it to `kiloEvents`. */
  url: string;
  /** Open `/event` responses. */
  readonly clients: http.ServerResponse[];
  /** How many `/event` requests arrived in all. */
  readonly connections: number;
  /** Resolves when exactly `n` streams are open. */
  waitForClients(n: number, timeoutMs?: number): Promise<void>;
  /** Sends one kilo event (an object, or a raw `data` string) to every open stream. */
  send(event: object | string): void;
  /** Destroys every open stream, as a dropped upstream. */
  drop(): void;
  close(): Promise<void>;
}

/**
 * Starts a fake kilo serve for your own tests: `GET /event` answers `server.connected`, then
 * whatever the test `send`s; `drop()` simulates a lost connection.
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
  let connections = 0;
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/event')) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
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
      const data = typeof event === 'string' ? event : JSON.stringify(event);
      for (const c of clients) c.write(`data: ${data}\n\n`);
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
