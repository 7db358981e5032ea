import type { EventHistoryOptions } from '../agent/create-event-history';
import type { AgentActions } from '../agent/create-managed-agent';
import { createKiloActions } from '../kilo/create-kilo-actions';
import { kiloAuthorization } from '../kilo/kilo-authorization';
import type { AgentRecord } from '../server/agent-cluster';
import { createReplicaAgent, type AgentOwnerChannel, type ReplicaAgent } from './create-replica-agent';
import { readAgentStream } from './read-agent-stream';
import type { RedisDiagnostics } from './create-redis-diagnostics';
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';

export interface RecordReplicaOptions extends EventHistoryOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  owner: AgentOwnerChannel;
  /** The agent's actions when not on `record.url` (e.g. relayed to the node holding its kilo). Default: on its kilo directly. */
  actions?: AgentActions;
  onError: (error: unknown) => void;
  /** Where stream entries that are not events are reported (they are skipped). */
  diagnostics?: RedisDiagnostics;
}

/**
 * This node's replica of the agent of `record`: fed by its Redis stream, acting on its kilo
 * directly (unless watch-only), with `record`, `noteActor` and `stop` going to the owner.
 *
 * ## Example
 * ```ts
 * const replica = createRecordReplica(record, { redis, keys, owner: commands.channel(record.id), onError });
 * ```
 */
export function createRecordReplica(record: AgentRecord, options: RecordReplicaOptions): ReplicaAgent {
  const { redis, keys, onError, diagnostics } = options;
  const actions = record.watchOnly
    ? undefined
    : (options.actions ??
      createKiloActions({
        baseUrl: record.url,
        directory: record.directory,
        authorization: kiloAuthorization(record.password),
        sessionId: () => replica.sessionId ?? record.sessionId ?? null,
      }));
  const replica: ReplicaAgent = createReplicaAgent({
    agentId: record.id,
    firstId: record.firstId,
    events: readAgentStream({
      redis,
      events: keys.events(record.id),
      snapshot: keys.snapshot(record.id),
      onError,
      diagnostics,
      // Started from a snapshot: what the owner's bounds dropped before it is a gap here too.
      onDropped: (seq) => replica.history.noteDropped(seq),
    }),
    historySize: options.historySize,
    historyBytes: options.historyBytes,
    actions,
    owner: options.owner,
  });
  return replica;
}
