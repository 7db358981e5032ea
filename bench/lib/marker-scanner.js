'use strict';
// Finds `BENCH|<digits>|` records in the raw bytes of an SSE response (chunked transfer framing
// included: records never straddle a write, so never an HTTP chunk header either). A record cut
// by a TCP read boundary is carried over to the next chunk.

const { MARKER } = require('./event-text');

const MARK = Buffer.from(MARKER);
const BAR = 124; // '|'
const MAX_CARRY = 64;

/** Per-connection state: `{ carry: Buffer | null }`. */
function createScanState() {
  return { carry: null };
}

/**
 * Calls `onRecord(tsUs)` for every complete record in `chunk` (plus what was carried over).
 * @returns {number} how many records were found
 */
function scanChunk(state, chunk, onRecord) {
  let buf = chunk;
  if (state.carry !== null) {
    buf = Buffer.concat([state.carry, chunk]);
    state.carry = null;
  }
  const len = buf.length;
  let pos = 0;
  let found = 0;
  for (let guard = 0; guard <= len; guard++) {
    const i = buf.indexOf(MARK, pos);
    if (i === -1) break;
    let j = i + MARK.length;
    let ts = 0;
    while (j < len && buf[j] !== BAR) {
      ts = ts * 10 + (buf[j] - 48);
      j++;
    }
    if (j >= len) {
      if (len - i <= MAX_CARRY) state.carry = Buffer.from(buf.subarray(i));
      return found;
    }
    onRecord(ts);
    found++;
    pos = j + 1;
  }
  // A marker cut at the very end ("…BEN")?
  for (let k = Math.max(pos, len - MARK.length + 1); k < len; k++) {
    if (buf[k] === MARK[0] && MARK.subarray(0, len - k).equals(buf.subarray(k))) {
      state.carry = Buffer.from(buf.subarray(k));
      break;
    }
  }
  return found;
}

module.exports = { createScanState, scanChunk };
