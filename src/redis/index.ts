// agent-stream/redis: several control servers behind one load balancer, sharing tickets, agents and streams through Redis.
export {
  connectRedis,
  duplicateRedis,
  redactRedisUrl,
  RedisConnectError,
  type ConnectRedisOptions,
  type RedisConnection,
  type RedisTlsOptions,
} from './redis-connection';
export {
  createRedisDiagnostics,
  RedisReplyError,
  type RedisDiagnostics,
  type RedisDiagnosticsOptions,
  type RedisInvalidEntry,
  type RedisInvalidKind,
} from './create-redis-diagnostics';
export { createKiloUrlPolicy, type KiloUrlPolicy } from './create-kilo-url-policy';
export { createRedisTicketStore, type RedisTicketStoreOptions } from './create-redis-ticket-store';
export { createRedisAgentCluster, type RedisAgentClusterOptions } from './create-redis-agent-cluster';
export { type PinnedRecord } from './create-pinned-agents';
export { AgentExistsError } from './agent-exists-error';
export { RelayedActionError } from './create-action-relay';
export { createRedisClaims, type RedisClaimsOptions } from './create-redis-claims';
export { createClusterViewers, viewerCountsSchema, type ClusterViewersOptions } from './create-cluster-viewers';
export { consumeOwnerCommands, OWNER_GROUP, type OwnerCommandConsumer, type OwnerCommandConsumerOptions } from './consume-owner-commands';
export { createReplicaAgent, type ReplicaAgent, type ReplicaAgentOptions, type AgentOwnerChannel } from './create-replica-agent';
export { readAgentStream, type ReadAgentStreamOptions, type AgentSnapshot } from './read-agent-stream';
export { publishAgentEvents, type PublishAgentEventsOptions } from './publish-agent-events';
export { writeAgentSnapshot, type SnapshotHistory } from './write-agent-snapshot';
export { redisKeys, type RedisKeys } from './redis-keys';
export { holdLease, releaseLease, type LeaseStep } from './redis-lease';
export type { AgentCluster, AgentRecord, UpstreamFactory } from '../server/agent-cluster';
