import { command, type RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';

export interface NodeLivenessOptions {
  redis: RedisConnection;
  keys: RedisKeys;
  nodeId: string;
  /** The liveness key's TTL: a node silent this long is gone. */
  ttlMs: number;
  /** How often this node renews its key. */
  everyMs: number;
  /** How long another node's key must be seen missing (on this node's clock) before it counts as gone. */
  graceMs: number;
  onError: (error: unknown) => void;
}

/** This node's heartbeat in Redis, and what it sees of the others'. */
export interface NodeLiveness {
  /** Resolves once this node's key was written the first time (before it registers an agent pinned to it). */
  readonly ready: Promise<void>;
  /** Whether `node` is gone: its key missing for `graceMs` on this node's clock (a Redis restart is not a death). */
  lost(node: string): Promise<boolean>;
  /** Stops the heartbeat and deletes this node's key. */
  close(): Promise<void>;
}

/**
 * A liveness key per node (`keys.node(nodeId)`, TTL `ttlMs`, renewed every `everyMs` on its own
 * timer, apart from the sync loop). Another node is gone once its key has been missing for
 * `graceMs` as this node sees it: after a Redis restart every node writes its key again within
 * `everyMs`, so a grace above that does not end a live node's agents. A node is found gone within
 * about `ttlMs + graceMs` of its last renewal.
 *
 * ## Example
 * ```ts
 * const liveness = createNodeLiveness({ redis, keys, nodeId, ttlMs: 5000, everyMs: 1000, graceMs: 2000, onError });
 * if (await liveness.lost('node-a')) endItsAgents();
 * ```
 */
export function createNodeLiveness(options: NodeLivenessOptions): NodeLiveness {
  const { redis, keys, nodeId, ttlMs, everyMs, graceMs, onError } = options;
  const beat = () => command(redis, ['SET', keys.node(nodeId), String(Date.now()), 'PX', ttlMs]);
  const ready = beat().then(
    () => undefined,
    (err: unknown) => onError(err),
  );
  const timer = setInterval(() => void beat().catch(onError), everyMs);
  timer.unref();
  /** Since when (this node's clock) each node's key has been seen missing. */
  const missingSince = new Map<string, number>();
  /** The last answer per node, reused for half a beat (one GET per node, not per agent). */
  const seen = new Map<string, { at: number; lost: boolean }>();
  return {
    ready,
    async lost(node) {
      const now = Date.now();
      const known = seen.get(node);
      if (known && now - known.at < everyMs / 2) return known.lost;
      const value = await command(redis, ['GET', keys.node(node)]);
      let lost = false;
      if (value !== null) missingSince.delete(node);
      else {
        const since = missingSince.get(node) ?? now;
        missingSince.set(node, since);
        lost = now - since >= graceMs;
      }
      if (seen.size > 10_000) seen.clear();
      seen.set(node, { at: now, lost });
      return lost;
    },
    async close() {
      clearInterval(timer);
      await command(redis, ['DEL', keys.node(nodeId)]).catch(onError);
    },
  };
}
