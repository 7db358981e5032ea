import { createDemoKiloServer, type DemoKiloServer } from '../demo/create-demo-kilo-server';
import { createControlServer } from '../server/create-control-server';
import { parseServeArgs, USAGE, UsageError, type ServeArgs } from './parse-serve-args';
import { createSpawnMode } from './spawn-routes';

const log = {
  info: (m: string, ...r: unknown[]) => console.error(m, ...r),
  warn: (m: string, ...r: unknown[]) => console.error(m, ...r),
  error: (m: string, ...r: unknown[]) => console.error(m, ...r),
};

async function serve(args: ServeArgs): Promise<void> {
  const spawn =
    args.mode === 'spawn'
      ? createSpawnMode({ logger: log, llmUrl: args.llmUrl, kiloEnv: args.kiloEnv, maxAgents: args.maxAgents, allowModels: args.allowModels })
      : undefined;
  const server = createControlServer({
    host: args.host,
    port: args.port,
    keepaliveMs: args.keepaliveMs,
    logger: log,
    routes: spawn?.routes,
  });
  let demo: DemoKiloServer | undefined;
  if (args.mode === 'demo') {
    demo = await createDemoKiloServer();
    server.attachKilo({ url: demo.url, agentId: 'demo', sessionId: demo.sessionId });
  } else if (args.mode === 'kilo') {
    server.attachKilo({ url: args.kiloUrl!, agentId: args.agentId, sessionId: args.session });
  }
  const { url } = await server.listen();
  console.log(`agent-stream listening on ${url}`);

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
