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
 * The delay before retry number `attempt` (0-based): "full jitter" over a window that doubles
 * with every attempt, `minDelayMs + random() * (cap - minDelayMs)` where
 * `cap = min(maxDelayMs, minDelayMs * 2^attempt)`. Always within `[minDelayMs, maxDelayMs]`.
 *
 * ## Example
 * ```ts
 * computeBackoffDelay(3, { minDelayMs: 250, maxDelayMs: 5000, random: Math.random }); // 250..2000
 * ```
 */
export function computeBackoffDelay(attempt: number, options: BackoffOptions): number {
  const { minDelayMs, maxDelayMs } = options;
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const cap = Math.min(maxDelayMs, minDelayMs * 2 ** exponent);
  let r = Number(options.random());
  if (!Number.isFinite(r) || r < 0) r = 0;
  if (r >= 1) r = 0.999999;
  const delay = Math.round(minDelayMs + r * (cap - minDelayMs));
  return Math.min(maxDelayMs, Math.max(minDelayMs, delay));
}
