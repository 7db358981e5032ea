'use strict';
// One bench worker of the agent-stream-workers variant: the worker side of `serve --workers`
// (dist/workers: replicas fed by the primary, the primary's tickets) around the real control
// server on the cluster's shared port; answers the bench's `{as: 'bench', k: 'stats'}`.

const path = require('node:path');
const { trackServerSockets } = require('../lib/track-sockets');

const DIST = process.env.BENCH_DIST;
const sockets = trackServerSockets();
const { createIpcCaller } = require(path.join(DIST, 'workers', 'ipc-calls'));
const { workerEndpoint } = require(path.join(DIST, 'workers', 'ipc-endpoints'));
const { createWorkerAgentCluster } = require(path.join(DIST, 'workers', 'create-worker-agent-cluster'));
const { createIpcTicketStore } = require(path.join(DIST, 'workers', 'create-ipc-limits'));
const { createControlServer } = require(path.join(DIST, 'server'));

process.once('disconnect', () => process.exit(0));
const endpoint = workerEndpoint(process);
const off = endpoint.onMessage(async (m) => {
  if (m.k !== 'config') return;
  off();
  const rpc = createIpcCaller(endpoint);
  const cluster = createWorkerAgentCluster({ endpoint, rpc });
  const control = createControlServer({
    cluster,
    host: m.host,
    port: 0,
    ...m.options,
    tickets: createIpcTicketStore(rpc),
    ticketRate: false,
    maxConnections: 20_000,
    maxConnectionsPerAddress: 20_000,
  });
  process.on('message', (b) => {
    if (!b || b.as !== 'bench' || b.k !== 'stats') return;
    const cpu = process.cpuUsage();
    process.send({
      as: 'bench',
      k: 'stats:reply',
      v: {
        viewers: control.broadcasts.viewerCount(),
        slowDisconnects: control.metrics.slowConsumerDisconnects,
        cpuUs: cpu.user + cpu.system,
        writes: sockets.writes(),
        maxBacklog: sockets.maxBacklog(),
        rss: process.memoryUsage().rss,
      },
    });
  });
  process.once('SIGTERM', () => control.close().then(() => process.exit(0)));
  const { port } = await control.listen();
  endpoint.send({ as: 'agent-stream', k: 'listening', port });
});
