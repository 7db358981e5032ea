'use strict';
// limit-coalesced: like limit, but the frames of all events that arrive within one event-loop
// turn are joined and written once per viewer per turn (flushed from setImmediate). With
// `agents` > 1: one upstream connection, one set of viewers and one batch per agent.

const { readUpstream } = require('../lib/read-upstream');
const { createViewerServer } = require('../lib/viewer-server');
const { textFrame } = require('../lib/sse-http');

async function start({ upstreamUrl, host, agents = 1 }) {
  const server = await createViewerServer({ host });
  const upstreams = [];
  for (let a = 0; a < agents; a++) {
    const viewers = server.viewersOf(a);
    let seq = 0;
    let pending = [];
    const flush = () => {
      const chunk = pending.length === 1 ? pending[0] : pending.join('');
      pending = [];
      for (const res of viewers) res.write(chunk);
    };
    upstreams.push(
      await readUpstream(
        upstreamUrl,
        (data) => {
          if (pending.length === 0) setImmediate(flush);
          pending.push(textFrame(++seq, data));
        },
        a,
      ),
    );
  }
  return {
    ...server,
    close: async () => {
      for (const u of upstreams) u.close();
      await server.close();
    },
  };
}

module.exports = { start };
