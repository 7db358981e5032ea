'use strict';
// The kilo reader's cost per message: `openEventStream` (dist/kilo/open-event-stream.js) reading
// N real-shaped frames (the recorded kilo turn's frames, repeated; ~330 bytes a frame on average)
// over a real loopback socket from a server in a child process. Two rows:
// - parse: the reader's parser alone, fed the body in 64 KiB chunks (what one socket read gives),
//   best of 5 runs, µs per message;
// - read: the whole reader in this process (node:http + parser + the onData hand-off), this
//   process's CPU (user + system) per message while the child writes the body.
// Usage: node bench/sse-reader.js [frames=200000]   (needs `npm run build`; SSE_READER_ROOT=dir
// reads dir/dist and dir/__tests__/fixtures instead, e.g. a build of an older commit)

const fs = require('node:fs');
const path = require('node:path');
const { fork } = require('node:child_process');

const frames = Number(process.argv[2] ?? 200_000);
const root = process.env.SSE_READER_ROOT ?? path.join(__dirname, '..');

/** The body: the recorded turn's frames repeated until `n` messages. */
function body(n) {
  const recorded = fs.readFileSync(path.join(root, '__tests__/fixtures/recorded-turn.sse'), 'utf8');
  const one = recorded.split('\n\n').filter((f) => f.startsWith('data: '));
  const out = [];
  for (let i = 0; i < n; i++) out.push(one[i % one.length], '\n\n');
  return out.join('');
}

if (process.argv[2] === '--serve') {
  const http = require('node:http');
  const text = Buffer.from(body(Number(process.argv[3])));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.end(text);
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
  process.on('disconnect', () => process.exit(0));
  return;
}

/** The parser the reader uses, as a push function `(chunk) => void` calling `onData` per message. */
function readerParser(onData) {
  // The parser dist's reader uses (the hand-written one before eventsource-parser replaced it).
  const reader = fs.readFileSync(path.join(root, 'dist/kilo/open-event-stream.js'), 'utf8');
  const dataParser = path.join(root, 'dist/kilo/create-sse-data-parser.js');
  if (reader.includes('create-sse-data-parser')) return { name: 'hand-written', feed: require(dataParser).createSseDataParser(onData) };
  const { createParser } = require('eventsource-parser');
  const p = createParser({ onEvent: (m) => (m.event === undefined || m.event === 'message') && onData(m.data) });
  return { name: 'eventsource-parser', feed: (chunk) => p.feed(chunk) };
}

function parseRow(text) {
  const chunks = [];
  for (let at = 0; at < text.length; at += 65_536) chunks.push(text.slice(at, at + 65_536));
  let best = Infinity;
  let name = '';
  for (let run = 0; run < 5; run++) {
    let count = 0;
    const parser = readerParser(() => count++);
    name = parser.name;
    const t0 = process.hrtime.bigint();
    for (const c of chunks) parser.feed(c);
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    if (count !== frames) throw new Error(`parsed ${count} of ${frames}`);
    best = Math.min(best, us / count);
  }
  return { name, best };
}

async function readRow() {
  const { openEventStream } = require(path.join(root, 'dist/kilo/open-event-stream.js'));
  const child = fork(__filename, ['--serve', String(frames)], { stdio: 'inherit' });
  const port = await new Promise((r) => child.once('message', r));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let count = 0;
  await new Promise((resolve, reject) => {
    openEventStream(
      new URL(`http://127.0.0.1:${port}/event`),
      {},
      {
        onOpen: () => undefined,
        onData: () => count++,
        onError: (e) => (count === frames ? resolve() : reject(new Error(`${e.message} after ${count}`))),
      },
    );
  });
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  child.disconnect();
  return { cpuUs: (cpu.user + cpu.system) / count, wall };
}

(async () => {
  const text = body(frames);
  const parse = parseRow(text);
  const read = await readRow();
  const mb = (Buffer.byteLength(text) / 1e6).toFixed(1);
  console.log(
    `${parse.name}: ${frames} frames (${mb} MB): parse ${parse.best.toFixed(3)} µs/message (best of 5), ` +
      `read over node:http ${read.cpuUs.toFixed(3)} µs CPU/message (${read.wall.toFixed(0)} ms wall); load ${require('node:os')
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
