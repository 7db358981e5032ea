import type { ManagedAgent } from './create-managed-agent';
import { durationOption } from '../options/number-option';

export interface AgentRegistryOptions {
  /** How long an exited agent stays listed so late viewers can replay it. Default 5 min. */
  retentionMs?: number;
}

/** Holds the ManagedAgents of a control server by id. */
export interface AgentRegistry {
  /** Adds an agent; throws when the id is taken. Exited agents are removed after `retentionMs`. */
  add(agent: ManagedAgent): ManagedAgent;
  get(id: string): ManagedAgent | undefined;
  list(): ManagedAgent[];
  remove(id: string): boolean;
  readonly size: number;
  /** Stops every agent with `reason` and forgets them all. */
  stopAll(reason?: string): void;
}

/**
 * Creates an agent registry. Retention timers are unref'd: they never keep the process alive.
 *
 * ## Example
 * ```ts
 * const registry = createAgentRegistry({ retentionMs: 60_000 });
 * registry.add(createManagedAgent({ agentId: 'demo', events }));
 * ```
 */
export function createAgentRegistry(options: AgentRegistryOptions = {}): AgentRegistry {
  const retentionMs = options.retentionMs ?? 5 * 60_000;
  durationOption('createAgentRegistry', 'retentionMs', retentionMs, true);
  const agents = new Map<string, ManagedAgent>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const remove = (id: string) => {
    const t = timers.get(id);
    if (t) clearTimeout(t);
    timers.delete(id);
    return agents.delete(id);
  };

  return {
    add(agent) {
      if (agents.has(agent.id)) throw new TypeError(`createAgentRegistry: agent "${agent.id}" is already registered (ids are unique)`);
      agents.set(agent.id, agent);
      agent.exit$.subscribe(() => {
        if (agents.get(agent.id) !== agent) return;
        const t = setTimeout(() => {
          timers.delete(agent.id);
          if (agents.get(agent.id) === agent) agents.delete(agent.id);
        }, retentionMs);
        t.unref?.();
        timers.set(agent.id, t);
      });
      return agent;
    },
    get: (id) => agents.get(id),
    list: () => [...agents.values()],
    remove,
    get size() {
      return agents.size;
    },
    stopAll(reason = 'shutdown') {
      for (const a of agents.values()) a.stop(reason);
      for (const id of [...agents.keys()]) remove(id);
    },
  };
}
