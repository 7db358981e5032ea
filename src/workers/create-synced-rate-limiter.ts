import type { RateDecision, RateLimiter } from '../server/create-rate-limiter';
import type { IpcCaller, IpcEndpoint } from './ipc-calls';

/** Keys remembered as blocked at most, per limiter (the oldest are forgotten first). */
const MAX_BLOCKED = 10_000;

/**
 * A worker's view of one of the primary's rate limiters (`serve --workers`), for code that asks
 * synchronously (`createTokenAuth`'s failed-attempt and sign-in limits): every `take` is counted
 * in the primary's bucket (`limit.take`), and when that bucket runs dry the primary tells every
 * worker the key is blocked until its next token (`{k: 'blocked'}`). A key is so limited over all
 * workers together; only takes still in flight on the channel (well under a millisecond apart)
 * can pass before the block arrives.
 *
 * ## Example
 * ```ts
 * const auth = createTokenAuth({ token, failures: createSyncedRateLimiter('failures', endpoint, rpc) });
 * ```
 */
export function createSyncedRateLimiter(name: string, endpoint: IpcEndpoint, rpc: IpcCaller, now = () => Date.now()): RateLimiter {
  const blocked = new Map<string, number>();
  endpoint.onMessage((m) => {
    if (m.k !== 'blocked' || m.name !== name || typeof m.key !== 'string' || typeof m.ms !== 'number') return;
    blocked.delete(m.key);
    blocked.set(m.key, now() + m.ms);
    if (blocked.size > MAX_BLOCKED) blocked.delete(blocked.keys().next().value!);
  });
  const peek = (key: string): RateDecision => {
    const until = blocked.get(key);
    if (until === undefined) return { ok: true };
    const left = until - now();
    if (left <= 0) {
      blocked.delete(key);
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) };
  };
  return {
    peek,
    take(key) {
      const d = peek(key);
      if (d.ok) void rpc.call('limit.take', name, key).catch(() => undefined);
      return d;
    },
  };
}
