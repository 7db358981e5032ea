import { durationOption, integerOption } from '../options/number-option';

/** The answer of {@link RateLimiter.take}. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Token buckets per key (a client address). */
export interface RateLimiter {
  /** Takes one token from `key`'s bucket. */
  take(key: string): RateDecision;
  /** Whether `key` has a token left, without taking it. */
  peek(key: string): RateDecision;
}

/** A ticket rate whose buckets live elsewhere (e.g. the primary process of `serve --workers`): `take` answers later. */
export interface SharedRateLimiter {
  take(key: string): Promise<RateDecision>;
}

export interface RateLimiterOptions {
  /** Tokens a bucket holds (the burst). */
  burst: number;
  /** Tokens added per second. */
  perSecond: number;
  /** Keys tracked at most; the least recently used are forgotten (full buckets). Default 10 000. */
  maxKeys?: number;
  /** Monotonic clock in ms (injected in tests). Default `performance.now`. */
  now?: () => number;
}

/**
 * Creates a token-bucket rate limiter: each key starts with `burst` tokens and regains
 * `perSecond`; a request without a token is refused with the seconds until the next one. Memory
 * is bounded by `maxKeys`.
 *
 * ## Example
 * ```ts
 * const tickets = createRateLimiter({ burst: 20, perSecond: 1 });
 * const d = tickets.take(req.socket.remoteAddress ?? '');
 * if (!d.ok) sendError(res, 429, 'rate_limited', 'slow down', { 'Retry-After': String(d.retryAfterSeconds) });
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { burst, perSecond } = options;
  integerOption('createRateLimiter', 'burst', burst);
  durationOption('createRateLimiter', 'perSecond', perSecond);
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();

  const bucketOf = (key: string) => {
    const t = now();
    const b = buckets.get(key);
    if (b) {
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
      buckets.delete(key); // re-inserted: the Map's order is recency
      buckets.set(key, b);
      return b;
    }
    const fresh = { tokens: burst, at: t };
    buckets.set(key, fresh);
    if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
    return fresh;
  };
  const decide = (b: { tokens: number }): RateDecision =>
    b.tokens >= 1 ? { ok: true } : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };

  return {
    take(key) {
      const b = bucketOf(key);
      const d = decide(b);
      if (d.ok) b.tokens -= 1;
      return d;
    },
    peek: (key) => decide(bucketOf(key)),
  };
}
