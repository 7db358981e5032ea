'use strict';
// Cluster bench worker: one control server (the library's, from dist/), attached to the bench
// upstream, alone in memory or in a Redis deployment. argv: <upstreamUrl> [redisUrl] [nodeId].
// Prints `ready <port>` on stdout; exits when its parent goes away.
const { createControlServer } = require('../../dist/server');
const { connectRedis, createRedisAgentCluster, createRedisTicketStore } = require('../../dist/redis');

async function main() {
  const [upstreamUrl, redisUrl, nodeId] = process.argv.slice(2);
  // All viewers come through one nginx (one address): no per-address cap.
  const common = { port: 0, ticketRate: false, maxConnections: 20_000, maxConnectionsPerAddress: 20_000 };
  let server;
  if (redisUrl) {
    const redis = await connectRedis(redisUrl, (err) => process.stderr.write(`redis: ${err.message}\n`));
    const cluster = createRedisAgentCluster({ redis, nodeId, pollMs: 500 });
    server = createControlServer({
      ...common,
      cluster,
      tickets: createRedisTicketStore({ redis, capacity: 100_000, capacityPerAgent: 100_000 }),
    });
    await cluster.attach({ id: 'bench', url: upstreamUrl, sessionId: 'ses_bench' });
  } else {
    const { createMemoryTicketStore } = require('../../dist');
    server = createControlServer({ ...common, tickets: createMemoryTicketStore({ capacity: 100_000, capacityPerAgent: 100_000 }) });
    server.attachKilo({ url: upstreamUrl, agentId: 'bench', sessionId: 'ses_bench' });
  }
  const { port } = await server.listen();
  process.stdout.write(`ready ${port}\n`);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  setTimeout(() => process.exit(0), 10 * 60_000).unref();
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
