import { randomUUID } from 'node:crypto';
import type { AgentRegistry } from '../agent/create-agent-registry';
import type { ManagedAgent } from '../agent/create-managed-agent';
import type { AgentCluster, AgentRecord, ClusterViewerCounts, UpstreamFactory } from '../server/agent-cluster';
import { silentLogger, type Logger } from '../server/logger';
import { agentIdSchema, describeIssues } from '../protocol/agent-event-schema';
import { createRecordCheck } from './create-record-check';
import { createKiloUrlPolicy } from './create-kilo-url-policy';
import { createRecordReplica } from './create-record-replica';
import { createRedisDiagnostics, RedisReplyError, type RedisDiagnostics } from './create-redis-diagnostics';
import { createOwnerCommands } from './create-owner-commands';
import { createClusterViewers } from './create-cluster-viewers';
import { createRedisClaims } from './create-redis-claims';
import { command, type RedisConnection } from './redis-connection';
import { redisKeys } from './redis-keys';
import { agentRecordSchema, mgetReply, stringsReply } from './redis-schemas';
import { createAgentLeases, type LeasedAgent } from './create-agent-leases';
import { createPinnedAgents, type PinnedRecord } from './create-pinned-agents';
import { durationOption } from '../options/number-option';

export interface RedisAgentClusterOptions {
  /** A connected node-redis client (see `connectRedis`). */
  redis: RedisConnection;
  /** This node's name in leases. Default: a random UUID. */
  nodeId?: string;
  /** Key prefix of the deployment. Default `agent-stream:`. */
  prefix?: string;
  /** Lease time: a dead owner's agents are taken over about `leaseMs` after its last renewal. Default 700 ms. */
  leaseMs?: number;
  /** How often the owner renews its leases (below `leaseMs`). Default a quarter of `leaseMs`. */
  renewMs?: number;
  /** How often the records are synced and a lease held elsewhere looked at (at least). Default 1000 ms. */
  pollMs?: number;
  /** How often an owner writes the retained state. Default 1000 ms. */
  snapshotMs?: number;
  /** History bounds of every replica (as `createManagedAgent`'s). */
  historySize?: number;
  historyBytes?: number;
  /** How long an exited agent stays listed. Default 5 min. */
  retentionMs?: number;
  /**
   * The kilo base URLs this node may act on besides those it attaches itself (`attach`): a record
   * in Redis naming another is refused (reported as `kilo_url`), so whoever can write to Redis
   * cannot point the nodes, and kilo's password, at another host. Matched by scheme, host, port
   * and path prefix. Default: none (only the URLs this node attached).
   */
  allowKiloUrls?: string[];
  /** A node silent this long is gone: the agents whose kilo it held (`adopt`) end with `node_lost`. Default 5000 ms. */
  nodeLeaseMs?: number;
  /** How long an action on an agent held by another node waits for that node's answer. Default 15 000 ms. */
  relayTimeoutMs?: number;
  /** Where what this node refused to read from Redis is counted and reported. Default: one of its own, logging to `logger`. */
  diagnostics?: RedisDiagnostics;
  logger?: Logger;
}

type Local = LeasedAgent;

const positive = (name: string, v: number) => durationOption('createRedisAgentCluster', name, v);

/**
 * Agents shared through Redis by several control servers behind one load balancer (docs/deploy.md):
 * records in Redis (`GET /agents` is the same on every node); one node per agent holds a lease
 * and consumes its kilo, appending each event once to the agent's Redis stream; every node reads
 * each stream once into a replica (same ids, same retained state) and fans out to its viewers
 * locally. When an owner dies its lease expires and another node continues from kilo's log.
 *
 * ## Example
 * ```ts
 * const redis = await connectRedis(url, logger.warn);
 * const cluster = createRedisAgentCluster({ redis });
 * const server = createControlServer({ cluster, tickets: createRedisTicketStore({ redis }) });
 * await cluster.attach({ id: 'a1', url: 'http://10.0.0.5:4096', sessionId: 'ses_1' });
 * ```
 */
export function createRedisAgentCluster(options: RedisAgentClusterOptions): AgentCluster & {
  readonly nodeId: string;
  owns(id: string): boolean;
  readonly diagnostics: RedisDiagnostics;
  readonly viewers: ClusterViewerCounts;
  /** Registers an agent whose kilo lives in this node's process (see `createPinnedAgents`); `upstream`: its consumer. */
  adopt(record: PinnedRecord, upstream?: ManagedAgent): Promise<ManagedAgent>;
} {
  if (!options?.redis) throw new TypeError('createRedisAgentCluster: redis must be a connected node-redis client (see connectRedis)');
  const { redis } = options;
  const keys = redisKeys(options.prefix);
  const nodeId = options.nodeId ?? randomUUID();
  const leaseMs = positive('leaseMs', options.leaseMs ?? 700);
  const renewMs = positive('renewMs', options.renewMs ?? leaseMs / 4);
  if (renewMs >= leaseMs) throw new RangeError(`createRedisAgentCluster: renewMs must be below leaseMs (${leaseMs}), got ${renewMs}`);
  const pollMs = positive('pollMs', options.pollMs ?? 1000);
  const snapshotMs = positive('snapshotMs', options.snapshotMs ?? 1000);
  const retentionMs = durationOption('createRedisAgentCluster', 'retentionMs', options.retentionMs ?? 5 * 60_000, true);
  const logger = options.logger ?? silentLogger;
  const kiloUrls = createKiloUrlPolicy(options.allowKiloUrls ?? []);
  const diagnostics = options.diagnostics ?? createRedisDiagnostics({ logger });
  const onError = (err: unknown) =>
    err instanceof RedisReplyError ? diagnostics.invalid('reply', err.key, err.issue) : logger.warn('redis', err);
  const { recordOf, refuse } = createRecordCheck(diagnostics, kiloUrls);
  const viewers = createClusterViewers({ redis, keys, nodeId, pollMs, diagnostics, onError });
  const local = new Map<string, Local>();
  let createUpstream: UpstreamFactory | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  let ticking = false;

  const pinned = createPinnedAgents({
    redis,
    keys,
    nodeId,
    nodeLeaseMs: positive('nodeLeaseMs', options.nodeLeaseMs ?? 5000),
    pollMs,
    snapshotMs,
    retentionMs,
    relayTimeoutMs: positive('relayTimeoutMs', options.relayTimeoutMs ?? 15_000),
    onError,
    diagnostics,
    logger,
  });
  const commands = createOwnerCommands({
    redis,
    keys,
    nodeId,
    owned: () => [...local].filter(([, l]) => l.owner).map(([id]) => id),
    upstreamOf: (id) => local.get(id)?.owner?.upstream,
    onError,
    diagnostics,
  });

  const leases = createAgentLeases({
    redis,
    keys,
    nodeId,
    leaseMs,
    renewMs,
    retryMs: pollMs,
    snapshotMs,
    retentionMs,
    factory: () => createUpstream,
    current: (l) => !closed && local.get(l.record.id) === l,
    diagnostics,
    logger,
    onError,
  });

  const forget = (id: string) => {
    const l = local.get(id);
    if (!l) return;
    local.delete(id);
    l.owner?.drop();
    l.replica.end();
  };

  const ensure = (record: AgentRecord): Local => {
    const known = local.get(record.id);
    if (known) return known;
    const replica = createRecordReplica(record, {
      redis,
      keys,
      owner: commands.channel(record.id),
      actions: pinned.actionsFor(record),
      onError,
      diagnostics,
      historySize: options.historySize,
      historyBytes: options.historyBytes,
    });
    const l: Local = { record, replica };
    local.set(record.id, l);
    replica.exit$.subscribe(() => {
      const t = setTimeout(() => local.get(record.id) === l && forget(record.id), retentionMs);
      t.unref();
    });
    return l;
  };

  /** Syncs the records (re-registering ours if Redis lost them), then the leases. */
  const tick = async () => {
    if (ticking || closed) return;
    ticking = true;
    try {
      // Each id and record is checked on its own: a bad one is skipped, the others and the leases go on.
      const members = diagnostics.check(stringsReply, await command(redis, ['SMEMBERS', keys.agents]), 'reply', keys.agents) ?? [];
      const ids = members.filter((id) => {
        if (agentIdSchema.safeParse(id).success) return true;
        refuse('record', `${keys.agents}[${id}]`, id, 'a member that is not an agent id');
        return false;
      });
      const reply = ids.length ? await command(redis, ['MGET', ...ids.map(keys.record)]) : [];
      const texts = diagnostics.check(mgetReply.length(ids.length), reply, 'reply', `MGET ${keys.agents}`);
      // A reply that is not one: nothing is concluded from it (no agent is dropped from the set).
      if (texts === undefined) return;
      const seen = new Set<string>();
      const present = new Set<string>();
      ids.forEach((id, i) => {
        const text = texts[i];
        if (typeof text !== 'string') return;
        present.add(id);
        const record = recordOf(id, keys.record(id), text);
        if (!record) return;
        seen.add(id);
        ensure(record).record = record;
      });
      for (const id of ids) if (!present.has(id) && !local.has(id)) await command(redis, ['SREM', keys.agents, id]);
      for (const [id, l] of local) {
        if (seen.has(id) || l.replica.exited || l.record.exited) continue;
        await command(redis, ['SET', keys.record(id), JSON.stringify(l.record), 'NX']);
        await command(redis, ['SADD', keys.agents, id]);
      }
      for (const l of [...local.values()]) {
        // A pinned agent (spawned here or on another node) is consumed by its node only.
        if (l.record.node !== undefined) await pinned.step(l, createUpstream).catch(onError);
        else leases.hold(l);
      }
    } catch (err) {
      onError(err);
    } finally {
      ticking = false;
    }
  };

  const registry: AgentRegistry = {
    add() {
      throw new TypeError('a clustered registry takes agents through cluster.attach(record)');
    },
    get: (id) => local.get(id)?.replica,
    list: () => [...local.values()].map((l) => l.replica),
    remove(id) {
      const had = local.has(id);
      forget(id);
      return had;
    },
    get size() {
      return local.size;
    },
    stopAll() {
      // This node leaves: the agents go on (another node takes their upstreams); its streams end.
      for (const [id, l] of [...local]) {
        void leases.release(l).catch(onError);
        forget(id);
      }
    },
  };

  return {
    nodeId,
    registry,
    diagnostics,
    viewers,
    invalidEntries: diagnostics.invalidEntries,
    claims: createRedisClaims({ redis, keys, diagnostics }),
    owns: (id) => local.get(id)?.owner !== undefined,
    async attach(r: Omit<AgentRecord, 'firstId' | 'exited'> & { firstId?: number }) {
      const record: AgentRecord = { ...r, firstId: r.firstId ?? Date.now() * 1000 };
      const checked = agentRecordSchema.safeParse(record);
      if (!checked.success) throw new TypeError(`cluster.attach: ${describeIssues(checked.error)}`);
      kiloUrls.add(r.url);
      await command(redis, ['SET', keys.record(r.id), JSON.stringify(record), 'NX']);
      await command(redis, ['SADD', keys.agents, r.id]);
      // The record of the node that registered it first, when it is a valid one this node may use.
      const text = await command(redis, ['GET', keys.record(r.id)]);
      const l = ensure((typeof text === 'string' && recordOf(r.id, keys.record(r.id), text)) || record);
      void tick();
      return l.replica;
    },
    adopt(r, upstream) {
      return pinned.adopt(r, upstream, (record) => this.attach(record));
    },
    start(factory) {
      if (typeof factory !== 'function') throw new TypeError('cluster.start: pass a function (record, firstId) => ManagedAgent');
      createUpstream = factory;
      if (timer) return;
      pinned.start();
      timer = setInterval(() => void tick(), pollMs);
      timer.unref();
      commands.start();
      void tick();
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      commands.close();
      registry.stopAll();
      await pinned.close();
      await viewers.close();
    },
  };
}
