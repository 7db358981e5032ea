'use strict';
// The scenarios at the pace agents really stream (issue 16): token deltas, each in its own
// event-loop turn and carrying its send time, to many viewers of one agent (`viewers`: 10 000,
// idle memory first) or to many agents with a few viewers each (`agents`: 100 × 10).

const { withRig, addViewers, deliverDeltas } = require('./rig');
const { sleep } = require('./clock');

/**
 * @param {string} variant
 * @param {object} cfg the run's config (rig options)
 * @param {{name: string, agents: number, viewers: number, rate: number, seconds: number, warmupSeconds: number, memory?: boolean}} spec
 *   `viewers` in all, spread evenly over the agents; `rate` deltas/s per agent
 * @param {(msg: string) => void} log
 */
async function deltaScenario(variant, cfg, spec, log) {
  const { agents, viewers, rate } = spec;
  return withRig(variant, { ...cfg, agentCount: agents }, async (rig) => {
    const result = { agents, viewers, rate, seconds: spec.seconds };
    if (spec.memory) {
      // Idle memory, as in the throughput scenario: RSS after GC with all viewers minus with 10.
      const first = Math.min(10, viewers);
      await addViewers(rig, first, first, agents);
      const before = await rig.server.call('gc');
      const t0 = Date.now();
      await addViewers(rig, viewers - first, viewers, agents);
      result.connectSeconds = (Date.now() - t0) / 1000;
      await sleep(500);
      const after = await rig.server.call('gc');
      result.idleBytesPerViewer = (after.rss - before.rss) / (viewers - first);
      result.idleHeapPerViewer = (after.retained - before.retained) / (viewers - first);
    } else {
      await addViewers(rig, viewers, viewers, agents);
    }
    await deliverDeltas(rig, { agents, count: Math.round(rate * spec.warmupSeconds), ratePerSec: rate, label: `${spec.name}-warmup` });
    const count = Math.round(rate * spec.seconds);
    const got = await deliverDeltas(rig, { agents, count, ratePerSec: rate, timeoutMs: 30_000, label: spec.name });
    Object.assign(result, {
      ...got.latency,
      complete: got.complete,
      delivered: got.records,
      expected: count * viewers,
      cpuUsPerEvent: got.records > 0 ? got.serverCpuUs / got.records : null,
      serverCpuShare: got.serverCpuUs / 1e6 / got.publishSeconds,
      loadCpuShare: got.loadCpuUs / 1e6 / got.publishSeconds,
      writesPerViewerPerSec: got.serverWrites / viewers / got.publishSeconds,
      cpuUsPerWrite: got.serverWrites > 0 ? got.serverCpuUs / got.serverWrites : null,
    });
    const kib = (b) =>
      b == null ? '' : `, idle ${(b / 1024).toFixed(1)} KiB per viewer (connected in ${result.connectSeconds.toFixed(1)} s)`;
    log(
      `${variant} ${spec.name}: ${agents} agent(s) × ${viewers / agents} viewers @${rate}/s${kib(result.idleBytesPerViewer)}: ` +
        `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms, server CPU ${Math.round(result.serverCpuShare * 100)}%, ` +
        `${result.cpuUsPerEvent?.toFixed(2)} µs/delivered delta, ${result.writesPerViewerPerSec.toFixed(1)} writes/viewer/s, ` +
        `load CPU ${Math.round(result.loadCpuShare * 100)}%` +
        `${result.complete ? '' : `, INCOMPLETE ${got.records}/${result.expected} (${got.closed} closed)`}`,
    );
    return result;
  });
}

module.exports = { deltaScenario };
