import type { ActionData, ExitReason } from '../protocol/agent-event';
import type { ManagedAgent } from '../agent/create-managed-agent';
import type { AgentOwnerChannel } from './create-replica-agent';
import type { z } from 'zod';
import type { RedisDiagnostics } from './create-redis-diagnostics';
import { command, type RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { jsonText, ownerCommandSchema } from './redis-schemas';

type Command = z.infer<typeof ownerCommandSchema>;

export interface OwnerCommandsOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  /** The upstream of `agentId` when this node owns it. */
  upstreamOf: (agentId: string) => ManagedAgent | undefined;
  /** A stop was asked: the owner reads `keys.stop(agentId)` (its next lease step, at once when local). */
  onStop: (agentId: string) => void;
  onError: (error: unknown) => void;
  /** Where a message that is not a command is reported (it is ignored). */
  diagnostics: RedisDiagnostics;
}

/** The replicas' way to their owner, and the owner's side of it. */
export interface OwnerCommands {
  /** What a replica of `agentId` on this node uses to reach its owner. */
  channel(agentId: string): AgentOwnerChannel;
  /** Handles one message of the `commands` channel (acts only when this node owns the agent). */
  dispatch(message: string): void;
}

/**
 * Commands from any node to an agent's owner: an action to publish (who did what), the actor of
 * a request, a stop. Applied directly when this node is the owner, else sent on Redis pub/sub;
 * a stop is also kept in a key (`keys.stop`) so an owner taking over during a handover finds it.
 * A message that is not a valid command is reported to `diagnostics` and ignored.
 *
 * ## Example
 * ```ts
 * const commands = createOwnerCommands({ redis, keys, upstreamOf, onStop, onError, diagnostics });
 * await subscriber.subscribe(keys.commands, commands.dispatch);
 * createReplicaAgent({ …, owner: commands.channel('a1') });
 * ```
 */
export function createOwnerCommands(options: OwnerCommandsOptions): OwnerCommands {
  const { redis, keys, upstreamOf, onError } = options;
  const publish = (c: Command) => command(redis, ['PUBLISH', keys.commands, JSON.stringify(c)]).catch(onError);
  return {
    channel: (agentId) => ({
      record(action: ActionData) {
        const up = upstreamOf(agentId);
        if (up) up.record(action);
        else void publish({ agentId, op: 'record', action });
      },
      noteActor(requestId: string, by: string | undefined) {
        const up = upstreamOf(agentId);
        if (up) up.noteActor(requestId, by);
        else void publish({ agentId, op: 'note', requestId, by });
      },
      stop(reason: ExitReason) {
        void command(redis, ['SET', keys.stop(agentId), String(reason), 'PX', 60_000]).then(() => {
          if (upstreamOf(agentId)) options.onStop(agentId);
          else return publish({ agentId, op: 'stop' });
        }, onError);
      },
    }),
    dispatch(message) {
      const c = options.diagnostics.check(jsonText(ownerCommandSchema), message, 'command', keys.commands);
      if (!c) return;
      const up = upstreamOf(c.agentId);
      if (!up) return;
      if (c.op === 'record') up.record(c.action);
      else if (c.op === 'note') up.noteActor(c.requestId, c.by);
      else options.onStop(c.agentId);
    },
  };
}
