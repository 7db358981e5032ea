import { z } from 'zod';
import { agentIdSchema } from '../protocol/agent-event-schema';
import type { ClusterViewerCounts } from '../server/agent-cluster';
import type { RedisDiagnostics } from './create-redis-diagnostics';
import { command, type RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { jsonText, mgetReply, stringsReply } from './redis-schemas';
import { durationOption } from '../options/number-option';

export interface ClusterViewersOptions {
  redis: RedisConnection;
  keys: Pick<RedisKeys, 'viewers' | 'viewerNodes'>;
  /** This node's name. */
  nodeId: string;
  /** How often this node publishes its counts and reads the others'. Default 1000 ms. */
  pollMs?: number;
  /** How long a node's counts live without a refresh (a dead node's vanish after it). Default 3 × `pollMs`. */
  ttlMs?: number;
  /** Where counts that do not pass their schema are reported (they are not counted). */
  diagnostics: RedisDiagnostics;
  onError: (error: unknown) => void;
}

/** A node's counts as it publishes them: open streams per agent id. */
export const viewerCountsSchema = z.record(agentIdSchema, z.number().int().nonnegative().max(1_000_000_000));
/** A node name of the viewer-nodes set (as `--node-id` allows, or a UUID). */
const nodeNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a node name');

const sum = (counts: Iterable<ReadonlyMap<string, number>>, agentId?: string) => {
  let n = 0;
  for (const c of counts)
    if (agentId !== undefined) n += c.get(agentId) ?? 0;
    else for (const v of c.values()) n += v;
  return n;
};

/**
 * Viewer counts over every live node: each node writes its open streams per agent to its own key
 * (`keys.viewers(nodeId)`, JSON) with a TTL of about three polls, refreshed every poll, and reads
 * the other live nodes' keys (found through the `viewerNodes` set); a node that dies stops
 * refreshing and its counts vanish with its key's TTL. Its own counts are always current, the
 * others' as last read (at most one poll old). What is read is checked: counts that are not a
 * map of agent ids to counts, or a node name that is not one, are reported and not counted.
 *
 * ## Example
 * ```ts
 * const viewers = createClusterViewers({ redis, keys, nodeId: 'n1', diagnostics, onError });
 * viewers.publish(() => broadcasts.viewersByAgent());
 * viewers.count('a1'); // open streams of a1 on every live node
 * ```
 */
export function createClusterViewers(options: ClusterViewersOptions): ClusterViewerCounts & { close(): Promise<void> } {
  const { redis, keys, nodeId, diagnostics, onError } = options;
  const pollMs = durationOption('createClusterViewers', 'pollMs', options.pollMs ?? 1000);
  const ttlMs = durationOption('createClusterViewers', 'ttlMs', options.ttlMs ?? 3 * pollMs);
  let local: () => ReadonlyMap<string, number> = () => new Map();
  let others = new Map<string, ReadonlyMap<string, number>>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let polling = false;
  let closed = false;

  const poll = async () => {
    if (polling || closed) return;
    polling = true;
    try {
      const mine = JSON.stringify(Object.fromEntries(local()));
      const now = Date.now();
      await command(redis, ['SET', keys.viewers(nodeId), mine, 'PX', ttlMs]);
      await command(redis, ['ZADD', keys.viewerNodes, now, nodeId]);
      // The set only names where to look (a key's TTL says who lives); long-gone names are dropped.
      await command(redis, ['ZREMRANGEBYSCORE', keys.viewerNodes, '-inf', now - 100 * ttlMs]);
      const members =
        diagnostics.check(stringsReply, await command(redis, ['ZRANGE', keys.viewerNodes, 0, -1]), 'reply', keys.viewerNodes) ?? [];
      const nodes = members.filter((n) => {
        if (n === nodeId) return false;
        if (nodeNameSchema.safeParse(n).success) return true;
        diagnostics.invalid('viewers', keys.viewerNodes, 'a member that is not a node name');
        return false;
      });
      const reply = nodes.length ? await command(redis, ['MGET', ...nodes.map(keys.viewers)]) : [];
      const texts = diagnostics.check(mgetReply.length(nodes.length), reply, 'reply', `MGET ${keys.viewerNodes}`) ?? [];
      const next = new Map<string, ReadonlyMap<string, number>>();
      nodes.forEach((node, i) => {
        const text = texts[i];
        if (typeof text !== 'string') return; // expired: the node is gone
        const counts = diagnostics.check(jsonText(viewerCountsSchema), text, 'viewers', keys.viewers(node));
        if (counts) next.set(node, new Map(Object.entries(counts)));
      });
      others = next;
    } catch (err) {
      onError(err);
    } finally {
      polling = false;
    }
  };

  const byNode = () => new Map([[nodeId, local()], ...others]);
  return {
    publish(read) {
      if (typeof read !== 'function') throw new TypeError('createClusterViewers: publish takes a function returning the counts');
      local = read;
      if (timer || closed) return;
      timer = setInterval(() => void poll(), pollMs);
      timer.unref();
      void poll();
    },
    count: (agentId) => sum(byNode().values(), agentId),
    byAgent() {
      const out = new Map<string, number>();
      for (const counts of byNode().values()) for (const [id, n] of counts) out.set(id, (out.get(id) ?? 0) + n);
      return out;
    },
    byNode,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      // Leaving: this node's counts go at once (a dead node's with their TTL).
      await command(redis, ['DEL', keys.viewers(nodeId)]).catch(onError);
    },
  };
}
