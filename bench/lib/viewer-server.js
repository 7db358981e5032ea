'use strict';
// The `node:http` SSE endpoint of the hand-written variants: `GET /stream` answers 200 with SSE
// headers and `retry: 2000`, then the viewer is in `viewers` until its connection closes.

const http = require('node:http');
const { SSE_HEADERS, listen, closeServer } = require('./sse-http');

/**
 * @param {{host: string, onOpen?: (res: import('node:http').ServerResponse) => (() => void) | void}} options
 *   `onOpen` may return a cleanup run on close
 */
async function createViewerServer({ host, onOpen }) {
  const viewers = new Set();
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/stream') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, SSE_HEADERS);
    res.write('retry: 2000\n\n');
    viewers.add(res);
    const cleanup = onOpen?.(res);
    res.on('close', () => {
      viewers.delete(res);
      cleanup?.();
    });
  });
  const port = await listen(server, host);
  return {
    port,
    viewers,
    connect: { mode: 'direct', path: '/stream' },
    stats: () => ({ viewers: viewers.size, slowDisconnects: null }),
    close: () => closeServer(server),
  };
}

module.exports = { createViewerServer };
