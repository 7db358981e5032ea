import type { IncomingMessage } from 'node:http';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { actingRoutes } from './create-acting-routes';
import { agentInfoRoutes } from './create-agent-info-routes';
import { checkAction, type Action } from './authorize';
import { installMultiplexStream } from './create-multiplex-stream';
import { createStreamHandler, type StreamHandler } from './create-stream-handler';
import { createTicketHandler } from './create-ticket-handler';
import { methodNotAllowed, sendError } from './http';
import { jsonErrorHandler } from './json-error-handler';
import { resolveRouterOptions, type AgentStreamRouterOptions } from './router-options';

export { broadcastOptionsOf, type AgentStreamRouterOptions, type RouterContext } from './router-options';

/**
 * The router of {@link createAgentStreamRouter}: every agent route; `streams` serves only
 * `GET /agents/:agentId/stream`, for mounting in front of a login that would refuse an
 * `EventSource` (it cannot send headers: its ticket is its credential).
 */
export type AgentStreamRouter = Router & {
  /** Only the stream route, to mount before your login middleware. */
  readonly streams: Router;
};

/** Express 4 does not catch rejected promises: route them to `next`. */
const wrap =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next: NextFunction) => {
    fn(req, res).catch(next);
  };

/** The stream route on `router`, served by `stream`. */
function streamRoute(router: Router, stream: StreamHandler): void {
  router.get(
    '/agents/:agentId/stream',
    wrap(async (req, res) => {
      await stream(req, res, String(req.params.agentId));
      // A held stream never calls `next`: drop Express's chain of per-request routing closures
      // (`req.next` keeps every router's state alive for as long as the stream stays open).
      if (res.headersSent && !res.writableEnded) (req as { next?: unknown }).next = undefined;
    }),
  );
  router.all('/agents/:agentId/stream', methodNotAllowed('GET'));
}

/** The router and its stream handler (the control server serves streams ahead of Express with it). */
export function buildAgentStreamRouter<Req extends IncomingMessage = Request>(
  options: AgentStreamRouterOptions<Req>,
): { router: AgentStreamRouter; stream: StreamHandler } {
  const o = resolveRouterOptions(options);
  const stream = createStreamHandler(o);
  const guard =
    (action: Action): RequestHandler =>
    (req, res, next) => {
      const agentId = req.params.agentId === undefined ? undefined : String(req.params.agentId);
      checkAction(o.authorize, req as unknown as Req, res, action, agentId).then((ok) => ok && next(), next);
    };
  const errors = jsonErrorHandler(o.logger);

  const streams = Router();
  streamRoute(streams, stream);
  streams.use(errors);

  const router = Router();
  streamRoute(router, stream);
  router.post('/agents/:agentId/stream-ticket', wrap(createTicketHandler(o)));
  router.all('/agents/:agentId/stream-ticket', methodNotAllowed('POST'));
  installMultiplexStream(router, o); // POST /stream-ticket, GET /stream: several agents, one response
  router.use('/agents', express.json({ limit: o.maxBodyBytes }));
  agentInfoRoutes(o, guard)(router);
  actingRoutes({ registry: o.registry, claims: o.claims, guard: guard('act'), identify: o.identify as never, logger: o.logger })(router);
  if (o.routes) {
    router.post('/agents', guard('admin'));
    router.post('/agents/:agentId/message', guard('act'));
    o.routes(router, { registry: o.registry, metrics: o.metrics });
  }
  router.all('/agents', methodNotAllowed(o.routes ? 'GET, POST' : 'GET'));
  router.all('/agents/:agentId', methodNotAllowed('GET'));
  router.all('/agents/:agentId/stop', methodNotAllowed('POST'));
  router.all('/agents/:agentId/disconnect-viewers', methodNotAllowed('POST'));
  // Everything under /agents is the router's: an unknown path there is its own JSON 404.
  router.all(/^\/agents(?:\/.*)?$/, (req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.baseUrl}${req.path}`));
  router.use(errors);
  return { router: Object.assign(router, { streams }), stream };
}

/**
 * Creates the Express router of every agent route (docs/protocol.md §4–§7), for mounting under
 * any prefix of your app (Express 5 or 4): `GET /agents`, `GET /agents/:agentId`,
 * `POST /agents/:agentId/stream-ticket`, `GET /agents/:agentId/stream`, the acting routes
 * (`prompt`, `abort`, `permissions/:requestId`, `questions/:requestId`,
 * `questions/:requestId/reject`), `stop` and `disconnect-viewers`, each checked through
 * `authorize(req, action, agentId)`. It parses its own JSON bodies, and every error under it is
 * the protocol's `{error:{code,message}}`. `router.streams` serves the stream route alone: mount
 * it in front of a login that refuses requests without your headers or cookie.
 *
 * ## Example
 * ```ts
 * const agents = createAgentStreamRouter({
 *   registry,
 *   authorize: (req: Request & { user?: { role: string } }, action) =>
 *     !req.user ? 'unauthenticated' : action === 'watch' || req.user.role === 'operator',
 * });
 * app.use('/api', agents.streams);          // EventSource: the ticket is the credential
 * app.use('/api', requireLogin, agents);    // tickets, lists, acting: behind your login
 * // POST /api/agents/demo/stream-ticket → { ticket, expiresAt, streamUrl: '/api/agents/demo/stream?ticket=…' }
 * ```
 */
export function createAgentStreamRouter<Req extends IncomingMessage = Request>(options: AgentStreamRouterOptions<Req>): AgentStreamRouter {
  return buildAgentStreamRouter(options).router;
}
