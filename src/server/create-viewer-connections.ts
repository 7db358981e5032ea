import type { ServerResponse } from 'node:http';

/** The open stream responses per agent, so an operator can cut them (`disconnect`). */
export interface ViewerConnections {
  add(agentId: string, res: ServerResponse): void;
  delete(agentId: string, res: ServerResponse): void;
  /** Destroys every open stream of `agentId`; returns how many. Clients resume with a new ticket. */
  disconnect(agentId: string): number;
}

export function createViewerConnections(): ViewerConnections {
  const byAgent = new Map<string, Set<ServerResponse>>();
  return {
    add(agentId, res) {
      let set = byAgent.get(agentId);
      if (!set) byAgent.set(agentId, (set = new Set()));
      set.add(res);
    },
    delete(agentId, res) {
      const set = byAgent.get(agentId);
      set?.delete(res);
      if (set?.size === 0) byAgent.delete(agentId);
    },
    disconnect(agentId) {
      const set = byAgent.get(agentId);
      if (!set) return 0;
      const all = [...set];
      for (const res of all) res.destroy();
      return all.length;
    },
  };
}
