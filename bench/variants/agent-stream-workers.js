'use strict';
// agent-stream with `serve --workers N` (issue 24): this process is the primary (the agents'
// upstreams and histories, tickets, claims: dist/workers/create-worker-hub), N cluster workers
// (agent-stream-worker-main.js) serve the viewers on one shared port, each fed every agent's
// events once per event-loop turn over IPC. CPU and writes are the primary's plus the workers'.

const cluster = require('node:cluster');
const path = require('node:path');
const { benchAgents, benchTickets, streamOptions, DIST } = require('./agent-stream');

/** Asks every worker for its figures (`{as: 'bench'}` messages: agent-stream's channel ignores them). */
function askWorkers(workers, what) {
  return Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`worker ${w.process.pid} did not answer ${what}`)), 10_000);
          const on = (m) => {
            if (!m || m.as !== 'bench' || m.k !== `${what}:reply`) return;
            clearTimeout(timer);
            w.off('message', on);
            resolve(m.v);
          };
          w.on('message', on);
          w.send({ as: 'bench', k: what });
        }),
    ),
  );
}

async function start({ upstreamUrl, host, maxBufferedBytes, agents = 1, flushIntervalMs, workers: given = 2 }) {
  // BENCH_WORKERS=N measures another number of workers (e.g. 1: the IPC hop alone).
  const workers = Number(process.env.BENCH_WORKERS) || given;
  const { createWorkerHub } = require(path.join(DIST, 'workers', 'create-worker-hub'));
  const { primaryEndpoint } = require(path.join(DIST, 'workers', 'ipc-endpoints'));
  const { createMemoryClaims } = require(path.join(DIST, 'server', 'request-claims'));
  const registry = benchAgents(upstreamUrl, agents);
  const hub = createWorkerHub({
    registry,
    tickets: benchTickets(),
    // As the one-process variant (ticketRate: false): one load process opens every viewer.
    ticketRate: { take: () => ({ ok: true }), peek: () => ({ ok: true }) },
    claims: createMemoryClaims(),
    perAddress: 1_000_000,
  });
  cluster.setupPrimary({ exec: path.join(__dirname, 'agent-stream-worker-main.js'), execArgv: ['--expose-gc'], args: [] });
  const forked = [];
  const ports = [];
  for (let i = 0; i < workers; i++) {
    const w = cluster.fork({ BENCH_DIST: DIST });
    forked.push(w);
    const endpoint = primaryEndpoint(w);
    endpoint.send({ as: 'agent-stream', k: 'config', host, options: streamOptions({ maxBufferedBytes, flushIntervalMs }) });
    hub.connect(w.id, endpoint);
    ports.push(
      new Promise((resolve, reject) => {
        w.once('exit', (code) => reject(new Error(`bench worker exited (${code})`)));
        endpoint.onMessage((m) => m.k === 'listening' && resolve(m.port));
      }),
    );
  }
  const [port] = await Promise.all(ports);
  return {
    port,
    connect: { mode: 'ticket', ticketPath: '/agents/bench{agent}/stream-ticket' },
    async stats() {
      const s = await askWorkers(forked, 'stats');
      return { viewers: s.reduce((n, x) => n + x.viewers, 0), slowDisconnects: s.reduce((n, x) => n + x.slowDisconnects, 0) };
    },
    /** The workers' CPU (µs) and writes, added to this process's by server-main.js. */
    async children() {
      const s = await askWorkers(forked, 'stats');
      return {
        cpuUs: s.reduce((n, x) => n + x.cpuUs, 0),
        writes: s.reduce((n, x) => n + x.writes, 0),
        maxBacklog: Math.max(0, ...s.map((x) => x.maxBacklog)),
        rss: s.reduce((n, x) => n + x.rss, 0),
      };
    },
    close: async () => {
      registry.stopAll('shutdown');
      hub.flush();
      await Promise.all(
        forked.map((w) => new Promise((resolve) => (w.isDead() ? resolve() : (w.once('exit', resolve), w.kill('SIGTERM'))))),
      );
    },
  };
}

module.exports = { start };
