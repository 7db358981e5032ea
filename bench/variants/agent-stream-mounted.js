'use strict';
// agent-stream-mounted: the router in a user's own Express app, the way the README tells users
// to mount it (`app.use('/api', requireLogin, createAgentStreamRouter({registry}))`, with the
// app's own JSON body parser in front), on `app.listen`'s plain server. Same agents, tickets and
// stream options as the agent-stream variant; only the way in differs.

const http = require('node:http');
const path = require('node:path');
const express = require('express');
const { unavailableReason, benchAgents, benchTickets, streamOptions, DIST } = require('./agent-stream');
const { listen, closeServer } = require('../lib/sse-http');

async function start({ upstreamUrl, host, maxBufferedBytes, agents = 1, flushIntervalMs, streams }) {
  const why = unavailableReason();
  if (why) throw new Error(`agent-stream not available: ${why}`);
  const { createAgentStreamRouter, createStreamMetrics } = require(path.join(DIST, 'server'));
  const registry = benchAgents(upstreamUrl, agents);
  const metrics = createStreamMetrics();
  const app = express();
  app.use(express.json());
  const requireLogin = (_req, _res, next) => next(); // the user's own check; lets everyone in here
  const router = createAgentStreamRouter({
    registry,
    tickets: benchTickets(),
    ticketRate: false,
    metrics,
    ...streamOptions({ maxBufferedBytes, flushIntervalMs }),
  });
  app.use('/api', requireLogin, router);
  const server = http.createServer(app);
  const port = await listen(server, host);
  return {
    port,
    connect: { mode: 'ticket', ticketPath: '/api/agents/bench{agent}/stream-ticket' },
    // The router keeps its broadcasts to itself: count the open event streams on the sockets.
    stats: () => ({ viewers: streams(), slowDisconnects: metrics.slowConsumerDisconnects }),
    close: async () => {
      registry.stopAll('shutdown');
      await closeServer(server);
    },
  };
}

module.exports = { start };
