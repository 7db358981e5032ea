import { RedisReplyError } from './create-redis-diagnostics';
import { command, type RedisConnection } from './redis-connection';
import { leaseReply } from './redis-schemas';

/** Renews the lease when held, takes it when free. 1: renewed, 2: taken (it was free), 0: another node holds it. */
const HOLD = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** What one step of holding a lease found. */
export type LeaseStep = 'renewed' | 'taken' | 'held_elsewhere';

/**
 * One step of holding the lease `key` for `nodeId` for `ms`: renews it when this node holds it,
 * takes it when it is free (`SET NX PX` semantics, atomically), else leaves it. Another reply
 * throws {@link RedisReplyError}.
 *
 * ## Example
 * ```ts
 * if ((await holdLease(redis, keys.lease('a1'), nodeId, 3000)) === 'taken') startUpstream();
 * ```
 */
export async function holdLease(redis: RedisConnection, key: string, nodeId: string, ms: number): Promise<LeaseStep> {
  const reply = leaseReply.safeParse(await command(redis, ['EVAL', HOLD, 1, key, nodeId, ms]));
  if (!reply.success) throw new RedisReplyError(key, 'a lease step answered neither 0, 1 nor 2');
  const r = reply.data;
  return r === 1 ? 'renewed' : r === 2 ? 'taken' : 'held_elsewhere';
}

/** Gives the lease up if this node holds it, so another node takes it at once. */
export async function releaseLease(redis: RedisConnection, key: string, nodeId: string): Promise<void> {
  await command(redis, ['EVAL', RELEASE, 1, key, nodeId]);
}
