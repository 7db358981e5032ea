'use strict';
// agent-stream: the real control server (router, tickets, ManagedAgent, operators) from the
// build in dist/ (or $BENCH_DIST, e.g. an older build to compare with), agents `bench0`,
// `bench1`, … each fed by kiloEvents() from its own kilo-compatible upstream stream.
// Viewers get a ticket (POST /agents/bench<i>/stream-ticket) and open its streamUrl.

const path = require('node:path');
const fs = require('node:fs');

const DIST = process.env.BENCH_DIST ? path.resolve(process.env.BENCH_DIST) : path.join(__dirname, '..', '..', 'dist');

/** Why the variant cannot run, or null. */
function unavailableReason() {
  for (const f of ['index.js', path.join('server', 'index.js')]) {
    if (!fs.existsSync(path.join(DIST, f))) return `dist/${f.replace(/\\/g, '/')} not built`;
  }
  try {
    const server = require(path.join(DIST, 'server'));
    if (typeof server.createControlServer !== 'function') return 'dist/server has no createControlServer';
  } catch (err) {
    return `dist/server fails to load: ${err && err.message}`;
  }
  return null;
}

/** The registry of `agents` bench agents, agent i reading the upstream's `/a<i>/event` (`/event` for 0). */
function benchAgents(upstreamUrl, agents) {
  const { createAgentRegistry, createManagedAgent, kiloEvents } = require(DIST);
  const registry = createAgentRegistry();
  for (let a = 0; a < agents; a++) {
    const url = a === 0 ? upstreamUrl : `${upstreamUrl}/a${a}/`;
    registry.add(createManagedAgent({ agentId: `bench${a}`, sessionId: 'ses_bench', events: kiloEvents(url) }));
  }
  return registry;
}

/**
 * One load process opens every viewer from one address: no per-address ticket limit, and room
 * for every viewer's ticket (the production defaults are 20/s per address, 200 per agent and 10
 * unredeemed per client).
 */
function benchTickets() {
  const { createMemoryTicketStore } = require(DIST);
  return createMemoryTicketStore({ capacity: 20_000, capacityPerAgent: 20_000, capacityPerClient: 20_000 });
}

/**
 * The stream options every agent-stream variant runs with: the default frame window unless the
 * variant sets one, or $BENCH_FLUSH_INTERVAL_MS does (to sweep the window).
 */
const streamOptions = ({ maxBufferedBytes, flushIntervalMs }) => {
  const sweep = process.env.BENCH_FLUSH_INTERVAL_MS;
  const window = flushIntervalMs ?? (sweep ? Number(sweep) : undefined);
  return { keepaliveMs: 3_600_000, maxBufferedBytes, ...(window === undefined ? {} : { flushIntervalMs: window }) };
};

async function start({ upstreamUrl, host, maxBufferedBytes, agents = 1, flushIntervalMs }) {
  const why = unavailableReason();
  if (why) throw new Error(`agent-stream not available: ${why}`);
  const { createControlServer } = require(path.join(DIST, 'server'));
  const registry = benchAgents(upstreamUrl, agents);
  const control = createControlServer({
    registry,
    host,
    port: 0,
    ...streamOptions({ maxBufferedBytes, flushIntervalMs }),
    tickets: benchTickets(),
    ticketRate: false,
    maxConnections: 20_000,
    // One load process holds every viewer from one address (production default: 256 per address).
    maxConnectionsPerAddress: 20_000,
  });
  const { port } = await control.listen();
  return {
    port,
    connect: { mode: 'ticket', ticketPath: '/agents/bench{agent}/stream-ticket' },
    stats: () => ({ viewers: control.broadcasts.viewerCount(), slowDisconnects: control.metrics?.slowConsumerDisconnects ?? null }),
    close: async () => {
      registry.stopAll('shutdown');
      await control.close();
    },
  };
}

module.exports = { start, unavailableReason, benchAgents, benchTickets, streamOptions, DIST };
