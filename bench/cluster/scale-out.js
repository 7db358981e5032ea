'use strict';
// The scale-out curve (issue 22), part of bench/cluster/run.js: one agent answering at a fixed
// token rate to a fixed total of viewers, all through nginx configured as docs/deploy.md says,
// served by 1 node in memory, 1 node + Redis, 2 and 3 nodes + Redis. Per setup: each node's CPU,
// redis-server's, nginx's and the load generator's, delivered events/s, token latency p50/p99
// (the upstream's send → a viewer's read), and the load average of the machine meanwhile.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { sleep } = require('../lib/clock');
const { startNginx } = require('./nginx');
const { ask, childPids, cpuSeconds, start, startRedis } = require('./procs');

const SETUPS = [
  { name: '1 node, in memory', nodes: 1, redis: false },
  { name: '1 node + Redis', nodes: 1, redis: true },
  { name: '2 nodes + Redis', nodes: 2, redis: true },
  { name: '3 nodes + Redis', nodes: 3, redis: true },
];

const loadavg1 = () => Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/** One setup: start Redis, the nodes, nginx, the viewers; stream at `rate`; measure a window. */
async function measureSetup(upstreamUrl, upstream, setup, o) {
  const stops = [];
  try {
    let redis;
    if (setup.redis) {
      redis = await startRedis();
      stops.push(() => redis.child.kill('SIGKILL'));
    }
    const nodes = [];
    for (let i = 0; i < setup.nodes; i++) {
      const args = [path.join(__dirname, 'node.js'), upstreamUrl, ...(redis ? [redis.url, `s${i + 1}`] : [])];
      const n = await start(process.execPath, args, /ready (\d+)/);
      stops.push(() => n.child.kill('SIGKILL'));
      nodes.push({ pid: n.child.pid, host: `127.0.0.1:${n.match[1]}` });
    }
    const nginx = await startNginx(
      nodes.map((n) => n.host),
      o.nginxWorkers,
    );
    stops.push(() => nginx.stop());
    const nginxPids = [nginx.child.pid, ...childPids(nginx.child.pid)];
    const l = await start(process.execPath, [path.join(__dirname, 'load.js'), String(o.viewers), nginx.url], /\{"connected":\d+\}\n/, {
      timeoutMs: 180_000,
    });
    stops.push(() => l.child.kill('SIGKILL'));
    for (let i = 0; upstream.clients() < 1 && i < 200; i++) await sleep(50); // the owner consumes the upstream
    const stop = upstream.answer(o.rate);
    try {
      await sleep(o.warmupMs);
      await ask(l.child, 'reset');
      const cpu = () => ({
        nodes: nodes.map((n) => cpuSeconds(n.pid)),
        redis: redis ? cpuSeconds(redis.child.pid) : 0,
        nginx: nginxPids.reduce((s, pid) => s + cpuSeconds(pid), 0),
        load: cpuSeconds(l.child.pid),
      });
      const c0 = cpu();
      const t0 = Date.now();
      const loads = [];
      while (Date.now() - t0 < o.windowMs) {
        await sleep(Math.min(1000, o.windowMs - (Date.now() - t0)));
        loads.push(loadavg1());
      }
      const report = await ask(l.child, 'report');
      const seconds = (Date.now() - t0) / 1000;
      const c1 = cpu();
      const nodeCpuShare = nodes.map((_, i) => (c1.nodes[i] - c0.nodes[i]) / seconds);
      const allNodes = nodeCpuShare.reduce((a, b) => a + b, 0);
      const redisCpuShare = (c1.redis - c0.redis) / seconds;
      return {
        scenario: 'scale-out',
        config: setup.name,
        nodes: setup.nodes,
        redis: setup.redis,
        viewers: o.viewers,
        rate: o.rate,
        windowMs: o.windowMs,
        nginxWorkers: o.nginxWorkers,
        deliveredPerSec: Math.round(report.delivered / seconds),
        expectedPerSec: o.viewers * o.rate,
        nodeCpuShare,
        nodesCpuShare: allNodes,
        redisCpuShare,
        nginxCpuShare: (c1.nginx - c0.nginx) / seconds,
        loadCpuShare: (c1.load - c0.load) / seconds,
        cpuUsPerEvent: (allNodes * seconds * 1e6) / report.delivered,
        cpuUsPerEventWithRedis: ((allNodes + redisCpuShare) * seconds * 1e6) / report.delivered,
        p50Ms: report.p50Ms,
        p99Ms: report.p99Ms,
        loadavg: { min: Math.min(...loads), max: Math.max(...loads) },
        date: new Date().toISOString(),
      };
    } finally {
      stop();
    }
  } finally {
    for (const s of stops.reverse()) s();
    await sleep(500);
  }
}

const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};

/** One row per setup from its rounds: the median of every figure, the spread of p99 and of the load average, the rounds themselves. */
function aggregate(samples) {
  const row = { ...samples[0] };
  for (const [k, v] of Object.entries(samples[0])) if (typeof v === 'number') row[k] = median(samples.map((x) => x[k]));
  row.nodeCpuShare = samples[0].nodeCpuShare.map((_, i) => median(samples.map((x) => [...x.nodeCpuShare].sort((a, b) => b - a)[i])));
  row.p99Range = [Math.min(...samples.map((x) => x.p99Ms)), Math.max(...samples.map((x) => x.p99Ms))];
  row.loadavg = { min: Math.min(...samples.map((x) => x.loadavg.min)), max: Math.max(...samples.map((x) => x.loadavg.max)) };
  row.rounds = samples.length;
  row.samples = samples;
  return row;
}

/**
 * Runs every setup `o.rounds` times, the order rotated each round (a burst of load on the shared
 * machine then hits a different setup); resolves with one aggregated row per setup.
 * @param {{viewers: number, rate: number, warmupMs: number, windowMs: number, nginxWorkers: number, rounds: number}} o
 */
async function runScaleOut(upstreamUrl, upstream, o) {
  const samples = new Map(SETUPS.map((s) => [s.name, []]));
  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < SETUPS.length; i++) {
      const setup = SETUPS[(i + round) % SETUPS.length];
      const row = await measureSetup(upstreamUrl, upstream, setup, o);
      process.stdout.write(`${JSON.stringify(row)}\n`);
      samples.get(setup.name).push(row);
    }
  }
  return SETUPS.map((s) => aggregate(samples.get(s.name)));
}

const pct = (x) => (x < 0.1 ? `${(x * 100).toFixed(1)} %` : `${Math.round(x * 100)} %`);

/** The Markdown section of bench/results-cluster.md for the scale-out rows. */
function scaleOutSection(rows) {
  if (rows.length === 0) return [];
  const r0 = rows[0];
  const mem = rows.find((r) => !r.redis);
  const viaRedis = rows.find((r) => r.redis && r.nodes === 1);
  const loads = rows.map((r) => r.loadavg);
  const lines = [
    '## Scale-out behind nginx (issue 22)',
    '',
    `One agent answering at ${r0.rate} tokens/s (one \`message.part.delta\` each) to ${r0.viewers} viewers in total (${r0.viewers * r0.rate} events/s to deliver), all through one nginx configured as docs/deploy.md says (round robin over the nodes; ${r0.nginxWorkers ?? 1} worker process), served by 1 node in memory, then 1, 2 and 3 nodes sharing one redis-server. CPU is a share of one core over the measured window (${(r0.windowMs ?? 0) / 1000 || '–'} s after a warm-up); latency is the upstream's send → a viewer's read, over all viewers. \`node bench/cluster/run.js\` (part of \`npm run bench\`; \`--only=scale-out\` runs this part alone).`,
    '',
    `**Noisy numbers.** This machine has 2 cores and was shared with other sessions during the run: the 1-minute load average during the windows was ${Math.min(...loads.map((l) => l.min)).toFixed(2)}–${Math.max(...loads.map((l) => l.max)).toFixed(2)} (per row below). The load generator and nginx run on the same 2 cores as the nodes, so more nodes do not mean more cores here: read the CPU figures as the cost per node and in total, not as capacity.`,
    '',
    `Each setup ran ${r0.rounds ?? 1} times (the order rotated each round); every figure is the median of its rounds, with the range of p99 beside it.`,
    '',
    '| setup | delivered events/s (of expected) | CPU per node | all nodes | redis-server | nginx | load generator | CPU µs / delivered event (with Redis) | p50 ms | p99 ms (range) | load average |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.config} | ${r.deliveredPerSec} (${pct(r.deliveredPerSec / r.expectedPerSec)}) | ${r.nodeCpuShare.map(pct).join(' + ')} | ${pct(r.nodesCpuShare)} | ${r.redis ? pct(r.redisCpuShare) : '–'} | ${pct(r.nginxCpuShare)} | ${pct(r.loadCpuShare)} | ${r.cpuUsPerEvent.toFixed(2)} (${r.cpuUsPerEventWithRedis.toFixed(2)}) | ${r.p50Ms} | ${r.p99Ms} (${(r.p99Range ?? [r.p99Ms, r.p99Ms]).join('–')}) | ${r.loadavg.min.toFixed(1)}–${r.loadavg.max.toFixed(1)} |`,
    ),
    '',
  ];
  if (mem && viaRedis) {
    lines.push(
      `- **The Redis hop** (1 node in memory → 1 node + Redis): node CPU ${pct(mem.nodesCpuShare)} → ${pct(viaRedis.nodesCpuShare)} (${(viaRedis.nodesCpuShare / mem.nodesCpuShare).toFixed(2)}×), plus redis-server at ${pct(viaRedis.redisCpuShare)}; p50 ${mem.p50Ms} → ${viaRedis.p50Ms} ms, p99 ${mem.p99Ms} → ${viaRedis.p99Ms} ms.`,
    );
  }
  for (const r of rows.filter((x) => x.redis && x.nodes > 1)) {
    lines.push(
      `- **${r.config}**: the busiest node at ${pct(Math.max(...r.nodeCpuShare))} of a core (1 node + Redis: ${viaRedis ? pct(viaRedis.nodesCpuShare) : '–'}); all nodes together ${pct(r.nodesCpuShare)}; redis-server ${pct(r.redisCpuShare)}; p99 ${r.p99Ms} ms.`,
    );
  }
  const viaRedisRows = rows.filter((r) => r.redis);
  lines.push(
    `- **redis-server**: ${viaRedisRows.map((r) => `${pct(r.redisCpuShare)} with ${r.nodes} node${r.nodes > 1 ? 's' : ''}`).join(', ')} of a core: it carries each event once per node (one blocking reader per agent per node), not once per viewer.`,
  );
  const starved = rows.filter((r) => r.deliveredPerSec < 0.95 * r.expectedPerSec);
  if (starved.length > 0) {
    lines.push(
      `- **Starved**: ${starved.map((r) => r.config).join(', ')} delivered less than 95 % of the events due in the window: the processes did not get the CPU they needed on the shared machine, so their latency is the machine's backlog and their CPU share is what they were given, not what they needed.`,
    );
  }
  lines.push(
    '',
    '![scale-out: CPU by setup](charts/scale-out-cpu.svg)',
    '![scale-out: latency by setup](charts/scale-out-latency.svg)',
    '',
  );
  return lines;
}

module.exports = { SETUPS, runScaleOut, scaleOutSection, machine: () => ({ cores: os.cpus().length, node: process.version }) };
