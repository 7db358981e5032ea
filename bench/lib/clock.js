'use strict';
// CLOCK_MONOTONIC in integer microseconds. process.hrtime() reads the same system-wide clock in
// every process, so a timestamp taken by the publisher can be compared with one taken by the
// load process.

/** @returns {number} microseconds on the monotonic clock */
function nowUs() {
  const t = process.hrtime();
  return t[0] * 1e6 + Math.floor(t[1] / 1e3);
}

/** @returns {Promise<void>} */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { nowUs, sleep };
