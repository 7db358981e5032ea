'use strict';
// `npm run bench`'s multi-node scenarios. Direct (issue 14): the same agent, the same viewers, the
// same token rate, served by 1 node in memory, 1 node through Redis, and 2 nodes through Redis
// (the viewers split over both, connected to them directly). Reports delivered events/s, server
// CPU per delivered event (the nodes, and Redis beside them) and token latency (send in the
// upstream → arrival at a viewer). Scale-out (issue 22, bench/cluster/scale-out.js): a fixed total
// of viewers × tokens/s through nginx, served by 1 node in memory, 1, 2 and 3 nodes + Redis.
//
//   node bench/cluster/run.js [--quick] [--only=direct|scale-out] [--out=FILE]
//
// `--only` runs one scenario and keeps the other's rows of the last run (FILE's .json).
// Needs dist/ (npm run build), redis-server and nginx. Every process binds 127.0.0.1 and ends with
// the run (and each child exits by itself after 10 minutes).
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { nowUs, sleep } = require('../lib/clock');
const { ask, cpuSeconds, start, startRedis } = require('./procs');
const { runScaleOut, scaleOutSection } = require('./scale-out');

const QUICK = process.argv.includes('--quick');
const ONLY = (process.argv.find((a) => a.startsWith('--only=')) ?? '').slice(7);
if (ONLY && ONLY !== 'direct' && ONLY !== 'scale-out') throw new Error(`--only=direct or --only=scale-out, not ${ONLY}`);
const OUT = (process.argv.find((a) => a.startsWith('--out=')) ?? '').slice(6) || path.join(__dirname, '..', 'results-cluster.md');
const VIEWERS = QUICK ? 100 : 1000;
const RATES = QUICK ? [200] : [200, 1000];
const WARMUP_MS = 1500;
const WINDOW_MS = QUICK ? 2000 : 6000;
const SESSION = 'ses_bench';
/** The scale-out scenario: a fixed total of viewers × tokens/s through nginx. */
const SCALE = QUICK
  ? { viewers: 300, rate: 50, warmupMs: 1500, windowMs: 2000, nginxWorkers: 1, rounds: 1 }
  : { viewers: 3000, rate: 50, warmupMs: 2000, windowMs: 8000, nginxWorkers: 1, rounds: 3 };

/** A kilo-serve-compatible upstream: `/event` plus the log routes, answering with paced deltas `t<µs> `. */
function createUpstream() {
  const clients = new Set();
  let seq = 0;
  const emit = (type, properties) => {
    const frame = `data: ${JSON.stringify({ id: `evt_${++seq}`, type, properties: { sessionID: SESSION, ...properties } })}\n\n`;
    for (const res of clients) res.write(frame);
  };
  const server = http.createServer((req, res) => {
    const p = (req.url ?? '').split('?')[0];
    if (p === '/event') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: {"type":"server.connected","properties":{}}\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    const body = p === '/session/status' ? '{}' : '[]';
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  let answers = 0;
  return {
    listen: () => new Promise((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${server.address().port}`))),
    clients: () => clients.size,
    /** Streams one answer at `rate` deltas/s until `stop()`; one delta per event-loop turn. */
    answer(rate) {
      const n = answers++;
      const part = { id: `prt_${n}`, sessionID: SESSION, messageID: `msg_${n}`, type: 'text' };
      emit('session.status', { status: { type: 'busy' } });
      emit('message.part.updated', { part: { ...part, text: '' } });
      let text = '';
      let sent = 0;
      let stopped = false;
      const first = nowUs();
      const tick = () => {
        if (stopped) return;
        const due = Math.floor((nowUs() - first) / (1e6 / rate)) + 1;
        if (sent < due) {
          const delta = `t${nowUs()} `;
          text += delta;
          sent++;
          emit('message.part.delta', { messageID: part.messageID, partID: part.id, field: 'text', delta });
          setImmediate(tick);
        } else setTimeout(tick, Math.max(0, Math.floor((first + sent * (1e6 / rate) - nowUs()) / 1000)));
      };
      tick();
      return () => {
        stopped = true;
        emit('message.part.updated', { part: { ...part, text } });
        emit('session.idle', {});
        return sent;
      };
    },
    close: () =>
      new Promise((r) => {
        for (const c of clients) c.destroy();
        server.close(() => r());
      }),
  };
}

async function measure(upstreamUrl, upstream, config) {
  const procs = [];
  try {
    let redisUrl;
    let redisPid;
    if (config.redis) {
      const r = await startRedis();
      procs.push(r.child);
      redisUrl = r.url;
      redisPid = r.child.pid;
    }
    const nodes = [];
    for (let i = 0; i < config.nodes; i++) {
      const args = [path.join(__dirname, 'node.js'), upstreamUrl, ...(redisUrl ? [redisUrl, `n${i + 1}`] : [])];
      const n = await start(process.execPath, args, /ready (\d+)/);
      procs.push(n.child);
      nodes.push({ pid: n.child.pid, url: `http://127.0.0.1:${n.match[1]}` });
    }
    const l = await start(
      process.execPath,
      [path.join(__dirname, 'load.js'), String(VIEWERS), ...nodes.map((n) => n.url)],
      /\{"connected":\d+\}\n/,
    );
    procs.push(l.child);
    const rows = [];
    for (const rate of RATES) {
      const stop = upstream.answer(rate);
      await sleep(WARMUP_MS);
      await ask(l.child, 'reset');
      const cpu0 = nodes.map((n) => cpuSeconds(n.pid));
      const redis0 = redisPid ? cpuSeconds(redisPid) : 0;
      const t0 = Date.now();
      await sleep(WINDOW_MS);
      const report = await ask(l.child, 'report');
      const seconds = (Date.now() - t0) / 1000;
      const nodeCpu = nodes.map((n, i) => cpuSeconds(n.pid) - cpu0[i]);
      const redisCpu = redisPid ? cpuSeconds(redisPid) - redis0 : 0;
      stop();
      await sleep(500);
      const cpu = nodeCpu.reduce((a, b) => a + b, 0);
      rows.push({
        scenario: 'direct',
        config: config.name,
        rate,
        viewers: VIEWERS,
        deliveredPerSec: Math.round(report.delivered / seconds),
        nodeCpuShare: nodeCpu.map((c) => c / seconds),
        redisCpuShare: redisCpu / seconds,
        cpuUsPerEvent: (cpu * 1e6) / report.delivered,
        cpuUsPerEventWithRedis: ((cpu + redisCpu) * 1e6) / report.delivered,
        p50Ms: report.p50Ms,
        p99Ms: report.p99Ms,
      });
      process.stdout.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
    }
    return rows;
  } finally {
    for (const p of procs.reverse()) p.kill('SIGKILL');
    await sleep(300);
  }
}

const pct = (x) => `${Math.round(x * 100)} %`;

/** The Markdown section of the direct scenario (issue 14). */
function directSection(rows) {
  if (rows.length === 0) return [];
  const names = [...new Set(rows.map((r) => r.config))];
  const lines = [
    '## Several nodes behind Redis (issue 14)',
    '',
    `One agent, ${rows[0].viewers} viewers (split evenly over the nodes, connected to them directly), one answer streamed at the rate shown (one \`message.part.delta\` per event-loop turn). Measured over ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s of warm-up. CPU per delivered event: the nodes' CPU time over the events all viewers received; "with Redis" adds redis-server's. Latency: the upstream's send → a viewer's read. \`node bench/cluster/run.js\` (part of \`npm run bench\`).`,
    '',
    '| setup | deltas/s | delivered events/s | node CPU (share of a core) | redis-server CPU | CPU µs / delivered event | with Redis | p50 ms | p99 ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.config} | ${r.rate} | ${r.deliveredPerSec} | ${r.nodeCpuShare.map(pct).join(' + ')} | ${r.redisCpuShare ? pct(r.redisCpuShare) : '–'} | ${r.cpuUsPerEvent.toFixed(2)} | ${r.cpuUsPerEventWithRedis.toFixed(2)} | ${r.p50Ms} | ${r.p99Ms} |`,
    ),
    '',
  ];
  for (const rate of [...new Set(rows.map((r) => r.rate))]) {
    const [one, viaRedis, two] = names.map((n) => rows.find((r) => r.rate === rate && r.config === n));
    if (!one || !viaRedis || !two) continue;
    lines.push(
      `- ${rate} deltas/s: the Redis hop adds ${(viaRedis.p50Ms - one.p50Ms).toFixed(2)} ms at p50 and ${(viaRedis.p99Ms - one.p99Ms).toFixed(2)} ms at p99; 2 nodes cost ${(two.cpuUsPerEvent / one.cpuUsPerEvent).toFixed(2)}× the CPU per delivered event of 1 node in memory (${(two.cpuUsPerEventWithRedis / one.cpuUsPerEvent).toFixed(2)}× with redis-server), each node at ${pct(Math.max(...two.nodeCpuShare))} of a core at most.`,
    );
  }
  lines.push('');
  return lines;
}

async function main() {
  const jsonFile = OUT.replace(/\.md$/, '.json');
  const previous = fs.existsSync(jsonFile) ? JSON.parse(fs.readFileSync(jsonFile, 'utf8')) : [];
  const scenarioOf = (r) => r.scenario ?? 'direct';
  const upstream = createUpstream();
  const upstreamUrl = await upstream.listen();
  const configs = [
    { name: '1 node, in memory', nodes: 1, redis: false },
    { name: '1 node + Redis', nodes: 1, redis: true },
    { name: '2 nodes + Redis', nodes: 2, redis: true },
  ];
  let direct = previous.filter((r) => scenarioOf(r) === 'direct');
  if (ONLY !== 'scale-out') {
    direct = [];
    for (const c of configs) direct.push(...(await measure(upstreamUrl, upstream, c)));
  }
  let scale = previous.filter((r) => scenarioOf(r) === 'scale-out');
  if (ONLY !== 'direct') scale = await runScaleOut(upstreamUrl, upstream, SCALE);
  await upstream.close();
  const md = `${[...directSection(direct), ...scaleOutSection(scale)].join('\n')}\n`;
  fs.writeFileSync(OUT, md);
  fs.writeFileSync(jsonFile, `${JSON.stringify([...direct, ...scale], null, 2)}\n`);
  process.stdout.write(`\n${md}`);
  process.exit(0);
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
