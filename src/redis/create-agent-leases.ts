import { performance } from 'node:perf_hooks';
import type { AgentRecord, UpstreamFactory } from '../server/agent-cluster';
import type { Logger } from '../server/logger';
import type { RedisDiagnostics } from './create-redis-diagnostics';
import type { ReplicaAgent } from './create-replica-agent';
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { holdLease, releaseLease } from './redis-lease';
import { startAgentOwner, type AgentOwner } from './start-agent-owner';

/** One agent as a cluster node knows it: its record, its replica and, on the lease holder, its owner. */
export interface LeasedAgent {
  record: AgentRecord;
  replica: ReplicaAgent;
  owner?: AgentOwner;
  starting?: boolean;
  /** The lease token this node holds for it (`<epoch>:<node>`), while it holds it. */
  token?: string;
}

export interface AgentLeasesOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  nodeId: string;
  leaseMs: number;
  /** How often the holder renews. */
  renewMs: number;
  /** How long at most between two looks at a lease another node holds (it may be given back before it expires). */
  retryMs: number;
  snapshotMs: number;
  retentionMs: number;
  /** The upstream factory once the cluster started, else undefined (no lease is taken). */
  factory: () => UpstreamFactory | undefined;
  /** Whether `agent` is still this node's (not forgotten, cluster not closed). */
  current: (agent: LeasedAgent) => boolean;
  diagnostics: RedisDiagnostics;
  logger: Logger;
  onError: (error: unknown) => void;
}

/** The lease loops of a node's agents. */
export interface AgentLeases {
  /** Keeps `agent`'s lease loop running (idempotent): renew or take, start or drop the owner. */
  hold(agent: LeasedAgent): void;
  /** Gives `agent`'s lease back (this node leaves): another node takes it at once. */
  release(agent: LeasedAgent): Promise<void>;
}

interface Loop {
  timer?: ReturnType<typeof setTimeout>;
  watchdog?: ReturnType<typeof setTimeout>;
  /** Until when (this process's monotonic clock) the lease is surely this node's: the last renewal's send time + leaseMs. */
  validUntil: number;
}

/**
 * The lease of each agent, on its own loop per agent: the holder renews every `renewMs`; another
 * node retries exactly when the lease would expire (Redis says its PTTL; and every `retryMs` at
 * least, for a lease given back), so a dead owner is replaced about `leaseMs` after its last renewal. Each take has a new, higher epoch in its token
 * and the owner appends only while the lease holds it (`publishAgentEvents`' fence). A holder
 * that cannot renew (Redis unreachable, or its renewals starved) stops consuming on its own
 * clock before its lease could have expired: the send time of its last renewal that Redis
 * confirmed, plus `leaseMs`, less an eighth of it.
 *
 * ## Example
 * ```ts
 * const leases = createAgentLeases({ redis, keys, nodeId, leaseMs: 800, renewMs: 200, retryMs: 1000, snapshotMs, retentionMs, factory, current, diagnostics, logger, onError });
 * leases.hold(agent);
 * ```
 */
export function createAgentLeases(options: AgentLeasesOptions): AgentLeases {
  const { redis, keys, nodeId, leaseMs, renewMs, logger, onError } = options;
  const guard = leaseMs / 8;
  const loops = new WeakMap<LeasedAgent, Loop>();

  const depose = (a: LeasedAgent, why: string) => {
    if (!a.owner) return;
    a.owner.drop();
    a.owner = undefined;
    logger.info(`agent ${a.record.id}: this node (${nodeId}) stops consuming its upstream: ${why}`);
  };

  /** Whether `loop`'s lease surely still holds on this process's clock (the watchdog's test). */
  const valid = (loop: Loop) => performance.now() < loop.validUntil - guard - 1;

  /**
   * Arms `loop`'s watchdog for when its lease could expire. Checked after that turn's I/O
   * (setImmediate): a renewal answered during a stall of the event loop counts. A timer may fire
   * up to 2 ms before its time on `performance.now()` (libuv counts whole milliseconds; measured:
   * about 1 in 100 fires more than 1 ms early): then it arms again, never gives up.
   */
  const watch = (a: LeasedAgent, loop: Loop) => {
    if (loop.watchdog) clearTimeout(loop.watchdog);
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (loop.watchdog !== timer) return; // a renewal armed a newer one
          if (valid(loop)) watch(a, loop);
          else depose(a, 'its lease could have expired (no renewal confirmed by Redis in time)');
        }),
      Math.max(1, Math.ceil(loop.validUntil - guard - performance.now())),
    );
    timer.unref();
    loop.watchdog = timer;
  };

  const start = async (a: LeasedAgent, loop: Loop, token: string, createUpstream: UpstreamFactory) => {
    a.starting = true;
    try {
      const owner: AgentOwner = await startAgentOwner({
        redis,
        keys,
        record: a.record,
        createUpstream,
        history: a.replica.history,
        snapshotMs: options.snapshotMs,
        retentionMs: options.retentionMs,
        onError,
        token,
        onFenced: () => a.owner === owner && depose(a, 'another node holds the lease (an append was fenced off)'),
        // The stream would lack that event for good: a fresh owner (next step) rebuilds from kilo's log.
        onFailed: () => a.owner === owner && depose(a, 'an append to its stream failed; a fresh owner rebuilds from kilo’s log'),
        // Ended for good: no lease step may start it again (the lease is left to expire).
        onExit: (exit) => void (a.record = { ...a.record, exited: exit }),
      });
      // Started too late: the lease may have expired meanwhile (Redis cut, or a stall), and the
      // watchdog that would have stopped it already ran. The next confirmed renewal starts it again.
      if (!options.current(a) || a.token !== token || a.owner || !valid(loop)) owner.drop();
      else {
        a.owner = owner;
        logger.info(`agent ${a.record.id}: this node (${nodeId}) consumes its upstream (lease epoch ${token.split(':')[0]})`);
      }
    } finally {
      a.starting = false;
    }
  };

  const step = async (a: LeasedAgent, loop: Loop) => {
    loop.timer = undefined;
    if (!options.current(a) || a.replica.exited || a.record.exited) return loops.delete(a);
    const next = (ms: number) => {
      if (options.current(a)) loop.timer = setTimeout(() => void step(a, loop), Math.max(1, Math.round(ms)));
      loop.timer?.unref();
    };
    const createUpstream = options.factory();
    if (!createUpstream) return next(renewMs);
    const sentAt = performance.now();
    let s: Awaited<ReturnType<typeof holdLease>>;
    try {
      s = await holdLease(redis, keys.lease(a.record.id), nodeId, Math.round(leaseMs), a.token);
    } catch (err) {
      onError(err);
      return next(renewMs);
    }
    if (!options.current(a)) {
      if (s.step !== 'held_elsewhere') await releaseLease(redis, keys.lease(a.record.id), s.token).catch(onError);
      return loops.delete(a);
    }
    if (s.step === 'held_elsewhere') {
      depose(a, 'another node holds the lease');
      a.token = undefined;
      // Back exactly when it would expire unless renewed (a dead holder's lease is taken at once).
      return next(Math.min(s.pttl >= 0 ? s.pttl + 1 : renewMs, options.retryMs));
    }
    // Found free while this node consumed (Redis lost it): start over, with the new epoch.
    if (s.step === 'taken') depose(a, 'the lease was lost in Redis');
    a.token = s.token;
    loop.validUntil = sentAt + leaseMs;
    watch(a, loop);
    if (!a.owner && !a.starting && !a.record.exited) void start(a, loop, s.token, createUpstream).catch(onError);
    next(renewMs);
  };

  return {
    hold(a) {
      if (loops.has(a)) return;
      const loop: Loop = { validUntil: 0 };
      loops.set(a, loop);
      void step(a, loop);
    },
    async release(a) {
      const token = a.token;
      a.token = undefined;
      if (token) await releaseLease(redis, keys.lease(a.record.id), token);
    },
  };
}
