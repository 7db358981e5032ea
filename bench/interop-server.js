'use strict';
// The server process of bench/interop.js: one managed agent fed kilo events in process (no
// upstream socket), its broadcast answering `GET /?format=…` with the stream of that format.
// IPC: {cmd: 'publish', count, rate} streams one answer of `count` token deltas at `rate`/s and
// replies {cpuUs} (this process's CPU from the first delta until every socket's buffer drained).
const http = require('node:http');
const { Subject } = require('rxjs');
const { createManagedAgent } = require('../dist');
const { createAgentBroadcast, createStreamMetrics } = require('../dist/server');

const SES = 'ses_bench';
const upstream = new Subject();
const agent = createManagedAgent({ agentId: 'bench', sessionId: SES, events: upstream });
const broadcast = createAgentBroadcast(agent, {
  keepaliveMs: 15_000,
  maxBufferedBytes: 1024 * 1024,
  retryMs: 2000,
  flushIntervalMs: 16,
  metrics: createStreamMetrics(),
});
const server = http.createServer((req, res) => {
  const format = new URL(req.url, 'http://x').searchParams.get('format') ?? 'native';
  broadcast.join(res, { format });
});
let turn = 0;
const sockets = new Set();
server.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});

function publish({ count, rate }) {
  turn++;
  const messageID = `msg_${String(turn).padStart(6, '0')}`;
  const partID = `prt_${String(turn).padStart(6, '0')}`;
  upstream.next({ type: 'session.status', properties: { sessionID: SES, status: { type: 'busy' } } });
  upstream.next({ type: 'message.updated', properties: { sessionID: SES, info: { id: messageID, sessionID: SES, role: 'assistant' } } });
  upstream.next({
    type: 'message.part.updated',
    properties: { sessionID: SES, part: { id: partID, sessionID: SES, messageID, type: 'text', text: '' } },
  });
  const start = process.cpuUsage();
  const startMs = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(count, Math.floor(((performance.now() - startMs) * rate) / 1000) + 1);
      for (; sent < due; sent++)
        upstream.next({
          type: 'message.part.delta',
          properties: { sessionID: SES, messageID, partID, field: 'text', delta: `BENCH|${sent}| ` },
        });
      if (sent < count) return void setTimeout(tick, Math.max(1, Math.floor(1000 / rate)));
      // The last window, then until every socket has handed its bytes to the kernel.
      const drained = () => {
        for (const s of sockets) if (s.writableLength > 0) return void setTimeout(drained, 5);
        const cpu = process.cpuUsage(start);
        upstream.next({ type: 'session.status', properties: { sessionID: SES, status: { type: 'idle' } } });
        resolve({ cpuUs: cpu.user + cpu.system, seconds: (performance.now() - startMs) / 1000 });
      };
      setTimeout(drained, 50);
    };
    tick();
  });
}

process.on('message', async (m) => {
  if (m.cmd === 'publish') process.send({ reply: 'publish', ...(await publish(m)) });
});
server.listen(0, '127.0.0.1', () => process.send({ reply: 'listening', port: server.address().port }));
