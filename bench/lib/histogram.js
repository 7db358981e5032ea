'use strict';
// Latency histogram in microseconds: 10 µs bins below 100 ms, 1 ms bins up to 120 s, one
// overflow bin. Exact max and count are kept aside.

const FINE_BINS = 10_000; // 0..100 ms in 10 µs
const COARSE_BINS = 120_000; // 100 ms..120.1 s in 1 ms
const SIZE = FINE_BINS + COARSE_BINS + 1;

function createHistogram() {
  const bins = new Uint32Array(SIZE);
  let count = 0;
  let max = 0;
  let sum = 0;

  const binOf = (us) => {
    if (us < 100_000) return us < 0 ? 0 : Math.floor(us / 10);
    const c = Math.floor((us - 100_000) / 1000);
    return c < COARSE_BINS ? FINE_BINS + c : SIZE - 1;
  };
  // Upper edge of a bin, in µs (what a percentile reports).
  const upperOf = (i) => (i < FINE_BINS ? (i + 1) * 10 : 100_000 + (i - FINE_BINS + 1) * 1000);

  return {
    record(us) {
      bins[binOf(us)]++;
      count++;
      sum += us;
      if (us > max) max = us;
    },
    reset() {
      bins.fill(0);
      count = 0;
      max = 0;
      sum = 0;
    },
    /** @param {number} p 0..100 */
    percentile(p) {
      if (count === 0) return null;
      const want = Math.max(1, Math.ceil((p / 100) * count));
      let seen = 0;
      for (let i = 0; i < SIZE; i++) {
        seen += bins[i];
        if (seen >= want) return Math.min(upperOf(i), max);
      }
      return max;
    },
    summary() {
      if (count === 0) return { count: 0, p50Ms: null, p99Ms: null, maxMs: null, meanMs: null };
      const ms = (us) => Math.round(us / 10) / 100;
      return { count, p50Ms: ms(this.percentile(50)), p99Ms: ms(this.percentile(99)), maxMs: ms(max), meanMs: ms(sum / count) };
    },
  };
}

module.exports = { createHistogram };
