import type { ClusterViewerCounts } from './agent-cluster';
import type { BroadcastRegistry } from './create-broadcast-registry';

/**
 * The broadcasts of a node whose viewer counts are the whole deployment's: `viewerCount` and
 * `viewersByAgent` (so `GET /agents`' `viewers`) sum every live node's, and this node publishes
 * its own (`viewers.publish`). Without `viewers` (one node), `broadcasts` itself.
 *
 * ## Example
 * ```ts
 * const counted = withClusterViewers(broadcasts, cluster?.viewers);
 * counted.viewerCount('a1'); // open streams of a1 on every node
 * ```
 */
export function withClusterViewers(broadcasts: BroadcastRegistry, viewers: ClusterViewerCounts | undefined): BroadcastRegistry {
  if (!viewers) return broadcasts;
  viewers.publish(() => broadcasts.viewersByAgent());
  return {
    of: (agent) => broadcasts.of(agent),
    disconnect: (agentId) => broadcasts.disconnect(agentId),
    get size() {
      return broadcasts.size;
    },
    viewerCount: (agentId) => viewers.count(agentId),
    viewersByAgent: () => viewers.byAgent(),
  };
}
