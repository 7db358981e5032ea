'use strict';
// `npm run bench`'s multi-node scenario (issue 14): the same agent, the same viewers, the same
// token rate, served by 1 node in memory, 1 node through Redis, and 2 nodes through Redis (the
// viewers split over both). Reports delivered events/s, server CPU per delivered event (the
// nodes, and Redis beside them) and token latency (send in the upstream → arrival at a viewer).
//
//   node bench/cluster/run.js [--quick] [--out=FILE]
//
// Needs dist/ (npm run build) and redis-server. Every process binds 127.0.0.1 and ends with the run.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { nowUs, sleep } = require('../lib/clock');

const QUICK = process.argv.includes('--quick');
const OUT = (process.argv.find((a) => a.startsWith('--out=')) ?? '').slice(6) || path.join(__dirname, '..', 'results-cluster.md');
const VIEWERS = QUICK ? 100 : 1000;
const RATES = QUICK ? [200] : [200, 1000];
const WARMUP_MS = 1500;
const WINDOW_MS = QUICK ? 2000 : 6000;
const SESSION = 'ses_bench';
const TICK = Number(fs.readFileSync('/proc/self/stat', 'utf8') && 100); // CLK_TCK on Linux

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) of a process, from /proc. */
function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

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

/** Starts a child process; resolves with it and the first stdout line matching `re`. */
function start(cmd, args, re) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}${err}`)), 30_000);
    child.stdout.on('data', function on(d) {
      out += d;
      const m = re.exec(out);
      if (m) {
        clearTimeout(t);
        child.stdout.off('data', on);
        resolve({ child, match: m });
      }
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out}${err}`)));
  });
}

/** Sends a command line to the load process and waits for its JSON answer. */
function ask(load, cmd) {
  return new Promise((resolve) => {
    let buf = '';
    const on = (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      load.stdout.off('data', on);
      resolve(JSON.parse(buf.slice(0, i)));
    };
    load.stdout.on('data', on);
    load.stdin.write(`${cmd}\n`);
  });
}

async function measure(upstreamUrl, upstream, config) {
  const procs = [];
  try {
    let redisUrl;
    let redisPid;
    if (config.redis) {
      const port = await freePort();
      const r = await start(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        /Ready to accept/,
      );
      procs.push(r.child);
      redisUrl = `redis://127.0.0.1:${port}`;
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

async function main() {
  const upstream = createUpstream();
  const upstreamUrl = await upstream.listen();
  const configs = [
    { name: '1 node, in memory', nodes: 1, redis: false },
    { name: '1 node + Redis', nodes: 1, redis: true },
    { name: '2 nodes + Redis', nodes: 2, redis: true },
  ];
  const rows = [];
  for (const c of configs) rows.push(...(await measure(upstreamUrl, upstream, c)));
  await upstream.close();
  const pct = (x) => `${Math.round(x * 100)} %`;
  const lines = [
    '## Several nodes behind Redis (issue 14)',
    '',
    `One agent, ${VIEWERS} viewers (split evenly over the nodes, connected to them directly), one answer streamed at the rate shown (one \`message.part.delta\` per event-loop turn). Measured over ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s of warm-up. CPU per delivered event: the nodes' CPU time over the events all viewers received; "with Redis" adds redis-server's. Latency: the upstream's send → a viewer's read. \`node bench/cluster/run.js\` (part of \`npm run bench\`).`,
    '',
    '| setup | deltas/s | delivered events/s | node CPU (share of a core) | redis-server CPU | CPU µs / delivered event | with Redis | p50 ms | p99 ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.config} | ${r.rate} | ${r.deliveredPerSec} | ${r.nodeCpuShare.map(pct).join(' + ')} | ${r.redisCpuShare ? pct(r.redisCpuShare) : '–'} | ${r.cpuUsPerEvent.toFixed(2)} | ${r.cpuUsPerEventWithRedis.toFixed(2)} | ${r.p50Ms} | ${r.p99Ms} |`,
    ),
    '',
  ];
  for (const rate of RATES) {
    const one = rows.find((r) => r.rate === rate && r.config === configs[0].name);
    const viaRedis = rows.find((r) => r.rate === rate && r.config === configs[1].name);
    const two = rows.find((r) => r.rate === rate && r.config === configs[2].name);
    lines.push(
      `- ${rate} deltas/s: the Redis hop adds ${(viaRedis.p50Ms - one.p50Ms).toFixed(2)} ms at p50 and ${(viaRedis.p99Ms - one.p99Ms).toFixed(2)} ms at p99; 2 nodes cost ${(two.cpuUsPerEvent / one.cpuUsPerEvent).toFixed(2)}× the CPU per delivered event of 1 node in memory (${(two.cpuUsPerEventWithRedis / one.cpuUsPerEvent).toFixed(2)}× with redis-server), each node at ${pct(Math.max(...two.nodeCpuShare))} of a core at most.`,
    );
  }
  const md = `${lines.join('\n')}\n`;
  fs.writeFileSync(OUT, md);
  fs.writeFileSync(OUT.replace(/\.md$/, '.json'), `${JSON.stringify(rows, null, 2)}\n`);
  process.stdout.write(`\n${md}`);
  process.exit(0);
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
