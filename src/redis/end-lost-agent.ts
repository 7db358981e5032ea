import type { ExitData, SequencedAgentEvent, StatusData } from '../protocol/agent-event';
import { RedisReplyError } from './create-redis-diagnostics';
import { command, type RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { leaseEpochKey } from './redis-lease';
import { lastEntryReply } from './redis-schemas';

/**
 * Publishes the end of an agent whose node is gone, atomically and once over all nodes: only when
 * the node's liveness key is still absent (KEYS[1], unless ARGV[8] is 0), the record still holds
 * the text this node read (KEYS[2]) and the stream's last id is still the one it read (KEYS[3]).
 * Then: the `status` and `exit` entries, the record marked, the keys expiring (the snapshot,
 * KEYS[4], and the lease's epoch counter, KEYS[5], too). 1 when published.
 */
const END = `if ARGV[8] == '1' and redis.call('GET', KEYS[1]) then return 0 end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
local n = 0
if last[1] then n = tonumber(string.match(last[1][1], '^%d+')) end
if n ~= tonumber(ARGV[3]) then return 0 end
local ok = pcall(redis.call, 'XADD', KEYS[3], ARGV[4] .. '-0', 'e', ARGV[5], 'p', ARGV[3])
if not ok then return 0 end
redis.call('XADD', KEYS[3], ARGV[6] .. '-0', 'e', ARGV[7], 'p', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[9])
redis.call('PEXPIRE', KEYS[3], ARGV[9])
redis.call('PEXPIRE', KEYS[4], ARGV[9])
redis.call('PEXPIRE', KEYS[5], ARGV[9])
return 1`;

export interface EndLostAgentOptions {
  /** The agent's id. */
  agentId: string;
  /** The record's text as read from Redis (the step is skipped when it changed since). */
  recordText: string;
  /** The record marked exited, as it is written. */
  exitedText: string;
  /** The node whose liveness key must be absent; undefined: not checked (this node's own earlier run). */
  node?: string;
  /** The newest id this node knows of the agent (its replica's); the new ids are above it and the stream's. */
  latestSeq: number;
  /** The agent's status before its end (its `state` becomes `failed`, no tool stays active). */
  status: StatusData;
  exit: ExitData;
  /** How long the exited agent's keys stay. */
  retentionMs: number;
}

/**
 * Ends an agent whose node died (`node_lost`): appends its last `status` (`failed`) and `exit`
 * to its stream, marks its record and lets its keys expire, in one Redis script, so of all the
 * nodes that find the node gone exactly one publishes the end, and never while the node is back.
 * Every node's replica then reads them like any owner's events. Resolves whether this call
 * published it.
 *
 * ## Example
 * ```ts
 * const ended = await endLostAgent(redis, keys, { agentId: 'a1', recordText, exitedText, node: 'node-a', latestSeq, status, exit: { reason: 'node_lost' }, retentionMs });
 * ```
 */
export async function endLostAgent(redis: RedisConnection, keys: RedisKeys, o: EndLostAgentOptions): Promise<boolean> {
  const id = o.agentId;
  const lastReply = lastEntryReply.safeParse(await command(redis, ['XREVRANGE', keys.events(id), '+', '-', 'COUNT', 1]));
  if (!lastReply.success) throw new RedisReplyError(keys.events(id), 'its last entry id is not <seq>-<n>');
  const last = lastReply.data;
  const statusSeq = Math.max(last, o.latestSeq) + 1;
  const status: SequencedAgentEvent = { type: 'status', data: { ...o.status, state: 'failed', activeTools: [] }, seq: statusSeq };
  const exit: SequencedAgentEvent = { type: 'exit', data: o.exit, seq: statusSeq + 1 };
  const reply = await command(redis, [
    'EVAL',
    END,
    5,
    keys.node(o.node ?? ''),
    keys.record(id),
    keys.events(id),
    keys.snapshot(id),
    leaseEpochKey(keys.lease(id)),
    o.recordText,
    o.exitedText,
    last,
    statusSeq,
    JSON.stringify(status),
    statusSeq + 1,
    JSON.stringify(exit),
    o.node === undefined ? 0 : 1,
    o.retentionMs,
  ]);
  return reply === 1;
}
