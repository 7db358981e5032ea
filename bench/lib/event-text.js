'use strict';
// The text carried by every bench event: `BENCH|<publish time, µs>|` then filler up to `bytes`.
// The load process finds the marker in the raw bytes and reads the timestamp right after it.

const MARKER = 'BENCH|';
const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '.repeat(1024);

/**
 * @param {number} tsUs publish time (clock.nowUs())
 * @param {number} bytes total length of the text (ASCII, nothing JSON has to escape)
 */
function eventText(tsUs, bytes) {
  const head = `${MARKER}${tsUs}|`;
  const fill = Math.max(0, bytes - head.length);
  if (fill > FILLER.length) throw new RangeError(`event text of ${bytes} bytes is too long`);
  return head + FILLER.slice(0, fill);
}

module.exports = { MARKER, eventText };
