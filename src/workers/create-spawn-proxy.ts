import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type IRouter, type Request, type Response } from 'express';
import type { AgentRegistry } from '../agent/create-agent-registry';
import { methodNotAllowed, sendError } from '../server/http';

/** Where a worker sends `POST /agents` and `POST /agents/:agentId/message`: the primary's loopback spawn server. */
export interface SpawnTarget {
  url: string;
  /** Sent in `X-Agent-Stream-Internal`; the primary refuses a request without it. */
  secret: string;
}

const HEADER = 'x-agent-stream-internal';

/**
 * A worker's spawn routes (`--spawn --workers N`): the request, already authorized by the worker,
 * goes to the primary, which starts the agent (and so owns its kilo process); the answer comes
 * back as the primary gave it. A primary out of reach answers 502 `spawn_failed`.
 *
 * ## Example
 * ```ts
 * createControlServer({ cluster, routes: createSpawnProxy(config.spawn) });
 * ```
 */
export function createSpawnProxy(target: SpawnTarget): (app: IRouter) => void {
  const forward = (req: Request, res: Response) => {
    fetch(new URL(req.originalUrl.replace(/\?.*$/, ''), target.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [HEADER]: target.secret },
      body: JSON.stringify(req.body ?? {}),
    }).then(
      async (r) => {
        const retry = r.headers.get('retry-after');
        if (retry) res.setHeader('Retry-After', retry);
        res
          .status(r.status)
          .type(r.headers.get('content-type') ?? 'application/json')
          .send(await r.text());
      },
      () => sendError(res, 502, 'spawn_failed', 'the agent could not be started'),
    );
  };
  return (app) => {
    app.post('/agents', forward);
    app.post('/agents/:agentId/message', forward);
    app.all('/agents/:agentId/message', methodNotAllowed('POST'));
  };
}

/**
 * The primary's side: `routes` (the spawn routes) on a loopback server only the workers can call
 * (a random secret); agents they add land in `registry`.
 *
 * ## Example
 * ```ts
 * const spawnServer = await startSpawnServer(spawn.routes, registry);
 * cluster.fork(); // then send spawnServer.target in the worker's config
 * ```
 */
export async function startSpawnServer(
  routes: (app: IRouter, ctx: { registry: AgentRegistry }) => void,
  registry: AgentRegistry,
): Promise<{ target: SpawnTarget; close(): Promise<void> }> {
  const secret = randomBytes(24).toString('base64url');
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    const given = Buffer.from(String(req.headers[HEADER] ?? ''));
    const ok = given.length === secret.length && timingSafeEqual(given, Buffer.from(secret));
    if (ok) next();
    else sendError(res, 403, 'forbidden', 'internal route');
  });
  app.use(express.json({ limit: 256 * 1024 }));
  routes(app, { registry });
  app.use((req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`));
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    target: { url: `http://127.0.0.1:${port}`, secret },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
