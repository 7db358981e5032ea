'use strict';
// The variants under test, in report order: which file serves each and with what options.
// `multiAgent`: it can serve several agents at once (the `agents` scenario).

const VARIANT_SPECS = {
  limit: { file: 'limit', multiAgent: true },
  'limit-coalesced': { file: 'limit-coalesced', multiAgent: true },
  'agent-stream': { file: 'agent-stream', multiAgent: true },
  // The same control server with the frame window off: one write per viewer per event-loop turn.
  'agent-stream-per-turn': { file: 'agent-stream', options: { flushIntervalMs: 0 }, multiAgent: true },
  // The router in a user's own Express app, as the README shows it.
  'agent-stream-mounted': { file: 'agent-stream-mounted', multiAgent: true },
  // `serve --workers 2` (issue 24): a primary with the agents, two cluster workers with the viewers.
  'agent-stream-workers': { file: 'agent-stream-workers', options: { workers: 2 }, multiAgent: true, only: ['viewers'] },
  'better-sse': { file: 'better-sse', multiAgent: false },
  'per-viewer-rxjs': { file: 'per-viewer-rxjs', multiAgent: false },
};

const VARIANTS = Object.keys(VARIANT_SPECS);

/** Whether the variant is agent-stream (needs dist/). */
const isAgentStream = (variant) => variant.startsWith('agent-stream');

module.exports = { VARIANT_SPECS, VARIANTS, isAgentStream };
