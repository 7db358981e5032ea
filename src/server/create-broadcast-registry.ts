import type { ManagedAgent } from '../agent/create-managed-agent';
import { createAgentBroadcast, type AgentBroadcast, type AgentBroadcastOptions } from './create-agent-broadcast';

/** The broadcasts of a server, one per agent with viewers: the one place viewers are counted. */
export interface BroadcastRegistry {
  /** The agent's broadcast, created on first use and forgotten when its last viewer leaves. */
  of(agent: ManagedAgent): AgentBroadcast;
  /** Open streams of one agent id, or of all. */
  viewerCount(agentId?: string): number;
  /** Open streams per agent id. */
  viewersByAgent(): Map<string, number>;
  /** Cuts every open stream of `agentId`; returns how many. */
  disconnect(agentId: string): number;
  /** How many broadcasts exist (each has viewers and one subscription to its agent). */
  readonly size: number;
}

/**
 * Creates the registry of broadcasts. Options are those of every broadcast.
 *
 * ## Example
 * ```ts
 * const broadcasts = createBroadcastRegistry({ keepaliveMs: 15_000, maxBufferedBytes: 1 << 20, retryMs: 2000, metrics });
 * broadcasts.of(agent).join(res, { lastEventId: 40 });
 * ```
 */
export function createBroadcastRegistry(options: Omit<AgentBroadcastOptions, 'onIdle'>): BroadcastRegistry {
  const broadcasts = new Map<ManagedAgent, AgentBroadcast>();
  const of = (agent: ManagedAgent) => {
    let b = broadcasts.get(agent);
    if (!b) {
      const created = createAgentBroadcast(agent, { ...options, onIdle: () => broadcasts.delete(agent) });
      broadcasts.set(agent, created);
      b = created;
    }
    return b;
  };
  const viewersByAgent = () => {
    const counts = new Map<string, number>();
    for (const b of broadcasts.values()) if (b.viewers.size > 0) counts.set(b.agent.id, (counts.get(b.agent.id) ?? 0) + b.viewers.size);
    return counts;
  };
  return {
    of,
    viewersByAgent,
    get size() {
      return broadcasts.size;
    },
    viewerCount(agentId) {
      let n = 0;
      for (const b of broadcasts.values()) if (agentId === undefined || b.agent.id === agentId) n += b.viewers.size;
      return n;
    },
    disconnect(agentId) {
      let n = 0;
      for (const b of [...broadcasts.values()]) if (b.agent.id === agentId) n += b.disconnectAll();
      return n;
    },
  };
}
