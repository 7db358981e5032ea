'use strict';
// Cluster bench load: N viewers spread over the node URLs (round robin), raw HTTP/1.1. Reads
// commands on stdin (`reset`, `report`), answers one JSON line on stdout. Latency = arrival −
// the send time the upstream wrote into each delta (`t<µs> `, monotonic clock of the machine).
const http = require('node:http');
const { nowUs } = require('../lib/clock');
const { createHistogram } = require('../lib/histogram');

const [n, ...urls] = process.argv.slice(2);
const N = Number(n);
let delivered = 0;
let hist = createHistogram();
let connected = 0;
const RE = /"delta":"t(\d+) "/g;

function viewer(base) {
  return new Promise((resolve, reject) => {
    const post = http.request(`${base}/agents/bench/stream-ticket`, { method: 'POST', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 201) return reject(new Error(`ticket ${res.statusCode} ${body}`));
        const { streamUrl } = JSON.parse(body);
        http
          .get(new URL(streamUrl, `${base}/`).href, { agent: false }, (s) => {
            if (s.statusCode !== 200) return reject(new Error(`stream ${s.statusCode}`));
            connected++;
            resolve();
            let tail = '';
            s.setEncoding('latin1');
            s.on('data', (chunk) => {
              const text = tail + chunk;
              const now = nowUs();
              RE.lastIndex = 0;
              let m;
              let end = 0;
              while ((m = RE.exec(text))) {
                delivered++;
                hist.record(now - Number(m[1]));
                end = RE.lastIndex;
              }
              tail = text.slice(Math.max(end, text.length - 64));
            });
          })
          .on('error', reject);
      });
    });
    post.on('error', reject);
    post.end();
  });
}

async function main() {
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, j) => viewer(urls[(i + j) % urls.length])));
  }
  process.stdout.write(`${JSON.stringify({ connected })}\n`);
  let buf = '';
  process.stdin.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const cmd = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (cmd === 'reset') {
        delivered = 0;
        hist = createHistogram();
        process.stdout.write('{"reset":true}\n');
      } else if (cmd === 'report') {
        process.stdout.write(`${JSON.stringify({ delivered, ...hist.summary() })}\n`);
      }
    }
  });
  process.stdin.on('end', () => process.exit(0));
  setTimeout(() => process.exit(0), 10 * 60_000).unref();
}
main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
