import { createDemoKiloServer, type DemoKiloServer } from '../demo/create-demo-kilo-server';
import { randomBytes } from 'node:crypto';
import { createControlServer } from '../server/create-control-server';
import { createRedisAgentCluster } from '../redis/create-redis-agent-cluster';
import { createRedisDiagnostics } from '../redis/create-redis-diagnostics';
import { createRedisTicketStore } from '../redis/create-redis-ticket-store';
import { connectRedis, type RedisConnection } from '../redis/redis-connection';
import { createTokenAuth } from '../server/create-token-auth';
import { createClientAddress } from '../server/client-address';
import { createRequestIsHttps } from '../server/request-is-https';
import { parseServeArgs, USAGE, UsageError, type ServeArgs } from './parse-serve-args';
import { serveServerOptions } from './serve-server-options';
import { createSpawnMode } from './spawn-routes';
import { resolveSpawnIsolation } from './spawn-isolation';
import cluster from 'node:cluster';
import { runServePrimary } from '../workers/run-serve-primary';
import { runServeWorker } from '../workers/run-serve-worker';

const log = {
  info: (m: string, ...r: unknown[]) => console.error(m, ...r),
  warn: (m: string, ...r: unknown[]) => console.error(m, ...r),
  error: (m: string, ...r: unknown[]) => console.error(m, ...r),
};

/** Loopback: 127.0.0.0/8, localhost, ::1. */
const isLoopback = (host: string) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || ['localhost', '::1', '[::1]'].includes(host);

async function serve(args: ServeArgs): Promise<void> {
  // A token is required beyond loopback and with --spawn; one is generated when not given.
  const loopback = isLoopback(args.host.toLowerCase());
  const needsToken = !loopback || args.mode === 'spawn';
  let generated: string | undefined;
  if (needsToken && args.token === undefined) generated = randomBytes(24).toString('base64url');
  const clientAddress = args.trustProxies.length > 0 ? createClientAddress(args.trustProxies) : undefined;
  const auth = createTokenAuth({
    token: args.token ?? generated,
    watchToken: args.watchToken,
    openWithoutTokens: !needsToken,
    clientAddress,
    isHttps: createRequestIsHttps(args.trustProxies),
  });
  if (args.tokenSources.includes('flag'))
    log.warn(
      'agent-stream: a token given on the command line is visible to every local user (ps); prefer --token-file or AGENT_STREAM_TOKEN',
    );
  // Refuses to start when agents could not be confined (unless --unsafe-no-isolation).
  const sandbox = args.mode === 'spawn' ? await resolveSpawnIsolation(args, log) : undefined;
  const spawnMode = (cluster?: ReturnType<typeof createRedisAgentCluster>) =>
    args.mode === 'spawn'
      ? createSpawnMode({
          logger: log,
          llmUrl: args.llmUrl,
          kiloEnv: args.kiloEnv,
          maxAgents: args.maxAgents,
          allowModels: args.allowModels,
          sandbox,
          agentNetwork: args.agentNetwork,
          // With --redis-url: registered for every node, pinned to this one (docs/deploy.md).
          cluster,
        })
      : undefined;
  const announce = (url: string) => {
    console.log(`agent-stream listening on ${url}`);
    if (!generated) return;
    console.log(`agent-stream token (generated, shown once): ${generated}`);
    // In the fragment: browsers never send it, so no server or proxy log holds the token.
    console.log(`  dashboard: ${url}/#token=${generated}   API: Authorization: Bearer <token>`);
  };
  // With --workers N: this process keeps the agents; N workers serve the viewers (docs/deploy.md).
  if (args.workers > 1)
    return announce(
      await runServePrimary({ args, token: args.token ?? generated, openWithoutTokens: !needsToken, spawn: spawnMode(), log }),
    );
  // With --redis-url: tickets, agents and their streams shared with the other servers (docs/deploy.md).
  let redis: RedisConnection | undefined;
  if (args.redisUrl) {
    let reported = 0;
    redis = await connectRedis(args.redisUrl, (err) => {
      if (Date.now() - reported > 5000) log.warn(`redis: ${err.message}`);
      reported = Date.now();
    });
  }
  // What Redis holds is checked: a record may only name --kilo-url or an --allow-kilo-url.
  const diagnostics = createRedisDiagnostics({ logger: log });
  const cluster = redis
    ? createRedisAgentCluster({
        redis,
        nodeId: args.nodeId,
        logger: log,
        diagnostics,
        allowKiloUrls: args.allowKiloUrls,
        historySize: args.historySize,
      })
    : undefined;
  const spawn = spawnMode(cluster);
  const server = createControlServer({
    cluster,
    tickets: redis ? createRedisTicketStore({ redis, diagnostics }) : undefined,
    routes: spawn?.routes,
    ...serveServerOptions(args, auth, log, clientAddress),
  });
  let demo: DemoKiloServer | undefined;
  if (args.mode === 'demo') {
    demo = await createDemoKiloServer();
    // On a cluster each node's demo is its own agent, pinned to it (its kilo lives in this process).
    if (cluster)
      await cluster.adopt({ id: `demo-${cluster.nodeId}`.slice(0, 64), url: demo.url, sessionId: demo.sessionId, watchOnly: true });
    else server.attachKilo({ url: demo.url, agentId: 'demo', sessionId: demo.sessionId, watchOnly: true });
  } else if (args.mode === 'kilo' && cluster) {
    await cluster.attach({ id: args.agentId ?? args.session ?? 'kilo', url: args.kiloUrl!, sessionId: args.session });
  } else if (args.mode === 'kilo') {
    server.attachKilo({ url: args.kiloUrl!, agentId: args.agentId, sessionId: args.session });
  }
  announce((await server.listen()).url);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    setTimeout(() => process.exit(0), 1900).unref();
    Promise.all([server.close().then(() => redis?.close()), demo?.close(), spawn?.close()]).then(
      () => process.exit(0),
      (err) => {
        log.error('shutdown failed', err);
        process.exit(0);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** `agent-stream serve …`: resolves once listening; the process exits on SIGTERM/SIGINT. */
export async function main(argv: string[]): Promise<void> {
  // A worker of `serve --workers N`: its options come from the primary, over IPC.
  if (cluster.isWorker && process.env.AGENT_STREAM_WORKER === '1') return runServeWorker(log);
  let args: ServeArgs;
  try {
    args = parseServeArgs(argv, process.env);
    // Nothing this process starts inherits them (the kernel's copy of our environment stays; see docs/security.md).
    delete process.env.AGENT_STREAM_TOKEN;
    delete process.env.AGENT_STREAM_WATCH_TOKEN;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`agent-stream: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  try {
    await serve(args);
  } catch (err) {
    console.error(`agent-stream: ${(err as Error).message}`);
    process.exit(1);
  }
}
