'use strict';
// The `node:http` SSE endpoint of the hand-written variants: `GET /stream` (agent 0) or
// `GET /stream/<i>` (agent i) answers 200 with SSE headers and `retry: 2000`, then the viewer is
// in `viewers` and `viewersOf(i)` until its connection closes.

const http = require('node:http');
const { SSE_HEADERS, listen, closeServer } = require('./sse-http');

/**
 * @param {{host: string, onOpen?: (res: import('node:http').ServerResponse) => (() => void) | void}} options
 *   `onOpen` may return a cleanup run on close
 */
async function createViewerServer({ host, onOpen }) {
  const viewers = new Set();
  const byAgent = [viewers];
  const viewersOf = (agent) => (byAgent[agent] ??= new Set());
  const server = http.createServer((req, res) => {
    const m = /^\/stream(?:\/(\d+))?$/.exec((req.url ?? '').split('?')[0]);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const agent = m[1] === undefined ? 0 : Number(m[1]);
    const set = viewersOf(agent);
    res.writeHead(200, SSE_HEADERS);
    res.write('retry: 2000\n\n');
    set.add(res);
    const cleanup = onOpen?.(res);
    res.on('close', () => {
      set.delete(res);
      cleanup?.();
    });
  });
  const port = await listen(server, host);
  return {
    port,
    /** Agent 0's viewers (the only agent of the single-agent scenarios). */
    viewers,
    viewersOf,
    connect: { mode: 'direct', path: '/stream/{agent}' },
    stats: () => ({ viewers: byAgent.reduce((n, set) => n + (set ? set.size : 0), 0), slowDisconnects: null }),
    close: () => closeServer(server),
  };
}

module.exports = { createViewerServer };
