'use strict';
// agent-stream's results against the targets of issue 24 (reported, not enforced): the adaptive
// frame window's two paced scenarios, measured in the same run as the hand-written limit.

const pct = (x) => `${Math.round(x * 100)}%`;

/** @returns {{target: string, measured: string, met: boolean | null}[]} */
function checkTargets24(results) {
  const a = results['agent-stream'];
  if (!a || a.available === false) return [];
  const out = [];
  const ag = a.agents;
  const limit = results.limit?.agents;
  if (ag) {
    const ratio = limit?.serverCpuShare ? ag.serverCpuShare / limit.serverCpuShare : null;
    out.push({
      target: `${ag.agents} agents × ${ag.viewers / ag.agents} viewers at ${ag.rate} tokens/s: p99 ≤ 5 ms`,
      measured: `p99 ${ag.p99Ms} ms${ag.complete ? '' : ', INCOMPLETE'}`,
      met: ag.p99Ms !== null && ag.p99Ms <= 5 && ag.complete,
    });
    out.push({
      target: `${ag.agents} agents × ${ag.viewers / ag.agents} viewers at ${ag.rate} tokens/s: server CPU ≤ 1.05× limit (one write per token)`,
      measured: ratio === null ? 'n/a' : `${pct(ag.serverCpuShare)} / ${pct(limit.serverCpuShare)} = ${ratio.toFixed(2)}×`,
      met: ratio === null ? null : ratio <= 1.05,
    });
  }
  const t = a.tokens;
  if (t) {
    out.push({
      target: `1 agent × ${t.n} viewers at ${t.rate} tokens/s: server CPU ≤ 30% of a core, p99 ≤ 30 ms`,
      measured: `${pct(t.serverCpuShare)}, p99 ${t.p99Ms} ms${t.complete ? '' : ', INCOMPLETE'}`,
      met: t.serverCpuShare <= 0.3 && t.p99Ms !== null && t.p99Ms <= 30 && t.complete,
    });
  }
  return out;
}

module.exports = { checkTargets24 };
