import { createDemoKiloServer, type DemoKiloServer } from '../demo/create-demo-kilo-server';
import { randomBytes } from 'node:crypto';
import { createControlServer } from '../server/create-control-server';
import { createTokenAuth } from '../server/create-token-auth';
import { parseServeArgs, USAGE, UsageError, type ServeArgs } from './parse-serve-args';
import { createSpawnMode } from './spawn-routes';

const log = {
  info: (m: string, ...r: unknown[]) => console.error(m, ...r),
  warn: (m: string, ...r: unknown[]) => console.error(m, ...r),
  error: (m: string, ...r: unknown[]) => console.error(m, ...r),
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

async function serve(args: ServeArgs): Promise<void> {
  // A token is required beyond loopback and with --spawn; one is generated when not given.
  const loopback = LOOPBACK.has(args.host.toLowerCase());
  const needsToken = !loopback || args.mode === 'spawn';
  let generated: string | undefined;
  if (needsToken && args.token === undefined) generated = randomBytes(24).toString('base64url');
  const auth = createTokenAuth({ token: args.token ?? generated, watchToken: args.watchToken, openWithoutTokens: !needsToken });
  const spawn =
    args.mode === 'spawn'
      ? createSpawnMode({
          logger: log,
          llmUrl: args.llmUrl,
          kiloEnv: args.kiloEnv,
          maxAgents: args.maxAgents,
          allowModels: args.allowModels,
        })
      : undefined;
  const server = createControlServer({
    host: args.host,
    port: args.port,
    keepaliveMs: args.keepaliveMs,
    flushIntervalMs: args.flushIntervalMs,
    logger: log,
    routes: spawn?.routes,
    authorize: auth.authorize,
    login: auth.login,
    identify: auth.identify,
    allowHosts: args.allowHosts,
    allowOrigins: args.allowOrigins,
    maxConnections: args.maxConnections,
  });
  let demo: DemoKiloServer | undefined;
  if (args.mode === 'demo') {
    demo = await createDemoKiloServer();
    server.attachKilo({ url: demo.url, agentId: 'demo', sessionId: demo.sessionId, watchOnly: true });
  } else if (args.mode === 'kilo') {
    server.attachKilo({ url: args.kiloUrl!, agentId: args.agentId, sessionId: args.session });
  }
  const { url } = await server.listen();
  console.log(`agent-stream listening on ${url}`);
  if (generated) {
    console.log(`agent-stream token (generated, shown once): ${generated}`);
    console.log(`  dashboard: ${url}/?token=${generated}   API: Authorization: Bearer <token>`);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    setTimeout(() => process.exit(0), 1900).unref();
    Promise.all([server.close(), demo?.close(), spawn?.close()]).then(
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
  let args: ServeArgs;
  try {
    args = parseServeArgs(argv, process.env);
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
