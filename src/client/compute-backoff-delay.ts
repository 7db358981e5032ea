/** Inputs of {@link computeBackoffDelay}. */
export interface BackoffOptions {
  /** Smallest delay, ms. */
  minDelayMs: number;
  /** Largest delay, ms. */
  maxDelayMs: number;
  /** A number in [0, 1), e.g. `Math.random`. */
  random: () => number;
}

/**
 * The delay before retry number `attempt` (0-based): "equal jitter" over a window that doubles
 * with every attempt. With `cap = min(maxDelayMs, minDelayMs * 2^attempt)` the delay is drawn
 * from `[max(minDelayMs, cap / 2), cap]`, so it is spread (no thundering herd after a server
 * restart) and yet grows with every attempt whatever `random` returns: a long outage costs a
 * bounded number of tries (with 250 ms / 30 s, at most 10 in its first minute, then 2 to 4 a
 * minute). Always within `[minDelayMs, maxDelayMs]`.
 *
 * ## Example
 * ```ts
 * computeBackoffDelay(3, { minDelayMs: 250, maxDelayMs: 30_000, random: Math.random }); // 1000..2000
 * computeBackoffDelay(9, { minDelayMs: 250, maxDelayMs: 30_000, random: Math.random }); // 15000..30000
 * ```
 */
export function computeBackoffDelay(attempt: number, options: BackoffOptions): number {
  const { minDelayMs, maxDelayMs } = options;
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const cap = Math.min(maxDelayMs, minDelayMs * 2 ** exponent);
  const floor = Math.max(minDelayMs, cap / 2);
  let r = Number(options.random());
  if (!Number.isFinite(r) || r < 0) r = 0;
  if (r >= 1) r = 0.999999;
  const delay = Math.round(floor + r * (cap - floor));
  return Math.min(maxDelayMs, Math.max(minDelayMs, delay));
}
