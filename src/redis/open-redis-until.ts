import type { RedisConnection } from './redis-connection';

/**
 * Opens a connection with `open` (e.g. a duplicate, then its first command or subscription),
 * again every `retryMs` after a failure, which goes to `onError`, while `active()` holds. Resolves
 * the connection, or undefined once no longer active (a connection opened meanwhile is destroyed).
 * For a node's long-lived readers: a Redis that drops while one starts must not end it for good.
 *
 * ## Example
 * ```ts
 * const conn = await openRedisUntil(() => duplicateRedis(redis, onError), () => active, onError);
 * ```
 */
export async function openRedisUntil(
  open: () => Promise<RedisConnection>,
  active: () => boolean,
  onError: (error: unknown) => void,
  retryMs = 250,
): Promise<RedisConnection | undefined> {
  while (active()) {
    try {
      const conn = await open();
      if (active()) return conn;
      conn.destroy();
    } catch (err) {
      if (!active()) break;
      onError(err);
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }
  return undefined;
}
