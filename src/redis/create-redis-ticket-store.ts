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
  /**
   * Most unexpired tickets one client (the `client` of `issue`) holds at once, over all servers:
   * a few addresses cannot fill an agent's share. Default 10 (at most `capacityPerAgent`).
   */
  capacityPerClient?: number;
  /** The id source. Default `crypto.randomUUID`. */
  randomId?: () => string;
  /** How long Redis may take to answer before the store rejects (the routes answer 503). Default 3000 ms. */
  timeoutMs?: number;
  /** Where a ticket read back that is not a valid one is reported (it is refused). Default: counted, not logged. */
  diagnostics?: RedisDiagnostics;
}

/** The time on Redis's clock (one clock for every server), in ms. */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: all, agent's, ticket, client's. ARGV: ttl, capacity, per agent, agentId, per client, '1'
 * when the client is counted (else KEYS[4] is a key of the prefix that is never written: ACLs). Sweeps, checks the caps (all -1, agent -2, client -3), stores the ticket as
 * `<expires> <agentId>` plus `\n<client key>` when counted per client.
 */
const ISSUE = `${NOW}
local keys = {KEYS[1], KEYS[2]}
local caps = {tonumber(ARGV[2]), tonumber(ARGV[3])}
local counted = ARGV[6] == '1'
if counted then keys[3] = KEYS[4] caps[3] = tonumber(ARGV[5]) end
local ttl = tonumber(ARGV[1])
for i, key in ipairs(keys) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= caps[i] then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return {-i, tonumber(oldest[2]) - now}
  end
end
local expires = now + ttl
local value = expires .. ' ' .. ARGV[4]
if counted then value = value .. '\\n' .. KEYS[4] end
redis.call('SET', KEYS[3], value, 'PX', ttl)
for i, key in ipairs(keys) do redis.call('ZADD', key, expires, KEYS[3]) end
for i = 2, #keys do redis.call('PEXPIRE', keys[i], ttl) end
return {0, expires}`;

/**
 * KEYS: all, ticket. ARGV: prefix of the agents' sets, prefix of the clients' sets. Deletes the
 * ticket: one use, on whichever server. A value not in the form ISSUE writes is deleted too and
 * answered `{'', 0}` (refused as unknown); a client key outside its prefix is not touched.
 */
const CONSUME = `${NOW}
local v = redis.call('GET', KEYS[2])
if not v then return false end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], KEYS[2])
local at = string.find(v, ' ', 1, true)
local expires = at and tonumber(string.sub(v, 1, at - 1))
if not expires then return {'', 0} end
local agent = string.sub(v, at + 1)
local nl = string.find(agent, '\\n', 1, true)
if nl then
  local client = string.sub(agent, nl + 1)
  if string.sub(client, 1, #ARGV[2]) == ARGV[2] then redis.call('ZREM', client, KEYS[2]) end
  agent = string.sub(agent, 1, nl - 1)
end
redis.call('ZREM', ARGV[1] .. agent, KEYS[2])
return {agent, expires - now}`;

const positiveInt = (name: string, v: number) => integerOption('createRedisTicketStore', name, v);

/**
 * A {@link TicketStore} in Redis, shared by every control server of a deployment: a ticket issued
 * by one is consumed by any, exactly once (an atomic script gets and deletes it). Redis keeps the
 * TTL and the clock; the caps (global, per agent and per client) hold over all servers. A ticket read back
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
  const perClient = positiveInt('capacityPerClient', options.capacityPerClient ?? Math.min(10, perAgent));
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
  /** The set of a client's tickets (the address, bounded: it only keys a count). */
  const clientSet = (client: string) => `${prefix}tickets-of:${client.slice(0, 100)}`;

  return {
    async issue(agentId, issueOptions) {
      const ticket = randomId();
      const client = issueOptions?.client;
      const clientKey = clientSet(client ?? '');
      const reply = await run([
        'EVAL',
        ISSUE,
        4,
        all,
        agentSet + agentId,
        ticketKey(ticket),
        clientKey,
        ttlMs,
        capacity,
        perAgent,
        agentId,
        perClient,
        client === undefined ? '0' : '1',
      ]);
      const [code, value] = expect(issueReply, reply, all);
      if (code < 0) {
        const seconds = Math.max(1, Math.ceil(value / 1000));
        throw new TicketCapacityError(seconds, code === -2 ? agentId : undefined, code === -3 ? client : undefined);
      }
      return { ticket, agentId, expiresAt: new Date(value) } satisfies IssuedTicket;
    },
    async consume(ticket): Promise<TicketCheck> {
      if (typeof ticket !== 'string' || ticket === '') return { ok: false, reason: 'unknown' };
      const reply = diagnostics.check(
        consumeReply,
        await run(['EVAL', CONSUME, 2, all, ticketKey(ticket), agentSet, clientSet('')]),
        'ticket',
        all,
      );
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
