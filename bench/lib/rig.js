'use strict';
// One measurement rig: a kilo-compatible upstream process, the variant's server process and a
// load process, started together and always stopped together.

const path = require('node:path');
const { spawnWorker } = require('./ipc');
const { sleep } = require('./clock');

const BENCH = path.join(__dirname, '..');

/**
 * @param {string} variant
 * @param {{maxBufferedBytes: number, cpuProfDir?: string | null, agentCount?: number}} options
 * @param {(rig: object) => Promise<any>} fn
 */
async function withRig(variant, options, fn) {
  const started = [];
  try {
    const upstream = await spawnWorker(path.join(BENCH, 'kilo-upstream.js'), { name: 'upstream' });
    started.push(upstream);
    const execArgv = ['--expose-gc'];
    const server = await spawnWorker(path.join(BENCH, 'server-main.js'), {
      name: `server(${variant})`,
      args: [variant, upstream.ready.url, String(options.maxBufferedBytes), JSON.stringify({ agents: options.agentCount ?? 1 })],
      execArgv,
    });
    started.push(server);
    const load = await spawnWorker(path.join(BENCH, 'load.js'), { name: 'load' });
    started.push(load);
    // The server must be subscribed to the upstream (every agent's) before anything is published.
    const agents = options.agentCount ?? 1;
    for (let i = 0; i < 400 && (await upstream.call('clients')) < agents; i++) await sleep(25);
    if ((await upstream.call('clients')) < agents) throw new Error('the server never connected to the upstream');
    const profileDir = options.cpuProfDir ?? null;
    return await fn({ variant, upstream, server, load, port: server.ready.port, connect: server.ready.connect, profileDir });
  } finally {
    const load = started[2];
    if (load) await load.call('closeAll', {}, 5000).catch(() => undefined);
    for (const w of started.reverse()) await w.stop(5000);
  }
}

/** Opens `count` more viewers (spread over `agents`) and waits until the server counts `total`. */
async function addViewers(rig, count, total, agents = 1) {
  if (count > 0) {
    const r = await rig.load.call('connect', { port: rig.port, connect: rig.connect, count, agents }, 180_000);
    if (r.failed > 0) throw new Error(`${r.failed} of ${count} viewers failed to connect: ${r.errors.join('; ')}`);
  }
  let viewers = -1;
  for (let i = 0; i < 200; i++) {
    viewers = (await rig.server.call('stats')).viewers;
    if (viewers >= total) return;
    await sleep(50);
  }
  throw new Error(`the server counts ${viewers} viewers, expected ${total}`);
}

/**
 * Measures `fn`'s server CPU time (µs), and profiles it when the rig profiles (`--cpu-prof`):
 * `<profileDir>/<variant>-<label>-<pid>.cpuprofile`, the measured phase only.
 */
async function measured(rig, label, fn) {
  if (rig.profileDir) await rig.server.call('profileStart');
  const writes0 = await rig.server.call('writes');
  const cpu0 = await rig.server.call('cpu');
  const result = await fn();
  const cpu1 = await rig.server.call('cpu');
  const writes1 = await rig.server.call('writes');
  if (rig.profileDir) await rig.server.call('profileStop', { dir: rig.profileDir, name: `${rig.variant}-${label}` });
  return { result, serverCpuUs: cpu1 - cpu0, serverWrites: writes1 - writes0 };
}

/**
 * Publishes `count` events (as fast as possible, or at `ratePerSec`) and waits until every
 * armed viewer received them all (or `timeoutMs`).
 */
async function deliver(rig, { count, ratePerSec = 0, textBytes = 220, parts = 0, timeoutMs = 60_000, cpu = false, label = 'deliver' }) {
  await rig.load.call('arm', { expected: count });
  const run = async () => {
    const published = await rig.upstream.call('publish', { count, ratePerSec, textBytes, parts }, timeoutMs);
    const got = await rig.load.call('collect', { timeoutMs }, timeoutMs + 10_000);
    return { ...got, firstUs: published.firstUs };
  };
  if (!cpu) return { ...(await run()), serverCpuUs: 0 };
  const { result, serverCpuUs, serverWrites } = await measured(rig, label, run);
  return { ...result, serverCpuUs, serverWrites };
}

/**
 * Streams one answer of `tokens` deltas at `ratePerSec` and waits until every viewer got every
 * token (or `timeoutMs` after the last one was published), then until the bytes stop coming (the
 * full text and the idle status follow the last delta). Server CPU spans the whole answer.
 */
async function streamAnswer(rig, { tokens, ratePerSec, timeoutMs = 30_000, label = 'tokens' }) {
  await rig.load.call('arm', { expected: tokens, tokens: true });
  const publishMs = (tokens / ratePerSec) * 1000;
  const { result, serverCpuUs, serverWrites } = await measured(rig, label, async () => {
    const published = await rig.upstream.call('publishAnswer', { tokens, ratePerSec }, publishMs * 2 + 10_000);
    const got = await rig.load.call('collect', { timeoutMs, publishUs: published.timesUs }, timeoutMs + 10_000);
    let bytes = await rig.load.call('bytes');
    for (let i = 0, still = 0; i < 50 && still < 3; i++) {
      await sleep(100);
      const next = await rig.load.call('bytes');
      still = next.total === bytes.total ? still + 1 : 0;
      bytes = next;
    }
    return { got, bytes, published };
  });
  const { got, bytes, published } = result;
  return {
    ...got,
    bytes,
    textBytes: published.textBytes,
    publishSeconds: (published.lastUs - published.firstUs) / 1e6,
    serverCpuUs,
    serverWrites,
  };
}

/**
 * Streams `count` token deltas to each of `agents` agents at `ratePerSec` per agent
 * (lib/publish-deltas.js) and waits until every viewer got all of its agent's (or `timeoutMs`
 * after the last one was published). Server CPU spans the publishing.
 */
async function deliverDeltas(rig, { agents = 1, count, ratePerSec, timeoutMs = 30_000, label = 'deltas' }) {
  await rig.load.call('arm', { expected: count });
  const publishMs = (count / ratePerSec) * 1000;
  const { result, serverCpuUs, serverWrites } = await measured(rig, label, async () => {
    const published = await rig.upstream.call('publishDeltas', { agents, count, ratePerSec }, publishMs * 2 + 10_000);
    const got = await rig.load.call('collect', { timeoutMs }, timeoutMs + 10_000);
    return { ...got, publishSeconds: (published.lastUs - published.firstUs) / 1e6 };
  });
  return { ...result, serverCpuUs, serverWrites };
}

module.exports = { withRig, addViewers, deliver, streamAnswer, deliverDeltas };
