'use strict';
// Small helpers the hand-written variants share.

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/** @returns {Promise<number>} the port */
function listen(server, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server.address().port));
  });
}

function closeServer(server) {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

const textFrame = (seq, data) => `id: ${seq}\nevent: text\ndata: ${JSON.stringify(data)}\n\n`;

module.exports = { SSE_HEADERS, listen, closeServer, textFrame };
