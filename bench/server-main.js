'use strict';
// Bench worker: one variant's server in its own process. argv: <variant> <upstreamUrl>
// <maxBufferedBytes> [<options JSON: {agents}>]. Sends `{type:'ready', port, connect}`; then answers `stats` (CPU, memory,
// viewers, largest unsent backlog of any accepted socket), `gc` (collect, then stats), `sampleStart`/`sampleStop` (peak memory
// over a phase). Run with --expose-gc.

const fs = require('node:fs');
const inspector = require('node:inspector');
const path = require('node:path');
const { serveWorker } = require('./lib/ipc');
const { trackServerSockets } = require('./lib/track-sockets');

const { VARIANT_SPECS } = require('./variants');

async function main() {
  const [variant, upstreamUrl, maxBuffered, json] = process.argv.slice(2);
  const spec = VARIANT_SPECS[variant];
  if (!spec) throw new Error(`unknown variant ${variant}`);
  const { agents = 1 } = json ? JSON.parse(json) : {};
  if (agents > 1 && !spec.multiAgent) throw new Error(`${variant} serves one agent only`);
  const sockets = trackServerSockets(); // before the variant creates its server
  const impl = require(path.join(__dirname, 'variants', `${spec.file}.js`));
  const server = await impl.start({
    upstreamUrl,
    host: '127.0.0.1',
    maxBufferedBytes: Number(maxBuffered),
    agents,
    streams: sockets.streams,
    ...spec.options,
  });

  let sampler = null;
  let profiler = null; // an inspector session while a phase is profiled
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => profiler.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
  // A variant with worker processes (agent-stream-workers) adds their CPU, writes, backlog and RSS.
  const children = async () => (server.children ? server.children() : { cpuUs: 0, writes: 0, maxBacklog: 0, rss: 0 });
  const stats = async () => {
    const s = await server.stats();
    const c = await children();
    const m = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      ...s,
      rss: m.rss + c.rss,
      retained: m.heapUsed + m.external,
      cpuUs: cpu.user + cpu.system + c.cpuUs,
      maxBacklogBytes: Math.max(sockets.maxBacklog(), c.maxBacklog),
    };
  };
  serveWorker(
    {
      stats,
      cpu: async () => {
        const c = process.cpuUsage();
        return c.user + c.system + (await children()).cpuUs;
      },
      /** Writes on accepted sockets so far (lib/track-sockets.js), the workers' included. */
      writes: async () => sockets.writes() + (await children()).writes,
      async gc() {
        for (let i = 0; i < 3 && global.gc; i++) {
          global.gc();
          await new Promise((r) => setTimeout(r, 20));
        }
        return stats();
      },
      /** Starts the V8 CPU profiler (the measured phase of a scenario, run with --cpu-prof=VARIANT). */
      async profileStart() {
        profiler = new inspector.Session();
        profiler.connect();
        await post('Profiler.enable');
        await post('Profiler.start');
        return null;
      },
      /** Stops it and writes `<dir>/<name>-<pid>.cpuprofile`; returns the path. */
      async profileStop({ dir, name }) {
        const { profile } = await post('Profiler.stop');
        profiler.disconnect();
        profiler = null;
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `${name}-${process.pid}.cpuprofile`);
        fs.writeFileSync(file, JSON.stringify(profile));
        return file;
      },
      /** Diagnosis: writes a heap snapshot (after GC) into `dir`, returns its path. */
      heapSnapshot({ dir, tag = Date.now() }) {
        global.gc?.();
        return require('node:v8').writeHeapSnapshot(path.join(dir, `${variant}-${process.pid}-${tag}.heapsnapshot`));
      },
      sampleStart({ everyMs = 25 }) {
        if (sampler) clearInterval(sampler.timer);
        const startRss = process.memoryUsage().rss;
        sampler = { startRss, maxRss: startRss, maxBacklogBytes: 0, maxTotalBacklogBytes: 0, peak: null, timer: null };
        const s = sampler;
        s.timer = setInterval(() => {
          const m = process.memoryUsage();
          if (m.rss > s.maxRss) {
            s.maxRss = m.rss;
            s.peak = { heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
          }
          s.maxBacklogBytes = Math.max(s.maxBacklogBytes, sockets.maxBacklog());
          s.maxTotalBacklogBytes = Math.max(s.maxTotalBacklogBytes, sockets.totalBacklog());
        }, everyMs);
        return { startRss };
      },
      sampleStop() {
        if (!sampler) throw new Error('no sampling under way');
        clearInterval(sampler.timer);
        const { startRss, maxRss, maxBacklogBytes, maxTotalBacklogBytes, peak } = sampler;
        sampler = null;
        return { startRss, maxRss, endRss: process.memoryUsage().rss, maxBacklogBytes, maxTotalBacklogBytes, peak };
      },
    },
    {
      onExit: async () => {
        if (sampler) clearInterval(sampler.timer);
        await server.close();
      },
    },
  );
  process.send({ type: 'ready', port: server.port, connect: server.connect });
}

main().catch((err) => {
  process.send?.({ type: 'failed', error: err && err.message ? err.message : String(err) });
  setTimeout(() => process.exit(1), 100);
});
