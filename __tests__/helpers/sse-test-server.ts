import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real loopback SSE server imitating kilo serve's `GET /event`, for integration tests. */
export interface SseTestServer {
  url: string;
  /** Open `/event` responses, newest last. */
  clients: http.ServerResponse[];
  /** How many `/event` requests arrived in all. */
  connections: number;
  /** Resolves when the number of open clients reaches `n`. */
  waitForClients(n: number, timeoutMs?: number): Promise<void>;
  send(data: string): void;
  /** Destroys every open connection (a dropped upstream). */
  drop(): void;
  close(): Promise<void>;
}

export async function startSseTestServer(options: { onConnect?: (res: http.ServerResponse) => void; status?: () => number } = {}): Promise<SseTestServer> {
  const clients: http.ServerResponse[] = [];
  let connections = 0;
  const waiters: Array<() => void> = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/event')) {
      res.writeHead(404).end();
      return;
    }
    connections++;
    const status = options.status?.() ?? 200;
    if (status !== 200) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('data: {"type":"server.connected","properties":{}}\n\n');
    clients.push(res);
    res.on('close', () => {
      clients.splice(clients.indexOf(res), 1);
      notify();
    });
    options.onConnect?.(res);
    notify();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    clients,
    get connections() {
      return connections;
    },
    waitForClients(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${n} clients (have ${clients.length})`)), timeoutMs);
        const check = () => {
          if (clients.length === n) {
            clearTimeout(t);
            resolve();
          } else waiters.push(check);
        };
        check();
      });
    },
    send(data) {
      for (const c of clients) c.write(`data: ${data}\n\n`);
    },
    drop() {
      for (const c of [...clients]) c.socket?.destroy();
    },
    close() {
      for (const c of [...clients]) c.socket?.destroy();
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
