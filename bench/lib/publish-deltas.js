'use strict';
// Token deltas as kilo streams them, for one agent or many at once: each agent's part starts with
// its `message.part.updated` (text ""), then `count` `message.part.delta` frames per agent at
// `ratePerSec` per agent. Each delta is `BENCH|<publish time, µs>|`, so the load process measures
// its latency wherever it arrives (lib/marker-scanner.js), whatever variant and agent it went
// through. The agents' deltas are staggered evenly over one interval (agent i is i/agents of an
// interval behind agent 0), so they reach the server in separate event-loop turns, like the
// tokens of separate kilo serves. No full text follows: it would carry every marker again.

const { nowUs } = require('./clock');

const SESSION = 'ses_bench'; // the session of every bench agent (kilo-upstream.js)

let runs = 0;
let eventSeq = 0;

/**
 * @param {{agents?: number, count: number, ratePerSec: number}} o
 * @param {(agent: number, frame: string) => void} write writes a frame to agent's connections
 * @returns {Promise<{agents: number, count: number, firstUs: number, lastUs: number}>}
 */
function publishDeltas({ agents = 1, count, ratePerSec }, write) {
  if (!Number.isInteger(agents) || agents < 1 || agents > 10_000) throw new RangeError(`bad agents ${agents}`);
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new RangeError(`bad count ${count}`);
  if (!(ratePerSec > 0 && ratePerSec <= 10_000)) throw new RangeError(`bad ratePerSec ${ratePerSec}`);
  const run = ++runs;
  const frame = (type, properties) =>
    `data: ${JSON.stringify({ id: `evt_d${++eventSeq}`, type, properties: { sessionID: SESSION, ...properties } })}\n\n`;
  const ids = (agent) => ({ messageID: `msg_d${run}_${agent}`, partID: `prt_d${run}_${agent}` });
  for (let a = 0; a < agents; a++) {
    const { messageID, partID } = ids(a);
    write(a, frame('session.status', { status: { type: 'busy' } }));
    write(a, frame('message.part.updated', { part: { id: partID, sessionID: SESSION, messageID, type: 'text', text: '' } }));
  }
  // Delta g (0 … agents·count − 1) is agent g % agents's delta number floor(g / agents).
  const total = agents * count;
  const stepUs = 1e6 / ratePerSec / agents;
  let next = 0;
  const firstUs = nowUs() + 20_000; // after the part's first frames have gone out
  return new Promise((resolve) => {
    const tick = () => {
      const now = nowUs();
      while (next < total && firstUs + next * stepUs <= now) {
        const agent = next % agents;
        write(agent, frame('message.part.delta', { ...ids(agent), field: 'text', delta: `BENCH|${nowUs()}|` }));
        next++;
      }
      if (next >= total) return resolve({ agents, count, firstUs, lastUs: nowUs() });
      setTimeout(tick, Math.max(0, Math.floor((firstUs + next * stepUs - nowUs()) / 1000)));
    };
    setTimeout(tick, 20);
  });
}

module.exports = { publishDeltas };
