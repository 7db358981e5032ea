'use strict';
// Finds the tokens of a streamed answer in the raw bytes of an SSE response. The answer's words
// are `w<index> ` (kilo-upstream.js publishAnswer, like the recorded kilo turn); a token counts as
// delivered when it arrives inside a `"delta":"…"` JSON string, whatever else the frame carries
// (the whole text so far, several deltas joined into one). Text sent whole (`"text":"…"`) is
// bytes, not tokens. A delta cut by a TCP read boundary is carried over to the next chunk.

const KEY = Buffer.from('"delta":"');
const QUOTE = 34;
const W = 119; // 'w'
const MAX_CARRY = 64 * 1024;

/** Per-connection state: `{ carry: Buffer | null }`. */
function createTokenScanState() {
  return { carry: null };
}

/**
 * Calls `onToken(index)` for every token in every complete delta string of `chunk`.
 * @returns {number} how many tokens were found
 */
function scanTokens(state, chunk, onToken) {
  let buf = chunk;
  if (state.carry !== null) {
    buf = Buffer.concat([state.carry, chunk]);
    state.carry = null;
  }
  const len = buf.length;
  let pos = 0;
  let found = 0;
  for (;;) {
    const i = buf.indexOf(KEY, pos);
    if (i === -1) break;
    const start = i + KEY.length;
    const end = buf.indexOf(QUOTE, start);
    if (end === -1) {
      if (len - i <= MAX_CARRY) state.carry = Buffer.from(buf.subarray(i));
      return found;
    }
    for (let j = start; j < end; j++) {
      if (buf[j] !== W) continue;
      let index = 0;
      let digits = 0;
      while (j + 1 < end && buf[j + 1] >= 48 && buf[j + 1] <= 57) {
        index = index * 10 + (buf[++j] - 48);
        digits++;
      }
      if (digits > 0) {
        onToken(index);
        found++;
      }
    }
    pos = end + 1;
  }
  // The key cut at the very end ("…\"del")?
  for (let k = Math.max(pos, len - KEY.length + 1); k < len; k++) {
    if (buf[k] === KEY[0] && KEY.subarray(0, len - k).equals(buf.subarray(k))) {
      state.carry = Buffer.from(buf.subarray(k));
      break;
    }
  }
  return found;
}

module.exports = { createTokenScanState, scanTokens };
