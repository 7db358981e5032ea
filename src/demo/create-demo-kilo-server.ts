import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDemoIdRewriter } from './create-demo-id-rewriter';
import { createDemoLog } from './create-demo-log';
import { demoSessionId, loadDemoSession, type DemoFrame } from './demo-session';

export interface DemoKiloServerOptions {
  /** The frames to replay in a loop. Default: the bundled recorded session. */
  frames?: DemoFrame[];
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Playback speed factor (2 = twice as fast). Default 1. */
  speed?: number;
  /** Pause between two replays of the session. Default 4000 ms. */
  loopPauseMs?: number;
  /** `server.heartbeat` interval, as kilo's. Default 10 000 ms. */
  heartbeatMs?: number;
}

export interface DemoKiloServer {
  url: string;
  sessionId: string;
  /** How many times the session has been played through. */
  readonly loops: number;
  close(): Promise<void>;
}

/**
 * A kilo-serve-compatible event server on loopback that replays a recorded session in a loop:
 * `GET /event` sends `server.connected`, then the frames live (no replay, like kilo), then
 * heartbeats; like kilo it keeps a durable log of the session (`sync` copies on `/event`,
 * `POST /sync/history`, `GET /session/status`), which grows with every replay. Every replay is a new turn of the same session: its message, part, event and call
 * ids are moved past the previous replay's, so they keep kilo's
 * format and still sort by creation time across loops.
 *
 * ## Example
 * ```ts
 * const demo = await createDemoKiloServer({ speed: 2 });
 * kiloEvents(demo.url).subscribe(print);
 * ```
 */
export async function createDemoKiloServer(options: DemoKiloServerOptions = {}): Promise<DemoKiloServer> {
  const frames = options.frames ?? loadDemoSession();
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  const loopPauseMs = options.loopPauseMs ?? 4000;
  const sessionId = demoSessionId(frames);
  const texts = frames.map((f) => JSON.stringify(f.event));
  const ids = createDemoIdRewriter({ texts });
  const log = createDemoLog(sessionId);
  const clients = new Set<http.ServerResponse>();
  let loops = 0;
  let index = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let counter = 0;

  const broadcast = (data: string) => {
    for (const c of clients) c.write(`data: ${data}\n\n`);
  };
  const evt = (type: string, properties: object = {}) => JSON.stringify({ id: `evt_demo${++counter}`, type, properties });

  const step = () => {
    const text = ids.rewrite(texts[index]!, loops);
    broadcast(text);
    const copy = log.record(text);
    if (copy) broadcast(copy);
    index++;
    if (index >= frames.length) {
      index = 0;
      loops++;
      timer = setTimeout(step, loopPauseMs / speed);
    } else timer = setTimeout(step, frames[index]!.delayMs / speed);
  };
  timer = setTimeout(step, frames[0]!.delayMs / speed);
  const heartbeat = setInterval(() => broadcast(evt('server.heartbeat')), options.heartbeatMs ?? 10_000);

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/event') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write(`data: ${evt('server.connected')}\n\n`);
      clients.add(res);
      res.on('close', () => clients.delete(res));
      return;
    }
    if (req.method === 'POST' && path === '/sync/history') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c.length + body.length > 65_536 ? '' : c));
      req.on('end', () => {
        let asked: Record<string, number> = {};
        try {
          asked = JSON.parse(body || '{}') as Record<string, number>;
        } catch {
          res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"bad json"}');
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(log.history(asked)));
      });
      return;
    }
    if (req.method === 'GET' && path === '/session/status') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(log.status()));
      return;
    }
    if (req.method === 'GET' && path === '/global/health') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"healthy":true,"version":"demo"}');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sessionId,
    get loops() {
      return loops;
    },
    close() {
      clearTimeout(timer);
      clearInterval(heartbeat);
      for (const c of clients) c.destroy();
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
