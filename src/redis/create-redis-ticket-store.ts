import { randomUUID } from 'node:crypto';
import { TicketCapacityError, type IssuedTicket, type TicketCheck, type TicketStore } from '../tickets/ticket-store';
import { createRedisDiagnostics, RedisReplyError, type RedisDiagnostics } from './create-redis-diagnostics';
import { command, type RedisConnection, type RedisReply } from './redis-connection';
import { consumeReply, issueReply, timeReply } from './redis-schemas';
import { integerOption } from '../options/number-option';

export interface RedisTicketStoreOptions {
  /** A connected node-redis client (see `connectRedis`). */
  redis: RedisConnection;
  /** Key prefix shared by the control servers of one deployment. Default `agent-stream:`. */
  prefix?: string;
  /** Ticket lifetime, kept by Redis. Default 60 000 ms. */
  ttlMs?: number;
  /** Most unexpired tickets outstanding at once, over all servers. Default 1000. */
  capacity?: number;
  /** Most unexpired tickets outstanding for one agent. Default 200. */
  capacityPerAgent?: number;
  /** The id source. Default `crypto.randomUUID`. */
  randomId?: () => string;
  /** How long Redis may take to answer before the store rejects (the routes answer 503). Default 3000 ms. */
  timeoutMs?: number;
  /** Where a ticket read back that is not a valid one is reported (it is refused). Default: counted, not logged. */
  diagnostics?: RedisDiagnostics;
}

/** The time on Redis's clock (one clock for every server), in ms. */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: all, agent's, ticket. ARGV: ttl, capacity, per agent, agentId. Sweeps, checks both caps, stores. */
const ISSUE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local ttl = tonumber(ARGV[1])
for i, key in ipairs({KEYS[1], KEYS[2]}) do
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 1]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return {-i, tonumber(oldest[2]) - now}
  end
end
local expires = now + ttl
redis.call('SET', KEYS[3], expires .. ' ' .. ARGV[4], 'PX', ttl)
redis.call('ZADD', KEYS[1], expires, KEYS[3])
redis.call('ZADD', KEYS[2], expires, KEYS[3])
redis.call('PEXPIRE', KEYS[2], ttl)
return {0, expires}`;

/** KEYS: all, ticket. ARGV: prefix of the agents' sets. Deletes the ticket: one use, on whichever server. */
const CONSUME = `${NOW}
local v = redis.call('GET', KEYS[2])
if not v then return false end
redis.call('DEL', KEYS[2])
local at = string.find(v, ' ', 1, true)
local agent = string.sub(v, at + 1)
redis.call('ZREM', KEYS[1], KEYS[2])
redis.call('ZREM', ARGV[1] .. agent, KEYS[2])
return {agent, tonumber(string.sub(v, 1, at - 1)) - now}`;

const positiveInt = (name: string, v: number) => integerOption('createRedisTicketStore', name, v);

/**
 * A {@link TicketStore} in Redis, shared by every control server of a deployment: a ticket issued
 * by one is consumed by any, exactly once (an atomic script gets and deletes it). Redis keeps the
 * TTL and the clock; the caps (global and per agent) hold over all servers. A ticket read back
 * that does not name a valid agent id is refused (`unknown`) and reported to `diagnostics`.
 *
 * ## Example
 * ```ts
 * const redis = await connectRedis('redis://127.0.0.1:6379', logger.warn);
 * const tickets = createRedisTicketStore({ redis });
 * createControlServer({ tickets });
 * ```
 */
export function createRedisTicketStore(options: RedisTicketStoreOptions): TicketStore {
  if (!options?.redis) throw new TypeError('createRedisTicketStore: redis must be a connected node-redis client (see connectRedis)');
  const { redis } = options;
  const prefix = options.prefix ?? 'agent-stream:';
  const ttlMs = positiveInt('ttlMs', options.ttlMs ?? 60_000);
  const capacity = positiveInt('capacity', options.capacity ?? 1000);
  const perAgent = positiveInt('capacityPerAgent', options.capacityPerAgent ?? Math.min(200, capacity));
  const randomId = options.randomId ?? randomUUID;
  const timeoutMs = positiveInt('timeoutMs', options.timeoutMs ?? 3000);
  const diagnostics = options.diagnostics ?? createRedisDiagnostics();
  /** `reply` parsed by `schema`; another shape rejects (the routes answer 503, as for a store out of reach). */
  const expect = <T>(
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
    reply: RedisReply,
    key: string,
  ): T => {
    const r = schema.safeParse(reply);
    if (r.success) return r.data;
    throw new RedisReplyError(key, 'a reply of another shape');
  };
  /** A command that rejects when Redis is out of reach (node-redis queues commands until it is back). */
  const run = (args: (string | number)[]) =>
    new Promise<RedisReply>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      command(redis, args)
        .then(resolve, reject)
        .finally(() => clearTimeout(t));
    });
  const all = `${prefix}tickets`;
  const agentSet = `${prefix}tickets:`;
  const ticketKey = (ticket: string) => `${prefix}ticket:${ticket}`;

  return {
    async issue(agentId) {
      const ticket = randomId();
      const reply = await run(['EVAL', ISSUE, 3, all, agentSet + agentId, ticketKey(ticket), ttlMs, capacity, perAgent, agentId]);
      const [code, value] = expect(issueReply, reply, all);
      if (code < 0) throw new TicketCapacityError(Math.max(1, Math.ceil(value / 1000)), code === -2 ? agentId : undefined);
      return { ticket, agentId, expiresAt: new Date(value) } satisfies IssuedTicket;
    },
    async consume(ticket): Promise<TicketCheck> {
      if (typeof ticket !== 'string' || ticket === '') return { ok: false, reason: 'unknown' };
      const reply = diagnostics.check(consumeReply, await run(['EVAL', CONSUME, 2, all, ticketKey(ticket), agentSet]), 'ticket', all);
      if (!reply) return { ok: false, reason: 'unknown' };
      const [agentId, left] = reply;
      return left > 0 ? { ok: true, agentId } : { ok: false, reason: 'expired' };
    },
    async outstanding() {
      const [sec, usec] = expect(timeReply, await run(['TIME']), 'TIME');
      const now = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
      await run(['ZREMRANGEBYSCORE', all, '-inf', now]);
      return Number(await run(['ZCARD', all]));
    },
  };
}
