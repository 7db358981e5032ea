'use strict';
// One measurement rig: a kilo-compatible upstream process, the variant's server process and a
// load process, started together and always stopped together.

const path = require('node:path');
const { spawnWorker } = require('./ipc');
const { sleep } = require('./clock');

const BENCH = path.join(__dirname, '..');

/**
 * @param {string} variant
 * @param {{maxBufferedBytes: number, cpuProfDir?: string | null}} options
 * @param {(rig: object) => Promise<any>} fn
 */
async function withRig(variant, options, fn) {
  const started = [];
  try {
    const upstream = await spawnWorker(path.join(BENCH, 'kilo-upstream.js'), { name: 'upstream' });
    started.push(upstream);
    const execArgv = ['--expose-gc'];
    if (options.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
    const server = await spawnWorker(path.join(BENCH, 'server-main.js'), {
      name: `server(${variant})`,
      args: [variant, upstream.ready.url, String(options.maxBufferedBytes)],
      execArgv,
    });
    started.push(server);
    const load = await spawnWorker(path.join(BENCH, 'load.js'), { name: 'load' });
    started.push(load);
    // The server must be subscribed to the upstream before anything is published.
    for (let i = 0; i < 200 && (await upstream.call('clients')) < 1; i++) await sleep(25);
    if ((await upstream.call('clients')) < 1) throw new Error('the server never connected to the upstream');
    return await fn({ variant, upstream, server, load, port: server.ready.port, connect: server.ready.connect });
  } finally {
    const load = started[2];
    if (load) await load.call('closeAll', {}, 5000).catch(() => undefined);
    for (const w of started.reverse()) await w.stop(5000);
  }
}

/** Opens `count` more viewers and waits until the server counts `total`. */
async function addViewers(rig, count, total) {
  if (count > 0) {
    const r = await rig.load.call('connect', { port: rig.port, connect: rig.connect, count }, 120_000);
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
 * Publishes `count` events (as fast as possible, or at `ratePerSec`) and waits until every
 * armed viewer received them all (or `timeoutMs`).
 */
async function deliver(rig, { count, ratePerSec = 0, textBytes = 220, parts = 0, timeoutMs = 60_000, cpu = false }) {
  await rig.load.call('arm', { expected: count });
  const cpu0 = cpu ? await rig.server.call('cpu') : 0;
  const published = await rig.upstream.call('publish', { count, ratePerSec, textBytes, parts }, timeoutMs);
  const got = await rig.load.call('collect', { timeoutMs }, timeoutMs + 10_000);
  const cpu1 = cpu ? await rig.server.call('cpu') : 0;
  return { ...got, firstUs: published.firstUs, serverCpuUs: cpu1 - cpu0 };
}

/**
 * Streams one answer of `tokens` deltas at `ratePerSec` and waits until every viewer got every
 * token (or `timeoutMs` after the last one was published), then until the bytes stop coming (the
 * full text and the idle status follow the last delta). Server CPU spans the whole answer.
 */
async function streamAnswer(rig, { tokens, ratePerSec, timeoutMs = 30_000 }) {
  await rig.load.call('arm', { expected: tokens, tokens: true });
  const cpu0 = await rig.server.call('cpu');
  const publishMs = (tokens / ratePerSec) * 1000;
  const published = await rig.upstream.call('publishAnswer', { tokens, ratePerSec }, publishMs * 2 + 10_000);
  const got = await rig.load.call('collect', { timeoutMs, publishUs: published.timesUs }, timeoutMs + 10_000);
  let bytes = await rig.load.call('bytes');
  for (let i = 0, still = 0; i < 50 && still < 3; i++) {
    await sleep(100);
    const next = await rig.load.call('bytes');
    still = next.total === bytes.total ? still + 1 : 0;
    bytes = next;
  }
  const cpu1 = await rig.server.call('cpu');
  return {
    ...got,
    bytes,
    textBytes: published.textBytes,
    publishSeconds: (published.lastUs - published.firstUs) / 1e6,
    serverCpuUs: cpu1 - cpu0,
  };
}

module.exports = { withRig, addViewers, deliver, streamAnswer };
