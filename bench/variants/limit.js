'use strict';
// limit: plain node:http; each event serialized once, the same string written to every
// response, one write per event per viewer. A streamed token is a frame of its own carrying just
// the delta (lib/read-upstream.js).

const { readUpstream } = require('../lib/read-upstream');
const { createViewerServer } = require('../lib/viewer-server');
const { textFrame } = require('../lib/sse-http');

async function start({ upstreamUrl, host }) {
  const server = await createViewerServer({ host });
  let seq = 0;
  const upstream = await readUpstream(upstreamUrl, (data) => {
    const frame = textFrame(++seq, data);
    for (const res of server.viewers) res.write(frame);
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
