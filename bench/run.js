'use strict';
// `npm run bench` (after `npm run build`): every variant, each in its own server process, fed by
// the same kilo-compatible upstream and driven by a separate load process; the tables go to
// bench/results.md and stdout.
//
//   node bench/run.js [--quick] [--variants=limit,agent-stream] [--out=FILE] [--cpu-prof=VARIANT]
//                     [--scenarios=throughput,latency,tokens,agents,viewers] [--ns=1000]
//   node bench/run.js --render=bench/results.json   (the markdown again, from a run's raw figures)
//
// --quick: N = 1 and 100 only, shorter phases (a smoke check); writes to the temp dir unless --out.
// --scenarios: throughput (+ idle memory), latency (+ the stalled viewer), tokens (one answer
// streamed token by token), agents (100 agents × 10 viewers at 20 tokens/s), viewers (10 000
// viewers of one agent: idle memory, then 50 tokens/s); all by default. A run of only some writes
// to the temp dir unless --out.
// BENCH_DEBUG=1 also logs the server's memory breakdown at its peak in each stall phase.
// BENCH_DIST=DIR runs the agent-stream variants from another build (e.g. an older commit's dist/).
// A JSON file with every raw figure is written next to the markdown.
// --cpu-prof=VARIANT: profile that variant's server during each measured phase (V8 CPU profiler,
// one <variant>-<phase>-<pid>.cpuprofile per phase in $TMPDIR/agent-stream-bench-profiles/).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { throughput, latencyAndStall, tokenStream } = require('./lib/scenarios');
const { deltaScenario } = require('./lib/rate-scenarios');
const { renderReport } = require('./lib/report');
const { checkTargets, checkTargets16 } = require('./lib/targets');
const { checkTargets24 } = require('./lib/targets-24');
const { unavailableReason } = require('./variants/agent-stream');
const { VARIANTS, VARIANT_SPECS, isAgentStream } = require('./variants');

const TEXT_BYTES = 220; // text of the event; the SSE frame a browser gets is ~300 bytes
const MAX_BUFFERED = 1024 * 1024;
// The token-stream scenario (issues 10, 16): one answer of ANSWER_TOKENS deltas (`w0 `…, ~5
// bytes each), one per event-loop turn at TOKEN_RATE deltas/s, like an LLM streaming through kilo.
const TOKEN_RATE = 100;
const ANSWER_TOKENS = 1000;
const SCENARIOS = ['throughput', 'latency', 'tokens', 'agents', 'viewers'];
// Which variants each scenario measures: the agent-stream variants and the hand-written limits
// everywhere; the per-turn (window off) reference where events come at a pace; the router mounted
// in a user's Express app where CPU per event and idle memory are compared (throughput, N ≥ 1000).
const ALL_BUT = (...out) => VARIANTS.filter((v) => !out.includes(v) && !VARIANT_SPECS[v].only);
const SCENARIO_VARIANTS = {
  throughput: ALL_BUT('agent-stream-per-turn'),
  latency: ALL_BUT('agent-stream-mounted'),
  tokens: ALL_BUT('agent-stream-mounted'),
  agents: ['limit', 'limit-coalesced', 'agent-stream', 'agent-stream-per-turn'],
  viewers: ['limit', 'limit-coalesced', 'agent-stream', 'agent-stream-workers'],
};
/** The smallest N the mounted router is measured at (its comparison is at N = 1000). */
const MOUNTED_MIN_N = 1000;

const CONFIGS = {
  full: {
    ns: [1, 100, 1000, 5000],
    events: 500,
    warmup: 100,
    reps: (n) => (n >= 5000 ? 1 : 3),
    latency: { n: 1000, rate: 200, seconds: 5 },
    // ≥ ~6 MiB must reach the stalled socket: the kernel buffers ~4 MiB of it on loopback. Fewer,
    // larger events than the latency phase keep the 999 others affordable on 2 cores. Both phases
    // equally long (an overloaded server's latency grows with time); the baseline's 1000 events
    // fill agent-stream's 1000-event history before the stall.
    stall: { rate: 100, textBytes: 6000, parts: 16, baselineSeconds: 10, stallSeconds: 10 },
    tokens: { n: 1000, tokens: ANSWER_TOKENS, rate: TOKEN_RATE, warmupTokens: 100 },
    agents: { agents: 100, viewers: 1000, rate: 20, seconds: 10, warmupSeconds: 1 },
    viewers: { agents: 1, viewers: 10_000, rate: 50, seconds: 10, warmupSeconds: 1, memory: true },
  },
  quick: {
    ns: [1, 100],
    events: 500,
    warmup: 100,
    reps: () => 1,
    latency: { n: 100, rate: 200, seconds: 2 },
    stall: { rate: 100, textBytes: 32_000, parts: 16, baselineSeconds: 3, stallSeconds: 3 },
    tokens: { n: 100, tokens: 300, rate: TOKEN_RATE, warmupTokens: 50 },
    agents: { agents: 10, viewers: 100, rate: 20, seconds: 3, warmupSeconds: 1 },
    viewers: { agents: 1, viewers: 1000, rate: 50, seconds: 3, warmupSeconds: 1, memory: true },
  },
};

function parseArgs(argv) {
  const args = { quick: false, variants: VARIANTS, out: null, cpuProf: null, scenarios: SCENARIOS, ns: null, render: null };
  for (const a of argv) {
    if (a === '--quick') args.quick = true;
    else if (a.startsWith('--render=')) args.render = path.resolve(a.slice(9));
    else if (a.startsWith('--variants=')) args.variants = a.slice(11).split(',').filter(Boolean);
    else if (a.startsWith('--out=')) args.out = path.resolve(a.slice(6));
    else if (a.startsWith('--cpu-prof=')) args.cpuProf = a.slice(11);
    else if (a.startsWith('--scenarios=')) args.scenarios = a.slice(12).split(',').filter(Boolean);
    else if (a.startsWith('--ns='))
      args.ns = a
        .slice(5)
        .split(',')
        .map(Number)
        .filter((n) => n > 0);
    else throw new Error(`unknown argument ${a}`);
  }
  for (const v of args.variants) if (!VARIANTS.includes(v)) throw new Error(`unknown variant ${v} (known: ${VARIANTS.join(', ')})`);
  for (const s of args.scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (known: ${SCENARIOS.join(', ')})`);
  if (!args.variants.includes('limit')) args.variants = ['limit', ...args.variants]; // ratios need it
  return args;
}

function fdLimit() {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return Number(line.split(/\s+/)[3]);
  } catch {
    return null;
  }
}

/** The markdown report of a run's figures, with both sets of targets checked. */
const reportOf = (machine, config, results) =>
  renderReport({
    machine,
    config,
    results,
    targets: checkTargets(results, config),
    targets16: checkTargets16(results, config),
    targets24: checkTargets24(results),
  });

/** Writes the markdown report again from a run's raw figures (after editing profile-notes.md or the report). */
function render(file) {
  const { machine, config, results } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const report = reportOf(machine, config, results);
  const out = file.replace(/\.json$/, '.md');
  fs.writeFileSync(out, report);
  process.stderr.write(`wrote ${out}\n`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.render) return render(args.render);
  // Every step has its own timeout; this is the backstop (workers exit when this process does).
  setTimeout(() => {
    process.stderr.write('bench: still running after 30 min, giving up\n');
    process.exit(1);
  }, 30 * 60_000).unref();
  const started = Date.now();
  const base = { ...CONFIGS[args.quick ? 'quick' : 'full'] };
  if (args.ns) base.ns = args.ns;
  const log = (msg) => process.stderr.write(`[bench +${Math.round((Date.now() - started) / 1000)}s] ${msg}\n`);
  // Node raises its soft open-file limit to the hard one at startup; children inherit it. Each
  // viewer costs one fd in the server and one in the load process.
  const limit = fdLimit();
  const ns = base.ns.filter((n) => limit === null || n + 200 <= limit);
  const skipped = base.ns.filter((n) => !ns.includes(n));
  if (base.tokens && limit !== null && base.tokens.n + 200 > limit) {
    log(`open-file limit ${limit}: the token stream runs with N = ${limit - 200}`);
    base.tokens = { ...base.tokens, n: limit - 200 };
  }
  if (limit !== null && base.viewers.viewers + 200 > limit) {
    log(`open-file limit ${limit}: the viewers scenario runs with N = ${limit - 200} (raise the hard limit: ulimit -Hn)`);
    base.viewers = { ...base.viewers, viewers: limit - 200 };
  }
  const config = {
    ...base,
    ns,
    scenarios: args.scenarios,
    quick: args.quick,
    textBytes: TEXT_BYTES,
    frameBytes: TEXT_BYTES + 85,
    maxBufferedBytes: MAX_BUFFERED,
    memoryN: ns[ns.length - 1],
    deliverTimeoutMs: 90_000,
    scenarioVariants: SCENARIO_VARIANTS,
    mountedMinN: MOUNTED_MIN_N,
  };
  if (skipped.length) log(`open-file limit ${limit}: skipping N = ${skipped.join(', ')}`);

  const profDir = path.join(os.tmpdir(), 'agent-stream-bench-profiles');
  const results = {};
  const loadavgStart = os.loadavg()[0];
  for (const variant of args.variants) {
    const runs = (scenario) => args.scenarios.includes(scenario) && SCENARIO_VARIANTS[scenario].includes(variant);
    if (!SCENARIOS.some(runs)) continue;
    const r = (results[variant] = { available: true, throughput: {}, loadavgBefore: os.loadavg()[0] });
    if (isAgentStream(variant)) {
      const why = unavailableReason();
      if (why) {
        r.available = false;
        r.error = why;
        r.loadavgAfter = os.loadavg()[0];
        log(`agent-stream not available: ${why}`);
        continue;
      }
    }
    const rigCfg = { ...config, cpuProfDir: args.cpuProf === variant ? profDir : null };
    try {
      if (runs('throughput'))
        for (const n of ns) {
          if (variant === 'agent-stream-mounted' && n < MOUNTED_MIN_N) continue;
          r.throughput[n] = await throughput(variant, n, rigCfg, log);
        }
      // The per-turn reference needs no second stall measurement.
      if (runs('latency'))
        Object.assign(r, await latencyAndStall(variant, { ...rigCfg, skipStall: variant === 'agent-stream-per-turn' }, log));
      if (runs('tokens')) r.tokens = await tokenStream(variant, rigCfg, log);
      if (runs('agents')) r.agents = await deltaScenario(variant, rigCfg, { name: 'agents', ...config.agents }, log);
      if (runs('viewers')) r.viewers = await deltaScenario(variant, rigCfg, { name: 'viewers', ...config.viewers }, log);
    } catch (err) {
      r.error = err && err.message ? err.message : String(err);
      log(`${variant} failed: ${r.error}`);
    }
    r.loadavgAfter = os.loadavg()[0];
  }

  const machine = {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.cpus().length,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    fdLimit: limit ?? 'unknown',
    date: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    loadavg: `${loadavgStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`,
  };
  const report = reportOf(machine, config, results);
  const partial = SCENARIOS.some((s) => !args.scenarios.includes(s));
  const out =
    args.out ??
    (args.quick || partial
      ? path.join(os.tmpdir(), `agent-stream-bench-${args.quick ? 'quick' : args.scenarios.join('-')}.md`)
      : path.join(__dirname, 'results.md'));
  fs.writeFileSync(out, report);
  fs.writeFileSync(
    out.replace(/\.md$/, '') + '.json',
    JSON.stringify({ machine, config: { ...config, reps: undefined }, results }, null, 2),
  );
  process.stdout.write(report);
  log(`wrote ${out}`);
  if (args.cpuProf) log(`CPU profiles of the ${args.cpuProf} server: ${profDir}`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
