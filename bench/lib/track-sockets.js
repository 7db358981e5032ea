'use strict';
// Measurement only: remembers every socket any net/http server in this process accepts, so the
// bench can read the unsent userland backlog of each viewer (socket.writableLength, which is
// where ServerResponse.write ends up) the same way for every variant, agent-stream included,
// without touching its code.

const net = require('node:net');

/** Installs the hook once; returns `{ count(), writes(), streams(), maxBacklog(), totalBacklog() }`. */
function trackServerSockets() {
  const sockets = new Set();
  let writes = 0;
  const emit = net.Server.prototype.emit;
  // Counts the writes handed to the OS on accepted sockets (one write or writev each: what a
  // response's corked chunks, or a direct socket write, become), whatever wrote them.
  const writeGeneric = net.Socket.prototype._writeGeneric;
  function countedWrite(...args) {
    writes++;
    return writeGeneric.apply(this, args);
  }
  net.Server.prototype.emit = function trackedEmit(event, socket, ...rest) {
    if (event === 'connection' && socket && typeof socket.once === 'function') {
      sockets.add(socket);
      socket._writeGeneric = countedWrite;
      socket.once('close', () => sockets.delete(socket));
    }
    return emit.call(this, event, socket, ...rest);
  };
  return {
    count: () => sockets.size,
    writes: () => writes,
    /** Sockets whose current response is an open event stream (its header block was sent). */
    streams() {
      let n = 0;
      for (const s of sockets) {
        const header = s._httpMessage?._header;
        if (typeof header === 'string' && header.includes('text/event-stream')) n++;
      }
      return n;
    },
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
