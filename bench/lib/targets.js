'use strict';
// agent-stream's results against the targets of issue 6 (reported, not enforced).

/** @returns {{target: string, measured: string, met: boolean | null}[]} */
function checkTargets(results, config) {
  const a = results['agent-stream'];
  if (!a || a.available === false) return [];
  const n = config.ns.includes(1000) ? 1000 : config.ns[config.ns.length - 1];
  const thr = (v) => results[v]?.throughput?.[n]?.eventsPerSec ?? null;
  const out = [];
  const vs = (name, factor) => {
    const mine = thr('agent-stream');
    const ref = thr(name);
    const r = mine != null && ref ? mine / ref : null;
    out.push({
      target: `throughput at N = ${n} ≥ ${factor}× ${name}`,
      measured: r === null ? 'n/a' : `${r.toFixed(2)}×`,
      met: r === null ? null : r >= factor,
    });
  };
  vs('limit', 1.0);
  vs('better-sse', 3);
  vs('per-viewer-rxjs', 3);
  vs('limit-coalesced', 0.7);

  const p99 = a.latency?.p99Ms ?? null;
  out.push({
    target: `p99 ≤ 25 ms at ${config.latency.rate} ev/s, N = ${config.latency.n}`,
    measured: p99 === null ? 'n/a' : `${p99} ms`,
    met: p99 === null ? null : p99 <= 25,
  });

  const mem = (v) => results[v]?.throughput?.[config.memoryN]?.idleBytesPerViewer ?? null;
  const m = mem('agent-stream');
  const ml = mem('limit');
  out.push({
    target: 'memory per idle viewer ≤ 1.2× limit',
    measured: m === null || !ml ? 'n/a' : `${(m / 1024).toFixed(1)} KiB = ${(m / ml).toFixed(2)}×`,
    met: m === null || !ml ? null : m / ml <= 1.2,
  });

  const s = a.stall;
  if (s) {
    out.push({ target: 'stalled viewer disconnected', measured: `viewers ${s.viewersBefore} → ${s.viewersAfter}`, met: s.disconnected });
    // One turn's frames may land on top of the limit before the check cuts the viewer off.
    const slack = 64 * 1024;
    out.push({
      target: 'stalled viewer costs ≤ maxBufferedBytes (peak unsent backlog, +64 KiB for the last write)',
      measured: `${(s.maxBacklogBytes / 1048576).toFixed(2)} MiB peak; retained after the phase ${s.stallRetainedGrowth >= 0 ? '+' : ''}${(s.stallRetainedGrowth / 1048576).toFixed(2)} MiB`,
      met: s.maxBacklogBytes <= config.maxBufferedBytes + slack,
    });
    // Comparing two phases says nothing when the server is already overloaded without a stall.
    const overloaded = s.baselineP99Ms !== null && s.baselineP99Ms > 250;
    const ok =
      !overloaded &&
      s.stalledP99Ms !== null &&
      s.baselineP99Ms !== null &&
      s.stalledP99Ms <= Math.max(s.baselineP99Ms * 1.25, s.baselineP99Ms + 2);
    out.push({
      target: "others' p99 unchanged (≤ 1.25× or +2 ms; baseline phase not overloaded, p99 ≤ 250 ms)",
      measured: `${s.baselineP99Ms} → ${s.stalledP99Ms} ms${overloaded ? ' (already overloaded without the stall)' : ''}`,
      met: ok,
    });
  }
  return out;
}

module.exports = { checkTargets };
