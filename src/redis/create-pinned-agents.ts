import type { AgentActions, ManagedAgent } from '../agent/create-managed-agent';
import type { ExitData } from '../protocol/agent-event';
import type { AgentRecord, UpstreamFactory } from '../server/agent-cluster';
import type { Logger } from '../server/logger';
import { AgentExistsError } from './agent-exists-error';
import { createActionRelay } from './create-action-relay';
import { createNodeLiveness } from './create-node-liveness';
import type { RedisDiagnostics } from './create-redis-diagnostics';
import type { ReplicaAgent } from './create-replica-agent';
import { endLostAgent } from './end-lost-agent';
import { command, type RedisConnection } from './redis-connection';
import { holdLease } from './redis-lease';
import { withPastEvents } from './with-past-events';
import type { RedisKeys } from './redis-keys';
import { agentRecordSchema, jsonText, setNxReply } from './redis-schemas';
import { startAgentOwner, type AgentOwner } from './start-agent-owner';

/** A cluster node's entry for one agent, as the cluster keeps it (the pinned step reads and sets it). */
export interface PinnedLocal {
  record: AgentRecord;
  replica: ReplicaAgent;
  owner?: AgentOwner;
  starting?: boolean;
  /** The lease token this node holds for it (`<epoch>:<node>`), renewed each step; its appends are not fenced (no other node consumes it). */
  token?: string;
}

/** The record of an agent this node pins to itself (`node` and `firstId` are set by `adopt`). */
export type PinnedRecord = Omit<AgentRecord, 'firstId' | 'exited' | 'node'>;

export interface PinnedAgentsOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  nodeId: string;
  /** A node silent this long is gone (its liveness key's TTL). */
  nodeLeaseMs: number;
  /** The heartbeat's period (the cluster's `pollMs`). */
  pollMs: number;
  snapshotMs: number;
  retentionMs: number;
  /** How long an action relayed to another node waits for its answer. */
  relayTimeoutMs: number;
  onError: (error: unknown) => void;
  diagnostics: RedisDiagnostics;
  logger: Logger;
}

/** Agents whose kilo lives in one node's process (spawned, the demo): the cluster's hooks for them. */
export interface PinnedAgents {
  /**
   * Registers an agent whose kilo this node holds: `upstream` (its consumer, e.g. a spawned
   * agent's), or none to consume `record.url` with the cluster's factory here. Throws
   * {@link AgentExistsError} when a record with that id exists. `attach` is the cluster's.
   */
  adopt(
    record: PinnedRecord,
    upstream: ManagedAgent | undefined,
    attach: (record: AgentRecord) => Promise<ManagedAgent>,
  ): Promise<ManagedAgent>;
  /** A replica's actions for a pinned record (through its node); undefined for another record. */
  actionsFor(record: AgentRecord): AgentActions | undefined;
  /** The lease step of a pinned record: its node consumes it, the others end it once its node is gone. */
  step(l: PinnedLocal, createUpstream: UpstreamFactory | undefined): Promise<void>;
  start(): void;
  /** Waits for the ends this node published, stops its heartbeat and relay. */
  close(): Promise<void>;
}

/**
 * The pinned agents of a Redis cluster node (docs/deploy.md, "Spawned agents"): a record naming
 * `node` is consumed by that node only (no lease, no takeover: nobody else can reach its kilo),
 * acted on from any node through it ({@link createActionRelay}), and ended with `node_lost` by
 * exactly one surviving node ({@link endLostAgent}) once that node's liveness key
 * ({@link createNodeLiveness}) is gone. A node that finds its own record marked ended (it was
 * silent too long) stops its kilo without publishing; a node restarted under the same id ends
 * the records of its earlier run.
 *
 * ## Example
 * ```ts
 * const pinned = createPinnedAgents({ redis, keys, nodeId, nodeLeaseMs: 5000, pollMs: 1000, snapshotMs, retentionMs, relayTimeoutMs: 15_000, onError, diagnostics, logger });
 * // in the lease step: if (l.record.node !== undefined) return pinned.step(l, createUpstream);
 * ```
 */
export function createPinnedAgents(options: PinnedAgentsOptions): PinnedAgents {
  const { redis, keys, nodeId, onError, logger } = options;
  /** The agents pinned to this node by this process: their record as adopted, and their upstream. */
  const held = new Map<string, { record: AgentRecord; upstream?: ManagedAgent; owner?: AgentOwner }>();
  let liveness: ReturnType<typeof createNodeLiveness> | undefined;
  const relay = createActionRelay({
    redis,
    keys,
    nodeId,
    local: (id) => held.get(id)?.owner?.upstream.actions,
    timeoutMs: options.relayTimeoutMs,
    onError,
    diagnostics: options.diagnostics,
  });

  /** Publishes `node_lost` for `l` (once over all nodes); `node` undefined: this node's earlier run. */
  const endLost = async (l: PinnedLocal, node: string | undefined) => {
    const id = l.record.id;
    const text = await command(redis, ['GET', keys.record(id)]);
    if (typeof text !== 'string') return;
    // Not a record (reported and counted, like every invalid entry): nothing is concluded from it.
    const current = options.diagnostics.check(jsonText(agentRecordSchema), text, 'record', keys.record(id));
    if (!current || current.exited || current.node !== l.record.node) return;
    const exit: ExitData = { reason: 'node_lost', error: { message: `node ${l.record.node} is gone`, code: 'node_lost' } };
    const ended = await endLostAgent(redis, keys, {
      agentId: id,
      recordText: text,
      exitedText: JSON.stringify({ ...current, exited: exit }),
      node,
      latestSeq: l.replica.history.latestSeq,
      status: l.replica.status(),
      exit,
      retentionMs: options.retentionMs,
    });
    if (ended) logger.warn(`agent ${id}: node ${l.record.node} is gone; this node (${nodeId}) ended it (node_lost)`);
  };

  const own = async (l: PinnedLocal, h: NonNullable<ReturnType<typeof held.get>>, createUpstream: UpstreamFactory) => {
    l.starting = true;
    try {
      const inner = await startAgentOwner({
        redis,
        keys,
        record: h.record,
        createUpstream: h.upstream ? () => withPastEvents(h.upstream!) : createUpstream,
        history: l.replica.history,
        snapshotMs: options.snapshotMs,
        retentionMs: options.retentionMs,
        onError,
        onExit: (exit) => void (l.record = { ...l.record, exited: exit }),
        // No fence: no other node ever consumes a pinned agent (they skip its lease).
      });
      h.owner = inner;
      // Leaving (the cluster drops its owners) ends the agent for every node: its kilo leaves with this node.
      l.owner = { upstream: inner.upstream, drop: () => inner.upstream.stop('shutdown') };
      logger.info(`agent ${l.record.id}: this node (${nodeId}) holds its kilo and consumes it`);
    } finally {
      l.starting = false;
    }
  };

  return {
    async adopt(r, upstream, attach) {
      await liveness?.ready;
      const record: AgentRecord = { ...r, firstId: upstream?.firstId ?? Date.now() * 1000, node: nodeId };
      held.set(r.id, { record, upstream });
      let reply: unknown;
      try {
        reply = await command(redis, ['SET', keys.record(r.id), JSON.stringify(record), 'NX']);
      } catch (error) {
        // Redis could not say: not "exists" (409), a failure of the spawn (502).
        held.delete(r.id);
        throw error;
      }
      const set = setNxReply.safeParse(reply);
      if (!set.success || set.data !== 'OK') {
        held.delete(r.id);
        throw new AgentExistsError(r.id);
      }
      return attach(record);
    },
    actionsFor(record) {
      if (record.node === undefined || record.watchOnly) return undefined;
      return relay.actionsOf(record.id, record.node);
    },
    async step(l, createUpstream) {
      const id = l.record.id;
      const node = l.record.node;
      const h = held.get(id);
      if (node !== nodeId) {
        if (node === undefined || l.record.exited || l.replica.exited || !liveness) return;
        if (await liveness.lost(node)) await endLost(l, node);
        return;
      }
      if (l.record.exited || l.replica.exited) {
        // Ended by another node while this one was silent: stop its kilo, publish nothing more.
        if (h?.owner && !h.owner.upstream.exited) {
          logger.warn(`agent ${id}: ended elsewhere (${l.record.exited?.reason ?? 'exited'}) while this node held it; stopping it`);
          h.owner.drop();
        }
        if (h && (!h.owner || h.owner.upstream.exited)) held.delete(id);
        return;
      }
      if (!h) return endLost(l, undefined);
      if (l.starting || !createUpstream) return;
      // Nobody else takes it (other nodes skip pinned records), but the lease names its owner like any
      // agent's, for whatever checks the lease holder (e.g. fenced writes).
      const lease = await holdLease(redis, keys.lease(id), nodeId, options.nodeLeaseMs, l.token);
      // Taken again after Redis lost it: the same owner goes on (its appends are not fenced).
      if (lease.step !== 'held_elsewhere') l.token = lease.token;
      if (!l.owner) await own(l, h, createUpstream);
    },
    start() {
      liveness ??= createNodeLiveness({
        redis,
        keys,
        nodeId,
        ttlMs: options.nodeLeaseMs,
        everyMs: options.pollMs,
        graceMs: Math.min(options.nodeLeaseMs, 2 * options.pollMs),
        onError,
      });
      relay.start().catch(onError);
    },
    async close() {
      relay.close();
      // Sent after every write of the ends published while leaving: answered once they are done.
      await liveness?.close();
    },
  };
}
