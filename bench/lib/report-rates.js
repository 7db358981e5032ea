'use strict';
// The report's sections for issue 16: the paced token scenarios (many agents, many viewers), the
// router mounted in a user's Express app against the control server, and issue 16's targets.

const fmt = (x, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const ratio = (x, ref) =>
  x == null || ref == null || !Number.isFinite(x) || !Number.isFinite(ref) || ref === 0 ? '–' : `${(x / ref).toFixed(2)}×`;
const pct = (x) => (x == null ? '–' : `${Math.round(x * 100)}%`);
const kib = (b) => (b == null ? '–' : (b / 1024).toFixed(1));

const TITLES = {
  agents: (c) => `## Many agents: ${c.agents} agents × ${c.viewers / c.agents} viewers, ${c.rate} tokens/s per agent`,
  viewers: (c) => `## Many viewers: ${c.viewers} viewers of one agent, idle, then ${c.rate} tokens/s`,
};

function renderRates(out, scenario, config, results, variants) {
  const c = config[scenario];
  out.push(TITLES[scenario](c), '');
  out.push(
    `Each token a \`message.part.delta\` of its own (\`BENCH|<send time>|\`), in its own event-loop turn, ${c.seconds} s after a ${c.warmupSeconds} s warm-up; ` +
      (c.agents > 1
        ? `each agent is a kilo serve of its own (its own upstream connection), the agents' tokens staggered evenly. `
        : 'one upstream connection. ') +
      'Latency: arrival at the viewer − send time, over every token and viewer. Server CPU: share of one core over the publishing time, and per ' +
      "delta delivered to all viewers; writes/viewer/s and µs/write: writes on the viewers' sockets, counted in the server process." +
      (c.memory ? ' Idle memory first, as in the throughput scenario: (RSS after GC with all viewers − RSS with 10) / (N − 10).' : ''),
    '',
  );
  const mem = c.memory ? ' KiB per idle viewer (RSS) | × limit | heap + external KiB |' : '';
  out.push(
    `| variant |${mem} server CPU | × limit | server CPU µs/delta | × limit | writes/viewer/s | µs/write | p50 ms | p99 ms | max ms | load CPU | complete |`,
  );
  out.push(`|---|${c.memory ? '---:|---:|---:|' : ''}---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|`);
  const ref = results.limit?.[scenario];
  for (const v of variants) {
    const r = results[v][scenario];
    if (!r) {
      if (results[v].available === false || results[v].error)
        out.push(`| ${v} | ${results[v].available === false ? 'not available' : `failed: ${String(results[v].error).slice(0, 100)}`} |`);
      continue;
    }
    const memCells = c.memory
      ? ` ${kib(r.idleBytesPerViewer)} | ${ratio(r.idleBytesPerViewer, ref?.idleBytesPerViewer)} | ${kib(r.idleHeapPerViewer)} |`
      : '';
    const complete = r.complete ? 'yes' : `NO (${r.delivered}/${r.expected})`;
    out.push(
      `| ${v} |${memCells} ${pct(r.serverCpuShare)} | ${ratio(r.serverCpuShare, ref?.serverCpuShare)} | ${fmt(r.cpuUsPerEvent)} | ` +
        `${ratio(r.cpuUsPerEvent, ref?.cpuUsPerEvent)} | ${fmt(r.writesPerViewerPerSec, 1)} | ${fmt(r.cpuUsPerWrite)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.maxMs)} | ` +
        `${pct(r.loadCpuShare)} | ${complete} |`,
    );
  }
  out.push('');
}

/** The router in a user's own Express app against the control server's own dispatch of streams. */
function renderMounted(out, config, results) {
  const a = results['agent-stream']?.throughput;
  const m = results['agent-stream-mounted']?.throughput;
  if (!a || !m) return;
  const ns = config.ns.filter((n) => a[n] && m[n]);
  if (ns.length === 0) return;
  out.push('', '## The router mounted in your own Express app', '');
  out.push(
    "`agent-stream-mounted`: `app.use(express.json())`, then `app.use('/api', requireLogin, createAgentStreamRouter({registry, …}))` on a plain " +
      '`http.createServer(app)`, as the README shows; against `agent-stream`, the control server, which hands streams to the same handler ' +
      'before its Express app. Same agent, tickets and stream options. Figures of the throughput scenario above.',
    '',
  );
  out.push('| N | control server µs/ev | mounted µs/ev | × | control server KiB per idle viewer | mounted KiB | × |');
  out.push('|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of ns) {
    out.push(
      `| ${n} | ${fmt(a[n].cpuUsPerEvent)} | ${fmt(m[n].cpuUsPerEvent)} | ${ratio(m[n].cpuUsPerEvent, a[n].cpuUsPerEvent)} | ` +
        `${kib(a[n].idleBytesPerViewer)} | ${kib(m[n].idleBytesPerViewer)} | ${ratio(m[n].idleBytesPerViewer, a[n].idleBytesPerViewer)} |`,
    );
  }
  out.push('');
}

function renderTargets16(out, targets, issue = 16) {
  if (targets.length === 0) return;
  out.push(`## agent-stream against the targets of issue ${issue}`, '');
  out.push('| target | measured | met |');
  out.push('|---|---|---|');
  for (const t of targets) out.push(`| ${t.target} | ${t.measured} | ${t.met === null ? '–' : t.met ? 'yes' : 'NO'} |`);
  out.push('');
}

module.exports = { renderRates, renderMounted, renderTargets16 };
