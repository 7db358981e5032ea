'use strict';
// agent-stream's results against the targets of issues 6 and 16 (reported, not enforced).

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

const pct = (x) => `${Math.round(x * 100)}%`;

/** A CPU share and p99 target of a paced scenario. */
function paced(out, label, r, maxShare, maxP99) {
  if (!r) return;
  const met = r.serverCpuShare <= maxShare && r.p99Ms !== null && r.p99Ms <= maxP99 && r.complete;
  out.push({
    target: `${label}: server CPU ≤ ${pct(maxShare)} of a core, p99 ≤ ${maxP99} ms`,
    measured: `${pct(r.serverCpuShare)}, p99 ${r.p99Ms} ms${r.complete ? '' : ', INCOMPLETE'}`,
    met,
  });
}

/** The targets of issue 16: the paced scenarios, burst CPU, the mounted router, 10 000 viewers. */
function checkTargets16(results, config) {
  const a = results['agent-stream'];
  if (!a || a.available === false) return [];
  const out = [];
  if (a.tokens) paced(out, `1 agent × ${a.tokens.n} viewers at ${a.tokens.rate} tokens/s`, a.tokens, 0.2, 30);
  if (a.latency) paced(out, `${a.latency.rate} events/s × ${a.latency.n} viewers (default window)`, a.latency, 0.3, 30);
  if (a.agents)
    paced(
      out,
      `${a.agents.agents} agents × ${a.agents.viewers / a.agents.agents} viewers at ${a.agents.rate} tokens/s`,
      a.agents,
      0.12,
      30,
    );

  const n = config.ns.includes(1000) ? 1000 : null;
  const cpu = (v, at) => results[v]?.throughput?.[at]?.cpuUsPerEvent ?? null;
  if (n !== null && cpu('agent-stream', n) !== null && cpu('limit-coalesced', n)) {
    const r = cpu('agent-stream', n) / cpu('limit-coalesced', n);
    out.push({
      target: `burst throughput at N = ${n}: server CPU per delivered event ≤ 0.8× limit-coalesced`,
      measured: `${cpu('agent-stream', n).toFixed(3)} / ${cpu('limit-coalesced', n).toFixed(3)} µs = ${r.toFixed(2)}×`,
      met: r <= 0.8,
    });
  }
  const m = results['agent-stream-mounted']?.throughput;
  if (m && n !== null && m[n] && a.throughput?.[n]) {
    const r = m[n].cpuUsPerEvent / a.throughput[n].cpuUsPerEvent;
    out.push({
      target: `router in your own Express app: CPU per event ≤ 1.1× the control server (N = ${n})`,
      measured: `${r.toFixed(2)}×`,
      met: r <= 1.1,
    });
  }
  const memN = config.ns.filter((x) => m?.[x]?.idleBytesPerViewer != null && a.throughput?.[x]?.idleBytesPerViewer != null).at(-1);
  if (memN !== undefined) {
    const mine = m[memN].idleBytesPerViewer;
    const ref = a.throughput[memN].idleBytesPerViewer;
    out.push({
      target: `router in your own Express app: memory per idle viewer ≤ 1.1× the control server (N = ${memN})`,
      measured: `${(mine / 1024).toFixed(1)} / ${(ref / 1024).toFixed(1)} KiB = ${(mine / ref).toFixed(2)}×`,
      met: mine / ref <= 1.1,
    });
  }
  const v = a.viewers;
  const lv = results.limit?.viewers;
  if (v?.idleBytesPerViewer != null && lv?.idleBytesPerViewer) {
    const r = v.idleBytesPerViewer / lv.idleBytesPerViewer;
    out.push({
      target: `${v.viewers} idle viewers: memory per viewer ≤ 1.0× the bare node:http limit`,
      measured: `${(v.idleBytesPerViewer / 1024).toFixed(1)} / ${(lv.idleBytesPerViewer / 1024).toFixed(1)} KiB = ${r.toFixed(2)}×`,
      met: r <= 1.0,
    });
  }
  if (v) {
    out.push({
      target: `${v.viewers} viewers at ${v.rate} tokens/s: every token delivered (reported: CPU, p99)`,
      measured: `server CPU ${pct(v.serverCpuShare)}, p99 ${v.p99Ms} ms${v.complete ? '' : ', INCOMPLETE'}`,
      met: v.complete,
    });
  }
  return out;
}

module.exports = { checkTargets, checkTargets16 };
