import type { RequestClaims } from '../server/request-claims';
import { createRedisDiagnostics, type RedisDiagnostics } from './create-redis-diagnostics';
import { command, type RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { setNxReply } from './redis-schemas';

export interface RedisClaimsOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** How long a claim is kept. Default 10 min. */
  ttlMs?: number;
  /** Where a reply of another shape is reported (the claim is then refused). Default: counted, not logged. */
  diagnostics?: RedisDiagnostics;
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
  const diagnostics = options.diagnostics ?? createRedisDiagnostics();
  return {
    async claim(agentId, requestId) {
      const key = keys.claim(agentId, requestId);
      return diagnostics.check(setNxReply, await command(redis, ['SET', key, '1', 'NX', 'PX', ttlMs]), 'reply', key) === 'OK';
    },
    async release(agentId, requestId) {
      await command(redis, ['DEL', keys.claim(agentId, requestId)]);
    },
  };
}
