'use strict';
// `npm run bench`'s pictures: SVG charts beside the tables, from the raw figures of the last runs
// (bench/results.json, bench/results-cluster.json), drawn by bench/lib/svg-chart.js.
//
//   node bench/charts.js [--results=bench/results.json] [--cluster=bench/results-cluster.json]
//                        [--workers=bench/results-workers.json] [--out=bench/charts]
//
// - cpu-per-event-vs-viewers.svg: server CPU per delivered event against the number of viewers,
//   one line per variant (throughput scenario);
// - p99-vs-token-rate.svg: p99 latency against the event rate of the paced scenarios (20/s: 100
//   agents × 10 viewers; 50/s: 10 000 viewers; 100/s: 1000 viewers of one answer; 200/s: 1000
//   viewers), one line per variant;
// - scaling.svg: CPU per delivered event and p99 of one node, one node through Redis, two nodes
//   (and `serve --workers N`, when a run has it), at each rate of the multi-node bench;
// - workers-latency.svg, workers-cpu.svg: the viewers scenario (10 000 viewers × 50 tokens/s)
//   with one process (agent-stream) and with `serve --workers 2` (agent-stream-workers): p50 and
//   p99 against the 60 ms target, and the CPU of all processes (issue 24). From
//   bench/results-workers.json (`--workers=FILE`), else bench/results.json when it has both.
// - scale-out-cpu.svg, scale-out-latency.svg: the scale-out curve (1, 2, 3 nodes behind nginx at a
//   fixed total of viewers × tokens/s): CPU per node, all nodes, redis-server, nginx; p50/p99.

const fs = require('node:fs');
const path = require('node:path');
const { lineChart } = require('./lib/svg-chart');

const arg = (name, dflt) => (process.argv.find((a) => a.startsWith(`--${name}=`)) ?? '').slice(name.length + 3) || dflt;
const resultsFile = path.resolve(arg('results', path.join(__dirname, 'results.json')));
const clusterFile = path.resolve(arg('cluster', path.join(__dirname, 'results-cluster.json')));
const workersFile = path.resolve(arg('workers', path.join(__dirname, 'results-workers.json')));
const outDir = path.resolve(arg('out', path.join(__dirname, 'charts')));

const read = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null);

/** The workers' scaling (issue 24): the viewers scenario with 1 process and with N workers. */
function workerCharts(run) {
  const one = run?.results?.['agent-stream']?.viewers;
  const many = run?.results?.['agent-stream-workers']?.viewers;
  if (!one || !many || !Number.isFinite(one.p99Ms) || !Number.isFinite(many.p99Ms)) return {};
  const n = run.config?.workers ?? 2;
  const note = `${many.viewers} viewers × ${many.rate} tokens/s; ${run.machine.cores} cores, ${run.machine.date}; load ${run.machine.loadavg}`;
  const at = (key, scale = 1) => [
    [1, one[key] * scale],
    [n, many[key] * scale],
  ];
  return {
    'workers-latency.svg': lineChart({
      title: 'serve --workers: latency of every token to every viewer',
      xLabel: 'processes serving viewers (1: no workers)',
      yLabel: 'ms',
      xTicks: [1, n],
      series: [
        { name: 'p99', points: at('p99Ms') },
        { name: 'p50', points: at('p50Ms') },
        {
          name: 'target p99',
          points: [
            [1, 60],
            [n, 60],
          ],
        },
      ],
      note,
    }),
    'workers-cpu.svg': lineChart({
      title: 'serve --workers: CPU of all processes (% of one core)',
      xLabel: 'processes serving viewers (1: no workers)',
      yLabel: '% of one core',
      xTicks: [1, n],
      series: [{ name: 'server CPU', points: at('serverCpuShare', 100) }],
      note,
    }),
  };
}

function charts(run, cluster, workersRun = run) {
  const out = { ...workerCharts(workersRun) };
  if (run) {
    const note = `${run.machine.cores} cores, ${run.machine.node}, ${run.machine.date}; load ${run.machine.loadavg}`;
    const variants = Object.entries(run.results).filter(([, r]) => r.available !== false);
    out['cpu-per-event-vs-viewers.svg'] = lineChart({
      title: 'Server CPU per delivered event vs viewers (burst of events)',
      xLabel: 'viewers (log scale)',
      yLabel: 'server CPU µs per delivered event',
      logX: true,
      series: variants.map(([name, r]) => ({
        name,
        points: Object.values(r.throughput ?? {})
          .filter((t) => t && Number.isFinite(t.cpuUsPerEvent))
          .map((t) => [t.n, t.cpuUsPerEvent]),
      })),
      note,
    });
    const paced = [
      ['agents', (s) => s.rate],
      ['viewers', (s) => s.rate],
      ['tokens', (s) => s.rate],
      ['latency', (s) => s.rate],
    ];
    out['p99-vs-token-rate.svg'] = lineChart({
      title: 'p99 latency vs event rate (paced scenarios)',
      xLabel: 'events per second per agent',
      yLabel: 'p99 ms',
      series: variants.map(([name, r]) => ({
        name,
        points: paced.flatMap(([k, rateOf]) => (r[k] && Number.isFinite(r[k].p99Ms) ? [[rateOf(r[k]), r[k].p99Ms]] : [])),
      })),
      note: `20/s: 100 agents × 10 viewers; 50/s: 10 000 viewers; 100/s, 200/s: 1000 viewers. ${note}`,
    });
  }
  const scale = (cluster ?? []).filter((c) => c.scenario === 'scale-out');
  cluster = cluster && cluster.filter((c) => (c.scenario ?? 'direct') === 'direct');
  if (cluster && cluster.length > 0) {
    const configs = [...new Set(cluster.map((c) => c.config))];
    const rates = [...new Set(cluster.map((c) => c.rate))].sort((a, b) => a - b);
    out['scaling.svg'] = lineChart({
      title: 'Scaling across processes: CPU per delivered event, by setup',
      xLabel: 'events per second (1000 viewers)',
      yLabel: 'CPU µs per delivered event (all processes)',
      xTicks: rates,
      series: configs.map((config) => ({
        name: config,
        points: cluster.filter((c) => c.config === config).map((c) => [c.rate, c.cpuUsPerEventWithRedis ?? c.cpuUsPerEvent]),
      })),
    });
    out['scaling-p99.svg'] = lineChart({
      title: 'Scaling across processes: p99 latency, by setup',
      xLabel: 'events per second (1000 viewers)',
      yLabel: 'p99 ms',
      xTicks: rates,
      series: configs.map((config) => ({ name: config, points: cluster.filter((c) => c.config === config).map((c) => [c.rate, c.p99Ms]) })),
    });
  }
  if (scale.length > 0) {
    const note = `${scale[0].viewers} viewers × ${scale[0].rate} tokens/s through nginx; load average ${Math.min(...scale.map((r) => r.loadavg.min))}–${Math.max(...scale.map((r) => r.loadavg.max))} (shared 2-core machine: noisy)`;
    const redis = scale.filter((r) => r.redis);
    const mem = scale.filter((r) => !r.redis);
    const share = (rows, f) => rows.map((r) => [r.nodes, Math.round(f(r) * 1000) / 10]);
    out['scale-out-cpu.svg'] = lineChart({
      title: 'Scale-out: CPU by number of nodes (fixed total load)',
      xLabel: 'nodes behind nginx',
      yLabel: '% of one core',
      xTicks: [...new Set(scale.map((r) => r.nodes))],
      series: [
        { name: 'busiest node (Redis)', points: share(redis, (r) => Math.max(...r.nodeCpuShare)) },
        { name: 'all nodes (Redis)', points: share(redis, (r) => r.nodesCpuShare) },
        { name: 'redis-server', points: share(redis, (r) => r.redisCpuShare) },
        { name: 'nginx', points: share(redis, (r) => r.nginxCpuShare) },
        { name: '1 node in memory', points: share(mem, (r) => r.nodesCpuShare) },
      ],
      note,
    });
    out['scale-out-latency.svg'] = lineChart({
      title: 'Scale-out: token latency by number of nodes',
      xLabel: 'nodes behind nginx',
      yLabel: 'ms (upstream send → viewer read)',
      xTicks: [...new Set(scale.map((r) => r.nodes))],
      series: [
        { name: 'p99 (Redis)', points: redis.map((r) => [r.nodes, r.p99Ms]) },
        { name: 'p50 (Redis)', points: redis.map((r) => [r.nodes, r.p50Ms]) },
        { name: 'p99, 1 node in memory', points: mem.map((r) => [r.nodes, r.p99Ms]) },
        { name: 'p50, 1 node in memory', points: mem.map((r) => [r.nodes, r.p50Ms]) },
      ],
      note,
    });
  }
  return out;
}

if (require.main === module) {
  const run = read(resultsFile);
  const written = charts(run, read(clusterFile), read(workersFile) ?? run);
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, svg] of Object.entries(written)) fs.writeFileSync(path.join(outDir, name), svg);
  process.stderr.write(
    `charts: ${
      Object.keys(written)
        .map((n) => path.join(path.relative(process.cwd(), outDir), n))
        .join(', ') || 'no results to draw'
    }\n`,
  );
}

module.exports = { charts };
