'use strict';
// agent-stream: the real control server (router, tickets, ManagedAgent, operators) from the
// build in dist/, one agent `bench` fed by kiloEvents() from the kilo-compatible upstream.
// Viewers get a ticket (POST /agents/bench/stream-ticket) and open its streamUrl.

const path = require('node:path');
const fs = require('node:fs');

const DIST = path.join(__dirname, '..', '..', 'dist');

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

async function start({ upstreamUrl, host, maxBufferedBytes }) {
  const why = unavailableReason();
  if (why) throw new Error(`agent-stream not available: ${why}`);
  const { createControlServer } = require(path.join(DIST, 'server'));
  const { createAgentRegistry, createManagedAgent, createMemoryTicketStore, kiloEvents } = require(DIST);
  const registry = createAgentRegistry();
  registry.add(createManagedAgent({ agentId: 'bench', sessionId: 'ses_bench', events: kiloEvents(upstreamUrl) }));
  // One load process opens every viewer from one address: no per-address ticket limit, and room
  // for every viewer's ticket (the production defaults are 20/s per address and 200 per agent).
  const tickets = createMemoryTicketStore({ capacity: 20_000, capacityPerAgent: 20_000 });
  const control = createControlServer({
    registry,
    host,
    port: 0,
    keepaliveMs: 3_600_000,
    maxBufferedBytes,
    tickets,
    ticketRate: false,
    maxConnections: 20_000,
  });
  const { url } = await control.listen();
  const base = new URL(url);
  const port = Number(base.port);

  const viewers = async () => {
    const res = await fetch(new URL('/agents/bench', base));
    if (!res.ok) throw new Error(`GET /agents/bench answered ${res.status}`);
    const body = await res.json();
    return body.viewers;
  };
  return {
    port,
    connect: { mode: 'ticket', ticketPath: '/agents/bench/stream-ticket' },
    stats: async () => ({ viewers: await viewers(), slowDisconnects: control.metrics?.slowConsumerDisconnects ?? null }),
    close: async () => {
      registry.stopAll('shutdown');
      await control.close();
    },
  };
}

module.exports = { start, unavailableReason };
