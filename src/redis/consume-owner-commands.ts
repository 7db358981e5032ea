import type { ManagedAgent } from '../agent/create-managed-agent';
import type { RedisDiagnostics } from './create-redis-diagnostics';
import { openRedisUntil } from './open-redis-until';
import { actionKey, publishedActions } from './published-actions';
import { command, duplicateRedis, type RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { jsonText, ownerCommandSchema } from './redis-schemas';
import { autoClaimReply, fieldsOf, readGroupReply, type StreamEntry } from './stream-replies';

/** The consumer group of the owners on every agent's command stream. */
export const OWNER_GROUP = 'owner';

export interface OwnerCommandConsumerOptions {
  redis: RedisConnection;
  keys: Pick<RedisKeys, 'commands' | 'events' | 'snapshot'>;
  /** This node's consumer name in each agent's group (its node id). */
  consumer: string;
  /** The agents this node owns now. */
  owned: () => Iterable<string>;
  /** The upstream of an agent this node owns. */
  upstreamOf: (agentId: string) => ManagedAgent | undefined;
  onError: (error: unknown) => void;
  /** Where an entry that is not a command is reported (it is acknowledged and dropped). */
  diagnostics: RedisDiagnostics;
  /** How long one blocking read waits (a newly owned agent is read from within about this). Default 500 ms. */
  blockMs?: number;
  /** The pause while this node owns nothing. Default 250 ms. */
  idleMs?: number;
  /** How long a command stream this consumer made lives without a command (as the senders' `ttlMs`). Default 1 day. */
  ttlMs?: number;
}

export interface OwnerCommandConsumer {
  /** Stops reading (what is not acknowledged stays pending for the next owner). */
  close(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_CLAIM_ROUNDS = 1000;

/**
 * The owner's side of the command streams: one blocking connection reads, with the consumer
 * group `owner`, the command stream of every agent this node owns (XREADGROUP), applies each
 * command to the upstream and only then acknowledges (XACK) and deletes it. When this node
 * becomes an agent's owner it first claims what the group holds pending (XAUTOCLAIM: entries a
 * dead owner read but never acknowledged); the group's cursor then hands it what was added while
 * nobody owned the agent. A claimed `record` may have taken effect before its owner died: its
 * action is published only when the agent's stream does not hold it yet (`publishedActions`),
 * so an action row is published once. A command for an agent this node no longer owns stays
 * pending for the next owner. An entry that is not a command is reported and dropped.
 *
 * ## Example
 * ```ts
 * const consumer = consumeOwnerCommands({ redis, keys, consumer: nodeId, owned, upstreamOf, onError, diagnostics });
 * consumer.close();
 * ```
 */
export function consumeOwnerCommands(options: OwnerCommandConsumerOptions): OwnerCommandConsumer {
  const { redis, keys, consumer, upstreamOf, onError, diagnostics } = options;
  const blockMs = options.blockMs ?? 500;
  const idleMs = options.idleMs ?? 250;
  const ttlMs = options.ttlMs ?? 24 * 3600_000;
  let active = true;
  let conn: RedisConnection | undefined;
  /** The agents whose pending entries were claimed since this node owns them. */
  const claimed = new Set<string>();

  const ensureGroup = async (key: string) => {
    try {
      await command(redis, ['XGROUP', 'CREATE', key, OWNER_GROUP, '0', 'MKSTREAM']);
    } catch (err) {
      if (!/BUSYGROUP/.test(String(err))) throw err;
      return;
    }
    // Made here (no command yet): it expires like one a sender made (each command renews it).
    await command(redis, ['PEXPIRE', key, ttlMs]);
  };

  /** Applies one entry; false when this node does not own the agent (the entry stays pending). */
  const apply = async (agentId: string, entry: StreamEntry, claimedEntry: boolean): Promise<boolean> => {
    const key = keys.commands(agentId);
    const where = `${key} ${entry[0]}`;
    let c = entry[1] === null ? undefined : diagnostics.check(jsonText(ownerCommandSchema), fieldsOf(entry).c, 'command', where);
    if (c && c.agentId !== agentId) {
      diagnostics.invalid('command', where, "a command for another agent than its stream's");
      c = undefined;
    }
    if (c) {
      const up = upstreamOf(agentId);
      if (!up) return false;
      if (c.op === 'record') {
        const done =
          claimedEntry &&
          (await publishedActions(redis, { events: keys.events(agentId), snapshot: keys.snapshot(agentId) })).has(actionKey(c.action));
        if (!done) up.record(c.action);
      } else if (c.op === 'note') up.noteActor(c.requestId, c.by);
      else up.stop(c.reason ?? 'stopped');
    }
    // On the connection the upstream's events are appended on: acknowledged after its action.
    await command(redis, ['XACK', key, OWNER_GROUP, entry[0]]);
    await command(redis, ['XDEL', key, entry[0]]);
    return true;
  };

  /** Claims and applies what the group holds pending for `agentId` (a dead owner's, or this node's own). */
  const claimPending = async (agentId: string) => {
    const key = keys.commands(agentId);
    await ensureGroup(key);
    let cursor = '0-0';
    for (let round = 0; round < MAX_CLAIM_ROUNDS && active; round++) {
      const reply = diagnostics.check(
        autoClaimReply,
        await command(redis, ['XAUTOCLAIM', key, OWNER_GROUP, consumer, 0, cursor, 'COUNT', 100]),
        'reply',
        key,
      );
      if (!reply) return;
      for (const entry of reply[1]) if (!(await apply(agentId, entry, true))) return;
      cursor = reply[0];
      if (cursor === '0-0') break;
    }
    claimed.add(agentId);
  };

  const step = async (c: RedisConnection) => {
    const ids = [...options.owned()];
    for (const id of claimed) if (!ids.includes(id)) claimed.delete(id);
    if (ids.length === 0) return sleep(idleMs);
    for (const id of ids) if (!claimed.has(id) && active) await claimPending(id);
    const streams = ids.filter((id) => claimed.has(id));
    if (streams.length === 0 || !active) return sleep(idleMs);
    const agentOf = new Map(streams.map((id) => [keys.commands(id), id]));
    const args = ['XREADGROUP', 'GROUP', OWNER_GROUP, consumer, 'COUNT', 100, 'BLOCK', blockMs, 'STREAMS'];
    const reply = diagnostics.check(
      readGroupReply,
      await command(c, [...args, ...agentOf.keys(), ...streams.map(() => '>')]),
      'reply',
      `XREADGROUP ${consumer}`,
    );
    for (const [key, entries] of reply ?? []) {
      const id = agentOf.get(key);
      if (id === undefined) continue;
      for (const entry of entries) if (!active || !(await apply(id, entry, false))) break;
    }
  };

  const run = async () => {
    conn = await openRedisUntil(
      () => duplicateRedis(redis, onError),
      () => active,
      onError,
    );
    if (!conn) return;
    while (active) {
      try {
        await step(conn);
      } catch (err) {
        if (!active) return;
        // A group gone (the stream expired) is made again; what was read and not acknowledged is claimed again.
        claimed.clear();
        onError(err);
        await sleep(250);
      }
    }
  };
  run().catch((err: unknown) => active && onError(err));

  return {
    close() {
      active = false;
      conn?.destroy();
    },
  };
}
