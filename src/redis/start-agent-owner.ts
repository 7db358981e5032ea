import type { Subscription } from 'rxjs';
import type { ExitData } from '../protocol/agent-event';
import type { ManagedAgent } from '../agent/create-managed-agent';
import type { AgentRecord, UpstreamFactory } from '../server/agent-cluster';
import { publishAgentEvents } from './publish-agent-events';
import { writeAgentSnapshot } from './write-agent-snapshot';
import { RedisReplyError } from './create-redis-diagnostics';
import { command, type RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { leaseEpochKey } from './redis-lease';
import { lastEntryReply } from './redis-schemas';

export interface AgentOwnerOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  record: AgentRecord;
  createUpstream: UpstreamFactory;
  /** The agent's retained state on this node (its replica's history), written as the snapshot. */
  history: Parameters<typeof writeAgentSnapshot>[2];
  snapshotMs: number;
  /** How long an exited agent's keys stay (late viewers replay it). */
  retentionMs: number;
  /** The upstream exited by itself (not dropped); called at once, before the record is marked in Redis. */
  onExit: (exit: ExitData) => void;
  onError: (error: unknown) => void;
  /**
   * The lease token this owner holds (`holdLease`): every append is fenced by it. Absent: not
   * fenced (an agent pinned to its node, which no other node ever consumes).
   */
  token?: string;
  /** An append was refused: the lease is no longer this owner's. The owner has stopped publishing; drop it. */
  onFenced?: () => void;
  /** An append failed (the stream lacks that event): the owner has stopped publishing; drop it, start a fresh one. */
  onFailed?: (error: unknown) => void;
}

/** The upstream half of an agent, on the node holding its lease. */
export interface AgentOwner {
  readonly upstream: ManagedAgent;
  /** Lets the upstream go without publishing its end (another node takes over, or this node leaves). */
  drop(): void;
}

/**
 * Starts consuming an agent's kilo on this node: its ids continue above the stream's last one
 * (`firstId`), so a takeover continues the same stream; kilo's log refills what happened during
 * the handover (docs/protocol.md §2.1). Every event is appended to the stream once, fenced by the
 * lease `token` (a deposed owner appends nothing and is told by `onFenced`); the retained
 * state is written as the snapshot every `snapshotMs` (when it changed) and the stream trimmed
 * behind it. An exit is published, the record marked and its keys expire after `retentionMs`;
 * the lease is left to expire, so every node has seen the record marked before it is free.
 *
 * ## Example
 * ```ts
 * const owner = await startAgentOwner({ redis, keys, record, createUpstream, history: replica.history, snapshotMs: 1000, retentionMs, onExit, onError, token, onFenced });
 * owner.drop(); // lease lost
 * ```
 */
export async function startAgentOwner(options: AgentOwnerOptions): Promise<AgentOwner> {
  const { redis, keys, record, onError } = options;
  const id = record.id;
  const lastReply = lastEntryReply.safeParse(await command(redis, ['XREVRANGE', keys.events(id), '+', '-', 'COUNT', 1]));
  if (!lastReply.success) throw new RedisReplyError(keys.events(id), 'its last entry id is not <seq>-<n>');
  const last = lastReply.data;
  const firstId = Math.max(Date.now() * 1000, last + 1, record.firstId);
  const upstream = options.createUpstream(record, firstId);
  const publisher: Subscription = publishAgentEvents({
    redis,
    key: keys.events(id),
    events: upstream.events$,
    after: last,
    fence: options.token === undefined ? undefined : { lease: keys.lease(id), token: options.token },
    onFenced: options.onFenced,
    onFailed: options.onFailed,
    onError,
  });
  let dropped = false;
  let snapshotSeq = 0;
  let writing = false;
  const snapshot = () => {
    // Not while Redis is out of reach: a write queued then could land after another owner's, older than it.
    if (writing || options.history.latestSeq <= snapshotSeq || !redis.isReady) return Promise.resolve();
    writing = true;
    return writeAgentSnapshot(redis, { events: keys.events(id), snapshot: keys.snapshot(id) }, options.history, snapshotSeq)
      .then((seq) => void (snapshotSeq = seq), onError)
      .finally(() => (writing = false));
  };
  const timer = setInterval(() => void snapshot(), options.snapshotMs);
  timer.unref();
  upstream.exit$.subscribe((exit) => {
    clearInterval(timer);
    if (dropped) return;
    options.onExit(exit);
    const exited: AgentRecord = { ...record, exited: exit };
    const ms = options.retentionMs;
    Promise.all([
      command(redis, ['SET', keys.record(id), JSON.stringify(exited), 'PX', ms]),
      command(redis, ['PEXPIRE', keys.events(id), ms]),
      command(redis, ['PEXPIRE', keys.snapshot(id), ms]),
      command(redis, ['PEXPIRE', leaseEpochKey(keys.lease(id)), ms]),
    ]).catch(onError);
  });
  return {
    upstream,
    drop() {
      if (dropped) return;
      dropped = true;
      clearInterval(timer);
      publisher.unsubscribe();
      upstream.stop('shutdown');
    },
  };
}
