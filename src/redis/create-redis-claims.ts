import type { RequestClaims } from '../server/request-claims';
import { command, type RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';

export interface RedisClaimsOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** How long a claim is kept. Default 10 min. */
  ttlMs?: number;
}

/**
 * {@link RequestClaims} over all nodes: `SET NX` on the request's claim key, so two answers to
 * one request, on two nodes, give one 202 and one 409.
 *
 * ## Example
 * ```ts
 * const claims = createRedisClaims({ redis, keys: redisKeys() });
 * await claims.claim('a1', 'per_1'); // true on the first node to ask, false on every other
 * ```
 */
export function createRedisClaims(options: RedisClaimsOptions): RequestClaims {
  const { redis, keys } = options;
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  return {
    async claim(agentId, requestId) {
      return (await command(redis, ['SET', keys.claim(agentId, requestId), '1', 'NX', 'PX', ttlMs])) === 'OK';
    },
    async release(agentId, requestId) {
      await command(redis, ['DEL', keys.claim(agentId, requestId)]);
    },
  };
}
