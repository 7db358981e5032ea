'use strict';
// Turns the results of one run into the markdown written to results.md and printed.

const fs = require('node:fs');
const path = require('node:path');
const { VARIANTS } = require('../variants');

/** What the CPU profiles of the scenarios showed (hand-written; appended to every full report). */
const PROFILE_NOTES = path.join(__dirname, '..', 'profile-notes.md');
const { renderRates, renderMounted, renderTargets16 } = require('./report-rates');

const fmt = (x, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const ratio = (x, ref) =>
  x == null || ref == null || !Number.isFinite(x) || !Number.isFinite(ref) || ref === 0 ? '–' : `${(x / ref).toFixed(2)}×`;
const mev = (x) => (x == null ? '–' : (x / 1e6).toFixed(3));
const kib = (b) => (b == null ? '–' : (b / 1024).toFixed(1));
const mib = (b) => (b == null ? '–' : (b / 1048576).toFixed(2));

function unavailableRow(v, r, cols) {
  return `| ${v} | ${['not available' + (r.error ? `: ${r.error.replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, 120)}` : '')].concat(Array(cols - 1).fill('')).join(' | ')} |`;
}

function renderThroughput(out, config, results, variants) {
  out.push(`## Throughput: ${config.events} events of ~${config.frameBytes} bytes published as fast as possible`, '');
  out.push('Delivered events/s (all viewers together) and server CPU (user+system) per delivered event; median of the runs.', '');
  out.push('| variant | N | delivered M ev/s | × limit | server CPU µs/ev | × limit | load CPU | complete |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const n of config.ns) {
    const ref = results.limit?.throughput?.[n];
    for (const v of variants) {
      const t = results[v].throughput?.[n];
      if (!t) {
        if (v === 'agent-stream-mounted' && n < (config.mountedMinN ?? 0)) continue;
        if (results[v].available === false || results[v].error)
          out.push(`| ${v} | ${n} | ${results[v].available === false ? 'not available' : 'failed'} | | | | | |`);
        continue;
      }
      out.push(
        `| ${v} | ${n} | ${mev(t.eventsPerSec)} | ${ratio(t.eventsPerSec, ref?.eventsPerSec)} | ${fmt(t.cpuUsPerEvent)} | ${ratio(t.cpuUsPerEvent, ref?.cpuUsPerEvent)} | ${Math.round((t.loadCpuShare ?? 0) * 100)}% | ${t.complete ? 'yes' : 'NO'} |`,
      );
    }
  }
  out.push(
    '',
    '"load CPU" is the load process\'s CPU share during the run; near 100% means the load, not the server, was the bottleneck.',
    '',
  );
}

function renderMemory(out, config, results, variants) {
  out.push('', `## Resident memory per idle viewer`, '');
  out.push(
    '(RSS after GC with all viewers connected minus RSS with 10 connected) / (N − 10); the JS heap + external part of it alongside.',
    '',
  );
  out.push('| variant | N | KiB per viewer (RSS) | × limit | of which heap + external KiB |');
  out.push('|---|---:|---:|---:|---:|');
  const memN = config.memoryN;
  for (const v of variants) {
    const b = results[v].throughput?.[memN]?.idleBytesPerViewer;
    if (b == null) {
      if (results[v].available === false || results[v].error) out.push(unavailableRow(v, results[v], 4));
      continue;
    }
    out.push(
      `| ${v} | ${memN} | ${kib(b)} | ${ratio(b, results.limit?.throughput?.[memN]?.idleBytesPerViewer)} | ${kib(results[v].throughput[memN].idleHeapPerViewer)} |`,
    );
  }
}

function renderLatency(out, config, results, variants) {
  const L = config.latency;
  out.push(`## Latency at ${L.rate} events/s, N = ${L.n}`, '');
  out.push(
    '| variant | p50 ms | p99 ms | max ms | p99 × limit | server CPU | server CPU µs/ev | writes/viewer/s | µs/write | load CPU | complete |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const refL = results.limit?.latency;
  for (const v of variants) {
    const l = results[v].latency;
    if (!l) {
      if (results[v].available === false || results[v].error) out.push(unavailableRow(v, results[v], 7));
      continue;
    }
    const pct = (x) => (x == null ? '–' : `${Math.round(x * 100)}%`);
    out.push(
      `| ${v} | ${fmt(l.p50Ms)} | ${fmt(l.p99Ms)} | ${fmt(l.maxMs)} | ${ratio(l.p99Ms, refL?.p99Ms)} | ${pct(l.serverCpuShare)} | ${fmt(l.cpuUsPerEvent)} | ${fmt(l.writesPerViewerPerSec, 1)} | ${fmt(l.cpuUsPerWrite)} | ${pct(l.loadCpuShare)} | ${l.complete ? 'yes' : 'NO'} |`,
    );
  }
  out.push(
    '',
    'Each event in its own event-loop turn. agent-stream runs with its default frame window (`flushIntervalMs`); agent-stream-per-turn with 0 ' +
      '(one write per viewer per turn, as before issue 16); the hand-written variants write each event (limit) or each turn (limit-coalesced). ' +
      'CPU: share of one core used by the server / load process during the phase; µs/ev: server CPU / events delivered to all viewers; ' +
      "writes/viewer/s: writes on the viewers' sockets (counted in the server process) per viewer per second; µs/write: server CPU / those writes.",
  );
}

function renderStall(out, config, results, variants) {
  const L = config.latency;
  const S = config.stall;
  out.push('', `## A stalled viewer next to ${L.n - 1} reading ones`, '');
  out.push(
    `${S.rate} events/s of ~${S.textBytes + 100} bytes (larger than above so that enough reaches the stalled socket in a short run); ` +
      `first ${S.baselineSeconds} s with every viewer reading (baseline), then viewer #0 stops reading ` +
      `(socket paused) for ${S.stallSeconds} s (${fmt((S.rate * S.stallSeconds * (S.textBytes + 100)) / 1048576, 1)} MiB sent to it, of which the kernel ` +
      `socket buffers absorb a few MiB). agent-stream runs with maxBufferedBytes = ${mib(config.maxBufferedBytes)} MiB.`,
    '',
  );
  out.push(
    '| variant | others p99 ms, baseline | others p99 ms, stalled | × baseline | peak unsent backlog MiB | retained growth MiB, baseline / stalled | peak RSS growth MiB, baseline / stalled | stalled viewer disconnected |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const v of variants) {
    const s = results[v].stall;
    if (!s) {
      if (results[v].available === false || results[v].error) out.push(unavailableRow(v, results[v], 7));
      continue;
    }
    const cut = s.disconnected ? `yes${s.slowDisconnects != null ? ` (slow-consumer disconnects: ${s.slowDisconnects})` : ''}` : 'no';
    out.push(
      `| ${v} | ${fmt(s.baselineP99Ms)} | ${fmt(s.stalledP99Ms)} | ${ratio(s.stalledP99Ms, s.baselineP99Ms)} | ${mib(s.maxBacklogBytes)} | ` +
        `${mib(s.baselineRetainedGrowth)} / ${mib(s.stallRetainedGrowth)} | ${mib(s.baselinePeakRssGrowth)} / ${mib(s.stallPeakRssGrowth)} | ${cut} |`,
    );
  }
  out.push(
    '',
    '"peak unsent backlog": the largest `socket.writableLength` of any accepted socket, sampled every 25 ms (userland bytes the server holds for a viewer). ' +
      '"retained growth": heapUsed + external after a forced GC, end minus start of the phase. Peak RSS is sampled and noisy.',
    '',
  );
}

function renderTokens(out, config, results, variants) {
  const T = config.tokens;
  const any = variants.map((v) => results[v].tokens).find(Boolean);
  out.push(`## Token stream: one answer of ${T.tokens} deltas at ${T.rate}/s, N = ${T.n}`, '');
  out.push(
    `One assistant answer shaped like a real kilo turn: the text part with text "", one \`message.part.delta\` per token (a word of ~5 bytes, ` +
      `${any ? `${kib(any.textBytes)} KiB of text in all` : 'about 11 KiB of text in all'}), each in its own event-loop turn, then the full \`message.part.updated\` and \`session.idle\`. ` +
      'The hand-written variants send each token as a frame of its own carrying just the delta (limit: one write per token; limit-coalesced: one per turn); ' +
      'agent-stream with its default frame window, agent-stream-per-turn with 0. ' +
      'Bytes: everything a viewer received for the answer (HTTP chunk framing included), mean over the viewers that got every token. ' +
      'Server CPU (user+system) over the whole answer / tokens delivered to all viewers.',
    '',
  );
  out.push(
    '| variant | KiB per viewer | × text | × limit | server CPU µs/token | × limit | p50 ms | p99 ms | max ms | server CPU | writes/viewer/s | µs/write | load CPU | complete |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const ref = results.limit?.tokens;
  const pct = (x) => (x == null ? '–' : `${Math.round(x * 100)}%`);
  for (const v of variants) {
    const t = results[v].tokens;
    if (!t) {
      if (results[v].available === false || results[v].error) out.push(unavailableRow(v, results[v], 11));
      continue;
    }
    const complete = t.complete
      ? 'yes'
      : `NO: ${t.viewersComplete}/${t.n} viewers got every token${t.viewersClosed ? `, ${t.viewersClosed} closed` : ''}`;
    out.push(
      `| ${v} | ${kib(t.bytesPerViewer)} | ${ratio(t.bytesPerViewer, t.textBytes)} | ${ratio(t.bytesPerViewer, ref?.bytesPerViewer)} | ${fmt(t.cpuUsPerToken)} | ` +
        `${ratio(t.cpuUsPerToken, ref?.cpuUsPerToken)} | ${fmt(t.p50Ms)} | ${fmt(t.p99Ms)} | ${fmt(t.maxMs)} | ${pct(t.serverCpuShare)} | ${fmt(t.writesPerViewerPerSec, 1)} | ${fmt(t.cpuUsPerWrite)} | ${pct(t.loadCpuShare)} | ${complete} |`,
    );
  }
  const a = results['agent-stream']?.tokens;
  const c = results['limit-coalesced']?.tokens;
  if (a && c)
    out.push(
      '',
      `agent-stream / limit-coalesced: bytes ${ratio(a.bytesPerViewer, c.bytesPerViewer)}, CPU per token ${ratio(a.cpuUsPerToken, c.cpuUsPerToken)}.`,
    );
  out.push(
    '',
    'Latency: first arrival of a token at the load process − its publish time, over every token and viewer. CPU shares: of one core, over the publishing time.',
    '',
  );
}

/**
 * @param {object} run `{machine, config, results: {[variant]: {...}}, targets}`
 * @returns {string} markdown
 */
function renderReport(run) {
  const { machine, config, results } = run;
  const out = [];
  const variants = VARIANTS.filter((v) => results[v]);
  out.push(`# agent-stream benchmark${config.quick ? ' (quick run)' : ''}`, '');
  out.push(`- Machine: ${machine.cpu} × ${machine.cores} cores, ${machine.memGiB} GiB RAM, ${machine.os}`);
  out.push(`- Node ${machine.node}; open-file limit ${machine.fdLimit}`);
  out.push(`- Date: ${machine.date}; whole run ${machine.durationS} s`);
  out.push(
    `- 1-minute load average: ${machine.loadavg} (per variant: ${variants.map((v) => `${v} ${fmt(results[v].loadavgBefore)}→${fmt(results[v].loadavgAfter)}`).join(', ')}). ` +
      'The bench itself keeps up to 3 processes busy; anything above that is other work on the machine and makes the figures noisier.',
  );
  out.push(
    `- Every variant reads the same kilo-serve-compatible upstream (bench/kilo-upstream.js, its own process) and runs in its own server process; ` +
      `one load process holds the viewers as raw HTTP/1.1 connections. Ratios are against **limit** measured in this run.`,
    '',
  );

  const has = (scenario) => !config.scenarios || config.scenarios.includes(scenario);
  const of = (scenario) => variants.filter((v) => !config.scenarioVariants || config.scenarioVariants[scenario].includes(v));
  if (has('throughput')) renderThroughput(out, config, results, of('throughput'));
  if (has('latency')) renderLatency(out, config, results, of('latency'));
  if (has('throughput')) renderMemory(out, config, results, of('throughput'));
  if (has('throughput')) renderMounted(out, config, results);
  if (has('latency')) renderStall(out, config, results, of('latency'));
  if (has('tokens') && config.tokens) renderTokens(out, config, results, of('tokens'));
  if (has('agents') && config.agents) renderRates(out, 'agents', config, results, of('agents'));
  if (has('viewers') && config.viewers) renderRates(out, 'viewers', config, results, of('viewers'));
  if (run.targets.length && (has('throughput') || has('latency'))) {
    out.push('## agent-stream against the targets of issue 6', '');
    out.push('| target | measured | met |');
    out.push('|---|---|---|');
    for (const t of run.targets) out.push(`| ${t.target} | ${t.measured} | ${t.met === null ? '–' : t.met ? 'yes' : 'NO'} |`);
    out.push('');
  }
  renderTargets16(out, run.targets16 ?? []);
  renderTargets16(out, run.targets24 ?? [], 24);
  if (!config.quick && fs.existsSync(PROFILE_NOTES)) out.push(fs.readFileSync(PROFILE_NOTES, 'utf8').trimEnd(), '');
  out.push('## Method', '');
  out.push(
    '- Publishing: the upstream writes each event as its own SSE frame, stamped with the publish time (CLOCK_MONOTONIC, µs) inside the text. ' +
      '"As fast as possible" is one synchronous loop of writes; at a fixed rate one event per 1000/rate ms. A server therefore sees as many events per read ' +
      'as piled up while it was busy, which is what per-turn coalescing feeds on.',
  );
  out.push(
    "- Delivered events/s = events counted by the load process / (last arrival − first publish). Server CPU = the server process's user+system " +
      "time over the same window (the upstream is not included; on loopback the receiving side's TCP work is charged to the sender).",
  );
  out.push(
    '- Latency = arrival at the load process (time of the read that completed the record) − publish time, over every delivery to every viewer.',
  );
  out.push('- Each N runs in a fresh set of processes; throughput is the median of 3 runs (1 at N = 5000) after a 100-event warm-up.', '');
  return out.join('\n') + '\n';
}

module.exports = { renderReport, VARIANTS };
