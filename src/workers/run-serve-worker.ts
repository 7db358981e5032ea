import type { ServeArgs } from '../cli/parse-serve-args';
import { serveServerOptions } from '../cli/serve-server-options';
import { createControlServer } from '../server/create-control-server';
import { createTokenAuth } from '../server/create-token-auth';
import { createClientAddress } from '../server/client-address';
import { createRequestIsHttps } from '../server/request-is-https';
import type { Logger } from '../server/logger';
import { createIpcCaller, type IpcMessage } from './ipc-calls';
import { workerEndpoint } from './ipc-endpoints';
import { createWorkerAgentCluster } from './create-worker-agent-cluster';
import { createIpcConnectionLimiter, createIpcTicketRate, createIpcTicketStore } from './create-ipc-limits';
import { createSpawnProxy, type SpawnTarget } from './create-spawn-proxy';
import { createSyncedRateLimiter } from './create-synced-rate-limiter';

/** What the primary sends a worker first: the parsed options and the token (generated or given; never logged). */
export interface WorkerConfig {
  args: ServeArgs;
  token?: string;
  /** Whether the server is open without tokens (loopback, no token, no --spawn). */
  openWithoutTokens: boolean;
  /** With --spawn: the primary's spawn server. */
  spawn?: SpawnTarget;
}

/**
 * One worker of `agent-stream serve --workers N` (CLI-internal): waits for its {@link WorkerConfig},
 * then serves viewers on the port the cluster shares, with agents, tickets, limits and claims of
 * the primary. It ends when the primary asks, or at once when the primary is gone (no orphans).
 *
 * ## Example
 * ```ts
 * if (cluster.isWorker && process.env.AGENT_STREAM_WORKER === '1') runServeWorker(log);
 * ```
 */
export function runServeWorker(log: Logger): void {
  const endpoint = workerEndpoint(process);
  // The primary gone (even SIGKILLed): the channel closes, this worker ends.
  process.once('disconnect', () => process.exit(0));
  const off = endpoint.onMessage((m) => {
    if (m.k !== 'config') return;
    off();
    start(m as IpcMessage & WorkerConfig).catch((err) => {
      log.error(`agent-stream worker: ${(err as Error).message}`);
      process.exit(1);
    });
  });

  async function start(config: WorkerConfig) {
    const { args } = config;
    const rpc = createIpcCaller(endpoint);
    const cluster = createWorkerAgentCluster({ endpoint, rpc });
    const clientAddress = args.trustProxies.length > 0 ? createClientAddress(args.trustProxies) : undefined;
    const auth = createTokenAuth({
      token: config.token,
      watchToken: args.watchToken,
      openWithoutTokens: config.openWithoutTokens,
      clientAddress,
      isHttps: createRequestIsHttps(args.trustProxies),
      // Failed attempts and sign-ins counted over every worker, in the primary.
      failures: createSyncedRateLimiter('failures', endpoint, rpc),
      signIns: createSyncedRateLimiter('signIns', endpoint, rpc),
    });
    const server = createControlServer({
      cluster,
      tickets: createIpcTicketStore(rpc),
      ticketRate: createIpcTicketRate(rpc),
      limitConnections: createIpcConnectionLimiter(rpc),
      routes: config.spawn ? createSpawnProxy(config.spawn) : undefined,
      ...serveServerOptions(args, auth, log, clientAddress),
    });
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      setTimeout(() => process.exit(0), 1700).unref(); // before the primary's 1950 ms
      server.close().then(
        () => process.exit(0),
        () => process.exit(0),
      );
    };
    endpoint.onMessage((m) => m.k === 'shutdown' && stop());
    // A signal to the whole group (Ctrl-C): the primary ends the agents; this worker ends its streams.
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    const { url } = await server.listen();
    endpoint.send({ as: 'agent-stream', k: 'listening', url });
  }
}
