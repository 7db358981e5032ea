'use strict';
// better-sse: one `Channel`, every viewer a `Session` registered on it, each event sent with
// `channel.broadcast(data, 'text', {eventId})` (better-sse serializes per session).

const http = require('node:http');
const { readUpstream } = require('../lib/read-upstream');
const { SSE_HEADERS, listen, closeServer } = require('../lib/sse-http');

// better-sse 0.16 ships a CommonJS build next to its ESM one; fall back to import() if a later
// version drops it.
async function loadBetterSse() {
  try {
    return require('better-sse');
  } catch (err) {
    if (err && err.code !== 'ERR_REQUIRE_ESM' && err.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw err;
    return import('better-sse');
  }
}

async function start({ upstreamUrl, host }) {
  const { createSession, createChannel } = await loadBetterSse();
  const channel = createChannel();
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/stream') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const session = await createSession(req, res, { keepAlive: null, headers: SSE_HEADERS });
    if (!res.destroyed) channel.register(session);
  });
  const port = await listen(server, host);
  let seq = 0;
  const upstream = await readUpstream(upstreamUrl, (data) => {
    channel.broadcast(data, 'text', { eventId: String(++seq) });
  });
  return {
    port,
    connect: { mode: 'direct', path: '/stream' },
    stats: () => ({ viewers: channel.sessionCount, slowDisconnects: null }),
    close: async () => {
      upstream.close();
      await closeServer(server);
    },
  };
}

module.exports = { start };
