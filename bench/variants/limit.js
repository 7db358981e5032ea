'use strict';
// limit: plain node:http; each event serialized once, the same string written to every
// response, one write per event per viewer. A streamed token is a frame of its own carrying just
// the delta (lib/read-upstream.js). With `agents` > 1: one upstream connection and one set of
// viewers per agent.

const { readUpstream } = require('../lib/read-upstream');
const { createViewerServer } = require('../lib/viewer-server');
const { textFrame } = require('../lib/sse-http');

async function start({ upstreamUrl, host, agents = 1 }) {
  const server = await createViewerServer({ host });
  const upstreams = [];
  for (let a = 0; a < agents; a++) {
    const viewers = server.viewersOf(a);
    let seq = 0;
    upstreams.push(
      await readUpstream(
        upstreamUrl,
        (data) => {
          const frame = textFrame(++seq, data);
          for (const res of viewers) res.write(frame);
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
