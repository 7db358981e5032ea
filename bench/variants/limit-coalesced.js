'use strict';
// limit-coalesced: like limit, but the frames of all events that arrive within one event-loop
// turn are joined and written once per viewer per turn (flushed from setImmediate).

const { readUpstream } = require('../lib/read-upstream');
const { createViewerServer } = require('../lib/viewer-server');
const { textFrame } = require('../lib/sse-http');

async function start({ upstreamUrl, host }) {
  const server = await createViewerServer({ host });
  let seq = 0;
  let pending = [];
  const flush = () => {
    const chunk = pending.length === 1 ? pending[0] : pending.join('');
    pending = [];
    for (const res of server.viewers) res.write(chunk);
  };
  const upstream = await readUpstream(upstreamUrl, (data) => {
    if (pending.length === 0) setImmediate(flush);
    pending.push(textFrame(++seq, data));
  });
  return {
    ...server,
    close: async () => {
      upstream.close();
      await server.close();
    },
  };
}

module.exports = { start };
