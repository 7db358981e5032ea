'use strict';
// The measurements of one variant: throughput + idle memory for each N (a fresh rig per N), then
// latency at a fixed rate and the stalled viewer (one more rig), then one answer streamed token
// by token (one more rig).

const { withRig, addViewers, deliver, streamAnswer } = require('./rig');
const { sleep } = require('./clock');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.floor((s.length - 1) / 2)];
};

/** Throughput (events published as fast as possible), server CPU per delivered event, idle memory. */
async function throughput(variant, n, cfg, log) {
  return withRig(variant, cfg, async (rig) => {
    const first = Math.min(10, n);
    await addViewers(rig, first, first);
    const before = await rig.server.call('gc');
    await addViewers(rig, n - first, n);
    await sleep(300);
    const after = await rig.server.call('gc');
    const idleBytesPerViewer = n > first ? (after.rss - before.rss) / (n - first) : null;
    const idleHeapPerViewer = n > first ? (after.retained - before.retained) / (n - first) : null;

    await deliver(rig, { count: cfg.warmup, textBytes: cfg.textBytes });
    const runs = [];
    for (let r = 0; r < cfg.reps(n); r++) {
      const got = await deliver(rig, {
        count: cfg.events,
        textBytes: cfg.textBytes,
        cpu: true,
        timeoutMs: cfg.deliverTimeoutMs,
        label: `throughput-n${n}-run${r + 1}`,
      });
      const seconds = (got.lastRecvUs - got.firstUs) / 1e6;
      const run = {
        complete: got.complete,
        records: got.records,
        expected: n * cfg.events,
        eventsPerSec: got.records > 0 && seconds > 0 ? got.records / seconds : 0,
        cpuUsPerEvent: got.records > 0 ? got.serverCpuUs / got.records : null,
        loadCpuShare: seconds > 0 ? got.loadCpuUs / 1e6 / seconds : null,
        p99Ms: got.latency.p99Ms,
      };
      runs.push(run);
      log(
        `${variant} N=${n} run ${r + 1}: ${(run.eventsPerSec / 1e6).toFixed(3)} M ev/s, ${run.cpuUsPerEvent?.toFixed(2)} µs/ev, ` +
          `load CPU ${Math.round((run.loadCpuShare ?? 0) * 100)}%${run.complete ? '' : `, INCOMPLETE ${got.records}/${run.expected}`}`,
      );
    }
    return {
      n,
      eventsPerSec: median(runs.map((r) => r.eventsPerSec)),
      cpuUsPerEvent: median(runs.map((r) => r.cpuUsPerEvent ?? Infinity)),
      loadCpuShare: median(runs.map((r) => r.loadCpuShare ?? 0)),
      complete: runs.every((r) => r.complete),
      runs,
      idleBytesPerViewer,
      idleHeapPerViewer,
    };
  });
}

/** p50/p99/max at a fixed rate; then (unless `cfg.skipStall`) a stalled viewer next to the reading ones. */
async function latencyAndStall(variant, cfg, log) {
  const { latency: L, stall: S } = cfg;
  return withRig(variant, cfg, async (rig) => {
    await addViewers(rig, L.n, L.n);
    await deliver(rig, { count: cfg.warmup, textBytes: cfg.textBytes });

    const lat = await deliver(rig, {
      count: Math.round(L.rate * L.seconds),
      ratePerSec: L.rate,
      textBytes: cfg.textBytes,
      timeoutMs: L.seconds * 1000 + 30_000,
      cpu: true,
      label: 'latency',
    });
    const share = (us) => Math.round((us / 1e6 / L.seconds) * 100);
    log(
      `${variant} latency N=${L.n} @${L.rate}/s: p50 ${lat.latency.p50Ms} ms, p99 ${lat.latency.p99Ms} ms, max ${lat.latency.maxMs} ms, ` +
        `server CPU ${share(lat.serverCpuUs)}%, ${(lat.serverWrites / L.n / L.seconds).toFixed(1)} writes/viewer/s, load CPU ${share(lat.loadCpuUs)}%${lat.complete ? '' : ' INCOMPLETE'}`,
    );
    const latency = {
      n: L.n,
      rate: L.rate,
      ...lat.latency,
      complete: lat.complete,
      serverCpuShare: lat.serverCpuUs / 1e6 / L.seconds,
      loadCpuShare: lat.loadCpuUs / 1e6 / L.seconds,
      cpuUsPerEvent: lat.records > 0 ? lat.serverCpuUs / lat.records : null,
      writesPerViewerPerSec: lat.serverWrites / L.n / L.seconds,
      cpuUsPerWrite: lat.serverWrites > 0 ? lat.serverCpuUs / lat.serverWrites : null,
    };
    if (cfg.skipStall) return { latency };

    // Baseline: every viewer reads, as long as the stalled phase. In the full run it publishes ≥ the
    // 1000 events agent-stream retains, so the stalled phase starts with a full history.
    const big = { ratePerSec: S.rate, textBytes: S.textBytes, parts: S.parts };
    const phase = async (seconds, label) => {
      const start = await rig.server.call('gc');
      await rig.server.call('sampleStart', {});
      const t0 = Date.now();
      const got = await deliver(rig, { ...big, count: Math.round(S.rate * seconds), timeoutMs: seconds * 1000 + 30_000, cpu: true, label });
      const wall = (Date.now() - t0) / 1000;
      got.serverCpuShare = got.serverCpuUs / 1e6 / wall;
      got.loadCpuShare = got.loadCpuUs / 1e6 / wall;
      const mem = await rig.server.call('sampleStop');
      const end = await rig.server.call('gc');
      if (process.env.BENCH_DEBUG)
        log(
          `${variant} phase memory at peak RSS: ${JSON.stringify(mem.peak)}; all sockets' unsent bytes at most ${mem.maxTotalBacklogBytes}`,
        );
      return {
        got,
        peak: mem.peak,
        maxTotalBacklogBytes: mem.maxTotalBacklogBytes,
        peakRssGrowth: mem.maxRss - mem.startRss,
        retainedGrowth: end.retained - start.retained,
        maxBacklogBytes: mem.maxBacklogBytes,
        end,
      };
    };
    const base = await phase(S.baselineSeconds, 'stall-baseline');
    await rig.load.call('stall', { index: 0 });
    const stalled = await phase(S.stallSeconds, 'stall');
    const drained = await rig.load.call('drainStalled', { index: 0, timeoutMs: 3000 }, 10_000);
    const result = {
      latency,
      stall: {
        n: L.n,
        eventBytes: S.textBytes,
        baselineP99Ms: base.got.latency.p99Ms,
        baselineServerCpuShare: base.got.serverCpuShare,
        baselineLoadCpuShare: base.got.loadCpuShare,
        stallServerCpuShare: stalled.got.serverCpuShare,
        stalledP99Ms: stalled.got.latency.p99Ms,
        stalledMaxMs: stalled.got.latency.maxMs,
        othersComplete: stalled.got.complete,
        baselinePeakMemory: base.peak,
        stallPeakMemory: stalled.peak,
        baselinePeakRssGrowth: base.peakRssGrowth,
        stallPeakRssGrowth: stalled.peakRssGrowth,
        baselineRetainedGrowth: base.retainedGrowth,
        stallRetainedGrowth: stalled.retainedGrowth,
        baselineMaxBacklogBytes: base.maxBacklogBytes,
        maxBacklogBytes: stalled.maxBacklogBytes,
        baselineMaxTotalBacklogBytes: base.maxTotalBacklogBytes,
        stallMaxTotalBacklogBytes: stalled.maxTotalBacklogBytes,
        endBacklogBytes: stalled.end.maxBacklogBytes,
        viewersBefore: L.n,
        viewersAfter: stalled.end.viewers,
        disconnected: stalled.end.viewers === L.n - 1,
        slowDisconnects: stalled.end.slowDisconnects,
        drainedEnded: drained.ended,
        drainedRecords: drained.recordsAfterResume,
        published: Math.round(S.rate * S.stallSeconds),
      },
    };
    const s = result.stall;
    const m = (b) => (b / 1048576).toFixed(2);
    const pm = (b) => `${b >= 0 ? '+' : ''}${m(b)}`;
    log(
      `${variant} stall: others p99 ${s.baselineP99Ms} -> ${s.stalledP99Ms} ms, server CPU ${Math.round(s.baselineServerCpuShare * 100)}% / ` +
        `${Math.round(s.stallServerCpuShare * 100)}%, load CPU ${Math.round(s.baselineLoadCpuShare * 100)}%, peak RSS ${pm(s.stallPeakRssGrowth)} MiB (baseline ${pm(s.baselinePeakRssGrowth)}), ` +
        `retained ${pm(s.stallRetainedGrowth)} MiB (baseline ${pm(s.baselineRetainedGrowth)}), peak backlog ${m(s.maxBacklogBytes)} MiB (at end ${m(s.endBacklogBytes)}), ` +
        `viewers ${s.viewersBefore} -> ${s.viewersAfter}, stalled got ${s.drainedRecords}/${s.published} after resume, ended ${s.drainedEnded}`,
    );
    return result;
  });
}

/** One answer streamed as `tokens` deltas to N viewers: bytes per viewer, server CPU per delivered token, latency. */
async function tokenStream(variant, cfg, log) {
  const T = cfg.tokens;
  return withRig(variant, cfg, async (rig) => {
    await addViewers(rig, T.n, T.n);
    await streamAnswer(rig, { tokens: T.warmupTokens, ratePerSec: T.rate, timeoutMs: 30_000, label: 'tokens-warmup' });
    const got = await streamAnswer(rig, { tokens: T.tokens, ratePerSec: T.rate, timeoutMs: 30_000 });
    const r = {
      n: T.n,
      tokens: T.tokens,
      rate: T.rate,
      textBytes: got.textBytes,
      publishSeconds: got.publishSeconds,
      complete: got.complete,
      viewersComplete: got.bytes.complete,
      viewersClosed: got.closed,
      delivered: got.records,
      // Mean over the viewers that got every token (a viewer cut off midway received less).
      bytesPerViewer: got.bytes.meanComplete,
      minBytes: got.bytes.min,
      maxBytes: got.bytes.max,
      cpuUsPerToken: got.records > 0 ? got.serverCpuUs / got.records : null,
      serverCpuShare: got.serverCpuUs / 1e6 / got.publishSeconds,
      loadCpuShare: got.loadCpuUs / 1e6 / got.publishSeconds,
      writesPerViewerPerSec: got.serverWrites / T.n / got.publishSeconds,
      cpuUsPerWrite: got.serverWrites > 0 ? got.serverCpuUs / got.serverWrites : null,
      ...got.latency,
    };
    const kib = (b) => (b == null ? '–' : (b / 1024).toFixed(1));
    log(
      `${variant} tokens N=${T.n}, ${T.tokens} deltas @${T.rate}/s: ${kib(r.bytesPerViewer)} KiB per viewer (${kib(r.textBytes)} KiB of text), ` +
        `${r.cpuUsPerToken?.toFixed(2)} µs CPU per delivered token, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms, ` +
        `server CPU ${Math.round(r.serverCpuShare * 100)}%, ${r.writesPerViewerPerSec.toFixed(1)} writes/viewer/s, load CPU ${Math.round(r.loadCpuShare * 100)}%` +
        `${r.complete ? '' : `, INCOMPLETE: ${r.viewersComplete}/${T.n} viewers got every token, ${r.viewersClosed} closed`}`,
    );
    return r;
  });
}

module.exports = { throughput, latencyAndStall, tokenStream };
