import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { createAgentRegistry, type AgentRegistry } from '../agent/create-agent-registry';
import type { ManagedAgent } from '../agent/create-managed-agent';
import { createMemoryTicketStore } from '../tickets/create-memory-ticket-store';
import type { TicketStore } from '../tickets/ticket-store';
import { agentView } from './agent-view';
import { attachKiloAgent, type AttachKiloAgentOptions } from './attach-kilo-agent';
import { broadcastOptionsOf, createAgentStreamRouter } from './create-agent-stream-router';
import { createBroadcastRegistry, type BroadcastRegistry } from './create-broadcast-registry';
import { createPrometheusRegistry } from './create-prometheus-registry';
import { createStreamHandler } from './create-stream-handler';
import { createStreamMetrics, type StreamMetrics } from './create-stream-metrics';
import { silentLogger, type Logger } from './logger';
import { sendError } from './send-error';

export interface ControlServerOptions {
  registry?: AgentRegistry;
  tickets?: TicketStore;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  keepaliveMs?: number;
  maxBufferedBytes?: number;
  /** How long graceful shutdown waits for streams before cutting sockets. Default 1500 ms. */
  shutdownGraceMs?: number;
  /** Folder with the built dashboard (`index.html`, `dashboard.js`). Default `dist/public`. */
  publicDir?: string;
  /** Extra routes mounted before the 404 handler (e.g. the agent-spawning routes). */
  routes?: (app: Express, ctx: { registry: AgentRegistry; metrics: StreamMetrics }) => void;
  logger?: Logger;
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

const STREAM_PATH = /^\/agents\/([^/?]+)\/stream\/?(?:\?|$)/;

/** The decoded agent id of a stream URL; undefined for another path, null when it does not decode. */
function streamAgentIdOf(url: string): string | null | undefined {
  const m = STREAM_PATH.exec(url);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
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
  const registry = options.registry ?? createAgentRegistry();
  const metrics = createStreamMetrics();
  const broadcasts = createBroadcastRegistry(broadcastOptionsOf(options, metrics));
  const tickets = options.tickets ?? createMemoryTicketStore();
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0..65535, got ${port}`);
  const graceMs = options.shutdownGraceMs ?? 1500;
  const publicDir = options.publicDir ?? join(__dirname, '..', 'public');
  const prometheus = createPrometheusRegistry(metrics, broadcasts);
  let shuttingDown = false;
  let server: http.Server | undefined;
  let closing: Promise<void> | undefined;

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb' }));
  const only =
    (allow: string): RequestHandler =>
    (_req, res) =>
      sendError(res, 405, 'method_not_allowed', `use ${allow}`, { Allow: allow });
  const withAgent =
    (fn: (agent: ManagedAgent, res: express.Response) => void): RequestHandler =>
    (req, res) => {
      const agent = registry.get(String(req.params.agentId));
      if (!agent) return sendError(res, 404, 'agent_not_found', `no agent "${req.params.agentId}"`);
      fn(agent, res);
    };

  const isShuttingDown = () => shuttingDown;
  const stream = createStreamHandler({ registry, tickets, broadcasts, metrics, isShuttingDown });
  app.use(createAgentStreamRouter({ registry, metrics, broadcasts, tickets, isShuttingDown }));
  options.routes?.(app, { registry, metrics });
  app.get('/agents', (_req, res) => {
    res.json({ agents: registry.list().map((a) => agentView(a, broadcasts)) });
  });
  app.all('/agents', only(options.routes ? 'GET, POST' : 'GET'));
  app.get(
    '/agents/:agentId',
    withAgent((agent, res) => res.json(agentView(agent, broadcasts))),
  );
  app.all('/agents/:agentId', only('GET'));
  app.post(
    '/agents/:agentId/stop',
    withAgent((agent, res) => {
      agent.stop('stopped');
      res.status(202).json(agentView(agent, broadcasts));
    }),
  );
  app.all('/agents/:agentId/stop', only('POST'));
  // Operator tool: cut every open stream of an agent (clients resume with a fresh ticket).
  app.post(
    '/agents/:agentId/disconnect-viewers',
    withAgent((agent, res) => {
      res.status(202).json({ disconnected: broadcasts.disconnect(agent.id) });
    }),
  );
  app.all('/agents/:agentId/disconnect-viewers', only('POST'));
  app.get('/healthz', (_req, res) => {
    res.status(shuttingDown ? 503 : 200).json({ ok: !shuttingDown, agents: registry.size, viewers: broadcasts.viewerCount() });
  });
  app.all('/healthz', only('GET'));
  app.get('/metrics', (_req, res, next) => {
    prometheus.metrics().then((text) => res.type(prometheus.contentType).send(text), next);
  });
  app.all('/metrics', only('GET'));
  app.get(['/', '/index.html'], (_req, res) => {
    const index = join(publicDir, 'index.html');
    if (existsSync(index)) res.sendFile(index);
    else res.type('html').send(FALLBACK_PAGE);
  });
  app.use(express.static(publicDir, { index: false, fallthrough: true }));
  app.all(['/', '/index.html'], only('GET'));
  app.use((req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`));
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) logger.error('request failed', err);
    sendError(
      res,
      status,
      status === 500 ? 'internal' : 'bad_request',
      status === 500 ? 'internal error' : String(err.message ?? 'bad request'),
    );
  };
  app.use(onError);

  return {
    app,
    registry,
    metrics,
    broadcasts,
    listen() {
      return new Promise((resolve, reject) => {
        // Each request is dispatched once: stream requests to the stream handler, ahead of the
        // Express app (a viewer is held for as long as it watches, and the app's per-request
        // setup would cost ~3 KiB of heap per open stream); everything else to the app, which
        // also mounts the stream route, so `app` alone is complete.
        server = http.createServer((req, res) => {
          const agentId = streamAgentIdOf(req.url ?? '/');
          if (agentId === undefined) return app(req, res);
          if (agentId === null) return sendError(res, 400, 'bad_request', 'the agent id is not a valid percent-encoded string');
          stream(req, res, agentId).catch((err: unknown) => {
            logger.error('stream request failed', err);
            sendError(res, 500, 'internal', 'internal error');
          });
        });
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
      })();
      return closing;
    },
    attachKilo: (o) => attachKiloAgent(registry, metrics, o),
  };
}
