import { z } from 'zod';
import { RedisReplyError } from './create-redis-diagnostics';
import { command, type RedisConnection } from './redis-connection';

/**
 * Renews the lease when this holder's token is in it; takes it when free, with the next epoch
 * (INCR of `KEYS[2]`, which never goes back) in the token `<epoch>:<node>`; else leaves it.
 * Replies `{1, token}` renewed, `{2, token}` taken, `{0, pttl}` held by another token.
 */
const HOLD = `local v = redis.call('GET', KEYS[1])
if v and v == ARGV[3] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return {1, v} end
if not v then
  local t = redis.call('INCR', KEYS[2]) .. ':' .. ARGV[1]
  redis.call('SET', KEYS[1], t, 'PX', ARGV[2])
  return {2, t}
end
return {0, redis.call('PTTL', KEYS[1])}`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const holdReply = z.union([
  z.tuple([z.union([z.literal(1), z.literal(2)]), z.string().regex(/^\d+:.+$/)]),
  z.tuple([z.literal(0), z.number().int()]),
]);

/** What one step of holding a lease found. */
export type LeaseStep =
  /** This holder's lease, renewed for `ms` more. */
  | { step: 'renewed'; token: string }
  /** It was free: taken with a new, higher epoch (a new `token`). */
  | { step: 'taken'; token: string }
  /** Another holder has it for `pttl` ms more (-1: no expiry set). */
  | { step: 'held_elsewhere'; pttl: number };

/** The epoch counter of a lease key (never expires while the agent lives; one INCR per takeover). */
export const leaseEpochKey = (leaseKey: string) => `${leaseKey}:epoch`;

/** The epoch of a lease token `<epoch>:<node>`. */
export const leaseEpoch = (token: string) => Number.parseInt(token, 10);

/**
 * One step of holding the lease `key` for `nodeId` for `ms`: renews it when `token` (what the last
 * step gave this holder) is still in it, takes it when it is free — with the next epoch, so every
 * holder's token is new and higher than all before (a fencing token: see `publishAgentEvents`) —
 * else leaves it and says how long it is held. One EVAL, atomic. Another reply throws
 * {@link RedisReplyError}.
 *
 * ## Example
 * ```ts
 * const s = await holdLease(redis, keys.lease('a1'), nodeId, 800, token);
 * if (s.step === 'taken') startUpstream(s.token);
 * ```
 */
export async function holdLease(redis: RedisConnection, key: string, nodeId: string, ms: number, token = ''): Promise<LeaseStep> {
  const reply = holdReply.safeParse(await command(redis, ['EVAL', HOLD, 2, key, leaseEpochKey(key), nodeId, ms, token]));
  if (!reply.success) throw new RedisReplyError(key, 'a lease step answered neither {1|2, token} nor {0, pttl}');
  const [r, v] = reply.data;
  if (r === 0) return { step: 'held_elsewhere', pttl: v };
  return { step: r === 1 ? 'renewed' : 'taken', token: v };
}

/**
 * Gives the lease up if `token` still holds it, so another node takes it at once.
 *
 * ## Example
 * ```ts
 * await releaseLease(redis, keys.lease('a1'), token);
 * ```
 */
export async function releaseLease(redis: RedisConnection, key: string, token: string): Promise<void> {
  await command(redis, ['EVAL', RELEASE, 1, key, token]);
}
