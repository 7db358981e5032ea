import type { ActionData, ExitReason } from '../protocol/agent-event';
import type { ManagedAgent } from '../agent/create-managed-agent';
import type { AgentOwnerChannel } from './create-replica-agent';
import type { z } from 'zod';
import type { RedisDiagnostics } from './create-redis-diagnostics';
import { consumeOwnerCommands, type OwnerCommandConsumer } from './consume-owner-commands';
import { command, type RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import type { ownerCommandSchema } from './redis-schemas';

type Command = z.infer<typeof ownerCommandSchema>;

export interface OwnerCommandsOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** This node's name (its consumer name in the owners' group). */
  nodeId: string;
  /** The agents this node owns now. */
  owned: () => Iterable<string>;
  /** The upstream of `agentId` when this node owns it. */
  upstreamOf: (agentId: string) => ManagedAgent | undefined;
  onError: (error: unknown) => void;
  /** Where an entry that is not a command is reported (it is dropped). */
  diagnostics: RedisDiagnostics;
  /** Entries a command stream keeps at most (approximately). Default 10 000. */
  maxLen?: number;
  /** How long an agent's command stream outlives its last command. Default 1 day. */
  ttlMs?: number;
}

/** The replicas' way to their owner, and the owner's side of it. */
export interface OwnerCommands {
  /** What a replica of `agentId` on this node uses to reach its owner. */
  channel(agentId: string): AgentOwnerChannel;
  /** Starts consuming the command streams of the agents this node owns. */
  start(): void;
  /** Stops consuming (what is not acknowledged stays for the next owner). */
  close(): void;
}

/**
 * Commands from any node to an agent's owner: an action to publish (who did what), the actor of
 * a request, a stop. Applied directly when this node is the owner, else appended to the agent's
 * command stream (`keys.commands(id)`), which its owner consumes with a consumer group
 * (`consumeOwnerCommands`): acknowledged only once applied, claimed by the next owner when the
 * owner dies, kept while nobody owns the agent — no command is lost in a handover, and an action
 * row is published once.
 *
 * ## Example
 * ```ts
 * const commands = createOwnerCommands({ redis, keys, nodeId, owned, upstreamOf, onError, diagnostics });
 * commands.start();
 * createReplicaAgent({ …, owner: commands.channel('a1') });
 * ```
 */
export function createOwnerCommands(options: OwnerCommandsOptions): OwnerCommands {
  const { redis, keys, upstreamOf, onError } = options;
  const maxLen = options.maxLen ?? 10_000;
  const ttlMs = options.ttlMs ?? 24 * 3600_000;
  let consumer: OwnerCommandConsumer | undefined;
  let closed = false;
  const send = (c: Command) => {
    const key = keys.commands(c.agentId);
    command(redis, ['XADD', key, 'MAXLEN', '~', maxLen, '*', 'c', JSON.stringify(c)])
      .then(() => command(redis, ['PEXPIRE', key, ttlMs]))
      .catch(onError);
  };
  return {
    channel: (agentId) => ({
      record(action: ActionData) {
        const up = upstreamOf(agentId);
        if (up) up.record(action);
        else send({ agentId, op: 'record', action });
      },
      noteActor(requestId: string, by: string | undefined) {
        const up = upstreamOf(agentId);
        if (up) up.noteActor(requestId, by);
        else send({ agentId, op: 'note', requestId, by });
      },
      stop(reason: ExitReason) {
        const up = upstreamOf(agentId);
        if (up) up.stop(reason);
        else send({ agentId, op: 'stop', reason });
      },
    }),
    start() {
      if (consumer || closed) return;
      consumer = consumeOwnerCommands({
        redis,
        keys,
        consumer: options.nodeId,
        owned: options.owned,
        upstreamOf,
        onError,
        diagnostics: options.diagnostics,
        ttlMs,
      });
    },
    close() {
      closed = true;
      consumer?.close();
    },
  };
}
