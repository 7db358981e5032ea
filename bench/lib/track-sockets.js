'use strict';
// Measurement only: remembers every socket any net/http server in this process accepts, so the
// bench can read the unsent userland backlog of each viewer (socket.writableLength, which is
// where ServerResponse.write ends up) the same way for every variant, agent-stream included,
// without touching its code.

const net = require('node:net');

/** Installs the hook once; returns `{ count(), maxBacklog(), totalBacklog() }`. */
function trackServerSockets() {
  const sockets = new Set();
  const emit = net.Server.prototype.emit;
  net.Server.prototype.emit = function trackedEmit(event, socket, ...rest) {
    if (event === 'connection' && socket && typeof socket.once === 'function') {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    return emit.call(this, event, socket, ...rest);
  };
  return {
    count: () => sockets.size,
    maxBacklog() {
      let max = 0;
      for (const s of sockets) if (s.writableLength > max) max = s.writableLength;
      return max;
    },
    /** Unsent userland bytes of all sockets together. */
    totalBacklog() {
      let sum = 0;
      for (const s of sockets) sum += s.writableLength;
      return sum;
    },
  };
}

module.exports = { trackServerSockets };
