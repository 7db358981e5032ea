'use strict';
// A tiny kilo-serve-compatible event server: `GET /event` streams data-only SSE frames, first
// `server.connected`, then `message.part.updated` text parts on command, or one assistant answer
// streamed token by token the way kilo 7.7 does it (`publishAnswer`). It also stands for many
// kilo serves at once: `GET /a<i>/event` is agent i's own `/event` (`/event` is agent 0), and
// `publishDeltas` streams token deltas carrying their send time to every agent (lib/publish-deltas.js).
// Every variant under test reads its events from one of these, so all of them get the same bytes,
// batched by the kernel the same way. Run as a script it is a bench worker (IPC commands
// `publish`, `publishAnswer`, `publishDeltas`, `clients`).

const http = require('node:http');
const { nowUs } = require('./lib/clock');
const { eventText } = require('./lib/event-text');
const { publishDeltas } = require('./lib/publish-deltas');

const SESSION = 'ses_bench';
const CONNECTED = 'data: {"type":"server.connected","properties":{}}\n\n';

function frameOf(partId, text) {
  const event = {
    type: 'message.part.updated',
    properties: {
      sessionID: SESSION,
      part: { id: partId, sessionID: SESSION, messageID: 'msg_1', type: 'text', text },
    },
  };
  return `data: ${JSON.stringify(event)}\n\n`;
}

/**
 * @param {{host?: string, port?: number}} [options] loopback and a free port by default
 */
function createKiloUpstream(options = {}) {
  const host = options.host ?? '127.0.0.1';
  const clients = new Set(); // agent 0's
  const agentClients = new Map(); // agent index → Set of responses
  const clientsOf = (agent) => {
    if (agent === 0) return clients;
    let set = agentClients.get(agent);
    if (!set) agentClients.set(agent, (set = new Set()));
    return set;
  };
  let partSeq = 0;
  let answerSeq = 0;
  let eventSeq = 0;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const m = /^(?:\/a(\d+))?\/event$/.exec(path);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const set = clientsOf(m[1] === undefined ? 0 : Number(m[1]));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(CONNECTED);
    set.add(res);
    res.on('close', () => set.delete(res));
  });

  const send = (textBytes, parts) => {
    // `parts` > 0: cycle through that many part ids (a streaming part updated again and again);
    // otherwise every event is a new part prt_N.
    const n = partSeq++;
    const partId = parts > 0 ? `prt_${n % parts}` : `prt_${n}`;
    const frame = frameOf(partId, eventText(nowUs(), textBytes));
    for (const res of clients) res.write(frame);
  };
  // A kilo event as kilo sends it: its own id, the session in the properties.
  const emit = (type, properties) => {
    const frame = `data: ${JSON.stringify({ id: `evt_bench${++eventSeq}`, type, properties: { sessionID: SESSION, ...properties } })}\n\n`;
    for (const res of clients) res.write(frame);
  };

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, host, () => resolve({ url: `http://${host}:${server.address().port}` }));
      }),
    /** Open `/event` connections, all agents together. */
    clients: () => clients.size + [...agentClients.values()].reduce((n, set) => n + set.size, 0),
    /**
     * Token deltas carrying their send time (`BENCH|<µs>|`) to agents 0..agents-1, `count` each
     * at `ratePerSec` per agent, each agent's in its own event-loop turns (lib/publish-deltas.js).
     */
    publishDeltas: (o) =>
      publishDeltas(o, (agent, frame) => {
        for (const res of clientsOf(agent)) res.write(frame);
      }),
    /**
     * Publishes `count` events, as fast as possible (`ratePerSec` 0) or at a fixed rate.
     * @param {{count: number, ratePerSec?: number, textBytes?: number, parts?: number}} o
     * @returns {Promise<{count: number, firstUs: number, lastUs: number}>}
     */
    publish({ count, ratePerSec = 0, textBytes = 220, parts = 0 }) {
      if (!Number.isInteger(count) || count < 1 || count > 1_000_000) throw new RangeError(`bad count ${count}`);
      const firstUs = nowUs();
      if (!ratePerSec) {
        for (let i = 0; i < count; i++) send(textBytes, parts);
        return Promise.resolve({ count, firstUs, lastUs: nowUs() });
      }
      const intervalUs = 1e6 / ratePerSec;
      let sent = 0;
      return new Promise((resolve) => {
        const tick = () => {
          const due = Math.min(count, Math.floor((nowUs() - firstUs) / intervalUs) + 1);
          while (sent < due) {
            send(textBytes, parts);
            sent++;
          }
          if (sent >= count) return resolve({ count, firstUs, lastUs: nowUs() });
          const waitMs = (firstUs + sent * intervalUs - nowUs()) / 1000;
          setTimeout(tick, Math.max(0, Math.floor(waitMs)));
        };
        tick();
      });
    },
    /**
     * One assistant answer, shaped like ../shared/kilo/turn-1500-tokens.sse: `session.status` busy,
     * the text part with text "", one `message.part.delta` per token (`w0 `, `w1 `, …: ~5.4 bytes
     * on average over 2000), each written in its own event-loop turn at `ratePerSec`, then the
     * part's full `message.part.updated` and `session.idle`.
     * @param {{tokens: number, ratePerSec: number}} o
     * @returns {Promise<{count: number, firstUs: number, lastUs: number, timesUs: number[], textBytes: number}>}
     *   `timesUs[i]`: when token i was written
     */
    publishAnswer({ tokens, ratePerSec }) {
      if (!Number.isInteger(tokens) || tokens < 1 || tokens > 100_000) throw new RangeError(`bad tokens ${tokens}`);
      if (!(ratePerSec > 0 && ratePerSec <= 100_000)) throw new RangeError(`bad ratePerSec ${ratePerSec}`);
      const n = answerSeq++;
      const part = { id: `prt_answer${n}`, sessionID: SESSION, messageID: `msg_answer${n}`, type: 'text' };
      emit('session.status', { status: { type: 'busy' } });
      emit('message.part.updated', { part: { ...part, text: '' } });
      const intervalUs = 1e6 / ratePerSec;
      const timesUs = [];
      let text = '';
      const firstUs = nowUs();
      return new Promise((resolve) => {
        const tick = () => {
          const delta = `w${timesUs.length} `;
          text += delta;
          timesUs.push(nowUs());
          emit('message.part.delta', { messageID: part.messageID, partID: part.id, field: 'text', delta });
          if (timesUs.length < tokens) {
            const waitMs = (firstUs + timesUs.length * intervalUs - nowUs()) / 1000;
            setTimeout(tick, Math.max(0, Math.round(waitMs)));
            return;
          }
          const lastUs = nowUs();
          emit('message.part.updated', { part: { ...part, text } });
          emit('session.idle', {});
          resolve({ count: tokens, firstUs, lastUs, timesUs, textBytes: Buffer.byteLength(text) });
        };
        setImmediate(tick);
      });
    },
    close: () =>
      new Promise((resolve) => {
        for (const res of clients) res.destroy();
        for (const set of agentClients.values()) for (const res of set) res.destroy();
        server.close(() => resolve());
      }),
  };
}

module.exports = { createKiloUpstream, SESSION };

if (require.main === module) {
  const { serveWorker } = require('./lib/ipc');
  const upstream = createKiloUpstream();
  upstream.listen().then(
    ({ url }) => {
      serveWorker(
        {
          publish: (args) => upstream.publish(args),
          publishAnswer: (args) => upstream.publishAnswer(args),
          publishDeltas: (args) => upstream.publishDeltas(args),
          clients: () => upstream.clients(),
        },
        { onExit: () => upstream.close() },
      );
      process.send({ type: 'ready', url });
    },
    (err) => process.send({ type: 'failed', error: String(err) }),
  );
}
