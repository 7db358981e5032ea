'use strict';
// `node bench/interop.js [--n=1000] [--tokens=1000] [--rate=100] [--formats=native,ag-ui,ai-sdk]` (after `npm run build`): CPU per
// delivered event of each stream format (native, ag-ui, ai-sdk) in the same run: N viewers of one
// agent in one format read one answer streamed token by token; the server process reports its own
// CPU from the first token until its sockets drained; "delivered" counts each token each viewer
// received. The formats take turns on one server process (bench/interop-server.js); the viewers
// are raw sockets in this process. The rows go to stdout (and into bench/results.md by hand).
const http = require('node:http');
const path = require('node:path');
const { fork } = require('node:child_process');

const arg = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const N = arg('n', 1000);
const TOKENS = arg('tokens', 1000);
const RATE = arg('rate', 100);
const WARMUP = 100;
// In this order (the ratios are to native's row, wherever it is).
const FORMATS = (process.argv.find((a) => a.startsWith('--formats='))?.slice(10) ?? 'native,ag-ui,ai-sdk').split(',');
if (!FORMATS.includes('native')) throw new Error('--formats must include native (the ratios are to it)');

function request(child, msg, reply) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m.reply !== reply) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    if (msg) child.send(msg);
  });
}

/** N raw viewers of `format`; each counts the token markers it received (split across reads too). */
async function openViewers(port, format) {
  const viewers = [];
  for (let i = 0; i < N; i++) {
    viewers.push(
      await new Promise((resolve, reject) => {
        const v = { tokens: 0, tail: '', res: null };
        const req = http.get({ host: '127.0.0.1', port, path: `/?format=${format}`, agent: false }, (res) => {
          v.res = res;
          res.setEncoding('utf8');
          res.on('data', (s) => {
            const text = v.tail + s;
            let at = text.indexOf('BENCH|');
            while (at >= 0) {
              v.tokens++;
              at = text.indexOf('BENCH|', at + 6);
            }
            // Keep what may be the start of a marker cut by this read.
            v.tail = text.slice(-5).replace(/BENCH\|.*$/, '');
          });
          resolve(v);
        });
        v.req = req;
        req.on('error', reject);
      }),
    );
  }
  return viewers;
}

async function main() {
  const child = fork(path.join(__dirname, 'interop-server.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await request(child, null, 'listening');
  const rows = [];
  for (const format of FORMATS) {
    const viewers = await openViewers(port, format);
    await request(child, { cmd: 'publish', count: WARMUP, rate: RATE }, 'publish');
    await new Promise((r) => setTimeout(r, 300));
    for (const v of viewers) v.tokens = 0;
    const r = await request(child, { cmd: 'publish', count: TOKENS, rate: RATE }, 'publish');
    await new Promise((res) => setTimeout(res, 500)); // the last bytes through loopback
    const delivered = viewers.reduce((s, v) => s + v.tokens, 0);
    const complete = viewers.filter((v) => v.tokens === TOKENS).length;
    rows.push({ format, n: N, tokens: TOKENS, delivered, complete, cpuMs: r.cpuUs / 1000, usPerEvent: r.cpuUs / delivered });
    process.stderr.write(`${format}: ${(r.cpuUs / delivered).toFixed(3)} µs CPU per delivered event (${complete}/${N} viewers complete)\n`);
    for (const v of viewers) v.req.destroy();
    await new Promise((res) => setTimeout(res, 500));
  }
  child.kill();
  const native = rows.find((r) => r.format === 'native').usPerEvent;
  process.stdout.write(
    '| format | N | tokens | viewers complete | server CPU (ms) | µs CPU per delivered event | × native |\n|---|---|---|---|---|---|---|\n',
  );
  for (const r of rows)
    process.stdout.write(
      `| ${r.format} | ${r.n} | ${r.tokens} | ${r.complete}/${r.n} | ${r.cpuMs.toFixed(0)} | ${r.usPerEvent.toFixed(3)} | ${(r.usPerEvent / native).toFixed(2)} |\n`,
    );
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err.stack}\n`);
  process.exitCode = 1;
});
