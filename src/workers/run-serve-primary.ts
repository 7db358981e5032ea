import cluster, { type Worker } from 'node:cluster';
import { createAgentRegistry, type AgentRegistry } from '../agent/create-agent-registry';
import type { ServeArgs } from '../cli/parse-serve-args';
import type { SpawnMode } from '../cli/spawn-routes';
import { createDemoKiloServer, type DemoKiloServer } from '../demo/create-demo-kilo-server';
import { attachKiloAgent } from '../server/attach-kilo-agent';
import { createRateLimiter } from '../server/create-rate-limiter';
import { createStreamMetrics } from '../server/create-stream-metrics';
import type { Logger } from '../server/logger';
import { createMemoryClaims } from '../server/request-claims';
import { createMemoryTicketStore } from '../tickets/create-memory-ticket-store';
import { createWorkerHub } from './create-worker-hub';
import { primaryEndpoint } from './ipc-endpoints';
import type { WorkerConfig } from './run-serve-worker';
import { startSpawnServer } from './create-spawn-proxy';

export interface ServePrimaryOptions {
  args: ServeArgs;
  /** The token every worker checks (given or generated). */
  token?: string;
  openWithoutTokens: boolean;
  /** With --spawn: the spawn routes (run here: this process owns every kilo). */
  spawn?: SpawnMode;
  log: Logger;
}

/**
 * The primary of `agent-stream serve --workers N` (CLI-internal): owns every agent's upstream and
 * history (demo, --kilo-url, spawned), forks `args.workers` workers that hold the viewers on the
 * shared port, restarts a worker that dies, and on SIGTERM/SIGINT ends the agents (viewers get
 * their `exit`), then the workers, then itself. Resolves with the URL once a worker listens.
 *
 * ## Example
 * ```ts
 * if (args.workers > 1) log.info(`listening on ${await runServePrimary({ args, token, openWithoutTokens: false, log })}`);
 * ```
 */
export async function runServePrimary(options: ServePrimaryOptions): Promise<string> {
  const { args, log } = options;
  const metrics = createStreamMetrics();
  const inner = createAgentRegistry();
  const perAddress = args.maxConnectionsPerAddress ?? Math.max(1, Math.min(256, Math.floor(args.maxConnections / 2)));
  // Agents spawned later are published as they are added.
  const registry: AgentRegistry = { ...inner, add: (agent) => (hub.track(inner.add(agent)), agent) };
  Object.defineProperty(registry, 'size', { get: () => inner.size });
  const hub = createWorkerHub({
    registry,
    tickets: createMemoryTicketStore(),
    ticketRate: createRateLimiter({ burst: 20, perSecond: 1 }),
    claims: createMemoryClaims(),
    perAddress,
    exempt: args.trustProxies,
    // createTokenAuth's own limits (its defaults), counted here for every worker.
    limiters: {
      failures: createRateLimiter({ burst: 10, perSecond: 0.2 }),
      signIns: createRateLimiter({ burst: 10, perSecond: 0.1 }),
    },
  });
  let demo: DemoKiloServer | undefined;
  if (args.mode === 'demo') {
    demo = await createDemoKiloServer();
    attachKiloAgent(registry, metrics, { url: demo.url, agentId: 'demo', sessionId: demo.sessionId, watchOnly: true });
  } else if (args.mode === 'kilo') {
    attachKiloAgent(registry, metrics, { url: args.kiloUrl!, agentId: args.agentId, sessionId: args.session });
  }
  const spawnServer = options.spawn ? await startSpawnServer(options.spawn.routes, registry) : undefined;
  const config: WorkerConfig = { args, token: options.token, openWithoutTokens: options.openWithoutTokens, spawn: spawnServer?.target };

  let stopping = false;
  let resolveUrl: (url: string) => void = () => undefined;
  const listening = new Promise<string>((r) => (resolveUrl = r));
  const started = new Map<number, number>();
  let restarts = 0;
  const fork = () => {
    // AGENT_STREAM_WORKER tells main() to run a worker; the token goes over IPC, never in the environment.
    const worker = cluster.fork({ AGENT_STREAM_WORKER: '1' });
    started.set(worker.id, Date.now());
    // An error of the worker's channel (it died mid-write) is the worker's end, not the primary's.
    worker.on('error', (err) => log.warn(`agent-stream: worker ${worker.process.pid}: ${String(err)}`));
    const endpoint = primaryEndpoint(worker);
    endpoint.send({ as: 'agent-stream', k: 'config', ...config });
    hub.connect(worker.id, endpoint);
    endpoint.onMessage((m) => {
      if (m.k !== 'listening' || typeof m.url !== 'string') return;
      log.info(`agent-stream: worker ${worker.process.pid} listening`);
      resolveUrl(m.url);
    });
    return worker;
  };
  cluster.on('exit', (worker: Worker, code, signal) => {
    hub.disconnect(worker.id);
    if (stopping) return;
    // A worker died: another takes its place (slower when they keep dying at once).
    const lived = Date.now() - (started.get(worker.id) ?? 0);
    started.delete(worker.id);
    restarts = lived < 5000 ? restarts + 1 : 0;
    log.warn(`agent-stream: worker ${worker.process.pid} ended (${signal ?? `code ${code}`}); starting another`);
    setTimeout(() => stopping || fork(), Math.min(5000, 100 * 2 ** Math.min(restarts, 6))).unref();
  });
  for (let i = 0; i < args.workers; i++) fork();

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    // The contract's 2 s (docs/protocol.md §4.2); the workers' own bound is shorter, so they end first.
    setTimeout(() => process.exit(0), 1950).unref();
    // The agents end first: every viewer gets its `exit` through its worker.
    registry.stopAll('shutdown');
    hub.flush();
    setImmediate(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.send({ as: 'agent-stream', k: 'shutdown' }, () => undefined);
    });
    const workersGone = new Promise<void>((resolve) => {
      const check = () => (Object.keys(cluster.workers ?? {}).length === 0 ? resolve() : setTimeout(check, 20));
      check();
    });
    Promise.all([workersGone.then(() => spawnServer?.close()), demo?.close(), options.spawn?.close()]).then(
      () => process.exit(0),
      (err) => {
        log.error('shutdown failed', err);
        process.exit(0);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return listening;
}
