import { existsSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { createAgentRegistry, type AgentRegistry } from '../agent/create-agent-registry';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { createMemoryTicketStore } from '../tickets/create-memory-ticket-store';
import type { TicketStore } from '../tickets/ticket-store';
import type { AgentCluster } from './agent-cluster';
import type { ClientAddress } from './client-address';
import { attachKiloAgent, createKiloAgent, type AttachKiloAgentOptions } from './attach-kilo-agent';
import { allowAll, checkAction, type Action, type Authorize } from './authorize';
import { broadcastOptionsOf, buildAgentStreamRouter, type AgentStreamRouterOptions } from './create-agent-stream-router';
import { jsonErrorHandler } from './json-error-handler';
import { createOriginGuard } from './create-origin-guard';
import type { RateLimiter } from './create-rate-limiter';
import { createRequestDispatcher } from './create-request-dispatcher';
import { createConnectionLimiter } from './create-connection-limiter';
import { createSecurityHeaders } from './create-security-headers';
import { createBroadcastRegistry, type BroadcastRegistry } from './create-broadcast-registry';
import { createPrometheusRegistry } from './create-prometheus-registry';
import { withClusterViewers } from './with-cluster-viewers';
import { createStreamMetrics, type StreamMetrics } from './create-stream-metrics';
import { silentLogger, type Logger } from './logger';
import { methodNotAllowed, sendError } from './http';
import { integerOption } from '../options/number-option';

export interface ControlServerOptions {
  registry?: AgentRegistry;
  /**
   * Agents shared with other control servers (e.g. `createRedisAgentCluster`; docs/deploy.md):
   * its registry and claims replace `registry`; agents join with `cluster.attach`. Pass a shared
   * `tickets` store with it. Closed by `close()`.
   */
  cluster?: AgentCluster;
  tickets?: TicketStore;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  keepaliveMs?: number;
  maxBufferedBytes?: number;
  /** The frame window (see the router's `flushIntervalMs`). Default 16 ms; 0: one write per viewer per event-loop turn. */
  flushIntervalMs?: number;
  /** How long graceful shutdown waits for streams before cutting sockets. Default 1500 ms. */
  shutdownGraceMs?: number;
  /** Folder with the built dashboard (`index.html`, `dashboard.js`). Default `dist/public`. */
  publicDir?: string;
  /**
   * Extra routes mounted before the 404 handler (e.g. the agent-spawning routes). `POST /agents`
   * is guarded as `admin` and `POST /agents/:agentId/message` as `act` before them.
   */
  routes?: AgentStreamRouterOptions['routes'];
  logger?: Logger;
  /** Who may do what (docs/protocol.md §6). Default: everyone (loopback, no token). */
  authorize?: Authorize;
  /** The dashboard's sign-in, `POST /login` and `GET /?token=` (see `createTokenAuth`). */
  login?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Host names allowed besides loopback names and `host` (DNS rebinding guard). */
  allowHosts?: string[];
  /** Origins allowed to make state-changing requests besides the server's own (CSRF guard). */
  allowOrigins?: string[];
  /** Concurrent connections at most. Default 10 000. */
  maxConnections?: number;
  /** Open connections per peer address (trusted proxies exempt; see `createConnectionLimiter`). Default half of `maxConnections`, at most 256. */
  maxConnectionsPerAddress?: number;
  /** Origins that may show the pages in a frame (`frame-ancestors`); none by default (see `createSecurityHeaders`). */
  allowFrameOrigins?: string[];
  /** The `--trust-proxy` addresses (their connections are not capped per address). */
  trustedProxies?: string[];
  /** Time a client has to send its request headers. Default 10 000 ms. */
  headersTimeoutMs?: number;
  /** Stream tickets per client address (see the router's `ticketRate`). Default 20 at once, 1 more per second. */
  ticketRate?: RateLimiter | false;
  /** Which client a request comes from, for the per-client limits (see `createClientAddress` behind a proxy). Default: the peer address. */
  clientAddress?: ClientAddress;
  /** Who a request comes from, for the `by` of actions (e.g. `createTokenAuth`'s). Default: the client address. */
  identify?: (req: IncomingMessage) => string;
}

export interface ControlServer {
  readonly app: Express;
  readonly registry: AgentRegistry;
  readonly metrics: StreamMetrics;
  /** The broadcasts of the agents: their viewers. */
  readonly broadcasts: BroadcastRegistry;
  listen(): Promise<{ url: string; port: number }>;
  /** Graceful shutdown: refuse new streams, end every stream with `exit`/`shutdown`, close. */
  close(): Promise<void>;
  /** Registers a running kilo serve as an agent. */
  attachKilo(options: AttachKiloAgentOptions): ManagedAgent;
}

const FALLBACK_PAGE =
  '<!doctype html><meta charset="utf-8"><title>agent-stream</title><h1>agent-stream</h1><p>The dashboard bundle is not built; run <code>npm run build</code>. The API is at <a href="agents">/agents</a>.</p>';

/**
 * Creates the control server: the stream router plus `GET /agents`, `GET /agents/:agentId`,
 * `POST /agents/:agentId/stop`, `GET /healthz`, `GET /metrics`, `GET /` (dashboard). Every
 * unknown path or method answers the JSON error shape.
 *
 * ## Example
 * ```ts
 * const server = createControlServer({ port: 0 });
 * server.attachKilo({ url: 'http://127.0.0.1:4096', sessionId: 'ses_1' });
 * const { url } = await server.listen();
 * ```
 */
export function createControlServer(options: ControlServerOptions = {}): ControlServer {
  const { cluster } = options;
  if (cluster && options.registry) throw new TypeError('createControlServer: pass registry or cluster, not both');
  const registry = cluster?.registry ?? options.registry ?? createAgentRegistry();
  const metrics = createStreamMetrics();
  const broadcasts = createBroadcastRegistry(broadcastOptionsOf(options, metrics));
  const tickets = options.tickets ?? createMemoryTicketStore();
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  integerOption('createControlServer', 'port', port, 0, 65535);
  const graceMs = options.shutdownGraceMs ?? 1500;
  const maxConnections = options.maxConnections ?? 10_000;
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const originGuard = createOriginGuard({ host, allowHosts: options.allowHosts, allowOrigins: options.allowOrigins });
  const headers = createSecurityHeaders({ frameAncestors: options.allowFrameOrigins });
  const perAddress = options.maxConnectionsPerAddress ?? Math.max(1, Math.min(256, Math.floor(maxConnections / 2)));
  const limitConnections = createConnectionLimiter({ perAddress, exempt: options.trustedProxies });
  const publicDir = options.publicDir ?? join(__dirname, '..', 'public');
  const prometheus = createPrometheusRegistry(metrics, broadcasts, cluster?.invalidEntries, cluster?.viewers);
  // Options are all valid: only now does this node take part in the cluster (leases, upstreams).
  cluster?.start((record, firstId) =>
    createKiloAgent(metrics, {
      url: record.url,
      agentId: record.id,
      sessionId: record.sessionId ?? undefined,
      directory: record.directory,
      password: record.password,
      watchOnly: record.watchOnly,
      firstId,
      onDiagnostic: (d) => d.type === 'refill_failed' && logger.warn(`kilo log of ${record.id} unreadable`, d.error),
    }),
  );
  let shuttingDown = false;
  let server: http.Server | undefined;
  let closing: Promise<void> | undefined;

  const isShuttingDown = () => shuttingDown;
  const { router, stream } = buildAgentStreamRouter<IncomingMessage>({
    registry,
    metrics,
    // `GET /agents` counts every node's viewers (a cluster's), the broadcasts stay this node's.
    broadcasts: withClusterViewers(broadcasts, cluster?.viewers),
    tickets,
    isShuttingDown,
    authorize: options.authorize,
    ticketRate: options.ticketRate,
    clientAddress: options.clientAddress,
    claims: cluster?.claims,
    identify: options.identify,
    routes: options.routes,
    logger,
  });
  const authorize = options.authorize ?? allowAll;
  const guard =
    (action: Action): RequestHandler =>
    (req, res, next) => {
      checkAction(authorize, req, res, action).then((ok) => ok && next(), next);
    };

  const app = express();
  app.disable('x-powered-by');
  app.use(router);
  app.get('/healthz', (_req, res) => {
    res.status(shuttingDown ? 503 : 200).json({ ok: !shuttingDown, agents: registry.size, viewers: broadcasts.viewerCount() });
  });
  app.all('/healthz', methodNotAllowed('GET'));
  app.get('/metrics', guard('watch'), (_req, res, next) => {
    prometheus.metrics().then((text) => res.type(prometheus.contentType).send(text), next);
  });
  app.all('/metrics', methodNotAllowed('GET'));
  app.get(['/', '/index.html'], (_req, res) => {
    const index = join(publicDir, 'index.html');
    if (existsSync(index)) res.sendFile(index);
    else res.type('html').send(FALLBACK_PAGE);
  });
  app.use(express.static(publicDir, { index: false, fallthrough: true }));
  app.all(['/', '/index.html'], methodNotAllowed('GET'));
  app.use((req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`));
  app.use(jsonErrorHandler(logger));

  return {
    app,
    registry,
    metrics,
    broadcasts,
    listen() {
      return new Promise((resolve, reject) => {
        // The app also mounts the stream route, so `app` alone is complete; the server
        // dispatches each request once (createRequestDispatcher).
        // Connections are checked for the header timeout every second (Node's default is 30 s,
        // which let dribbling sockets hold a connection slot that long).
        // (Passed at creation: set afterwards, the timeouts do not reach the connection checker.)
        const dispatch = createRequestDispatcher({ guard: originGuard, headers, login: options.login, stream, app, logger });
        // socket → cancels its headers deadline (and forgets it: a held stream keeps no timer).
        const headersDeadline = new WeakMap<object, () => void>();
        server = http.createServer(
          {
            connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
            headersTimeout: headersTimeoutMs,
            requestTimeout: Math.max(headersTimeoutMs, 10_000),
          },
          (req, res) => {
            headersDeadline.get(req.socket)?.();
            dispatch(req, res);
          },
        );
        // Node's own checker lets a connection that never finishes its first request's headers
        // live on once maxConnections is reached (seen on Node 20): cut it ourselves.
        server.on('connection', (socket) => {
          const timer = setTimeout(() => socket.destroy(), headersTimeoutMs + 500);
          timer.unref();
          const cancel = () => {
            clearTimeout(timer);
            socket.removeListener('close', cancel);
            headersDeadline.delete(socket);
          };
          headersDeadline.set(socket, cancel);
          socket.on('close', cancel);
        });
        server.on('connection', limitConnections);
        server.maxConnections = maxConnections;
        server.once('error', reject);
        server.listen(port, host, () => {
          const actual = (server!.address() as AddressInfo).port;
          const shown = host.includes(':') ? `[${host}]` : host;
          resolve({ url: `http://${shown}:${actual}`, port: actual });
        });
      });
    },
    close() {
      closing ??= (async () => {
        shuttingDown = true;
        const s = server;
        const closed = s ? new Promise<void>((r) => s.close(() => r())) : Promise.resolve();
        registry.stopAll('shutdown');
        const deadline = Date.now() + graceMs;
        while (broadcasts.viewerCount() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        s?.closeIdleConnections();
        s?.closeAllConnections();
        await closed;
        await cluster?.close();
      })();
      return closing;
    },
    attachKilo(o) {
      if (cluster) throw new TypeError('attachKilo: a clustered server takes agents through cluster.attach(record)');
      return attachKiloAgent(registry, metrics, o);
    },
  };
}
