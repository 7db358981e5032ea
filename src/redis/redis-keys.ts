/** The Redis keys of one deployment (one `prefix`), in one place. */
export interface RedisKeys {
  /** SET of the agent ids. */
  readonly agents: string;
  /** STRING: an agent's record (JSON). */
  record(agentId: string): string;
  /** STREAM: an agent's events, entry id `<seq>-0`, fields `e` (the event's JSON) and `p` (the id before it). */
  events(agentId: string): string;
  /** STRING: an agent's retained state (JSON), written by its owner. */
  snapshot(agentId: string): string;
  /** STRING: the node that consumes the agent's upstream, with a TTL (the lease). */
  lease(agentId: string): string;
  /** STRING: who is answering one of the agent's requests (set once: the first click wins). */
  claim(agentId: string, requestId: string): string;
  /** STRING: a node's open streams per agent (JSON), with a TTL (refreshed every poll while the node lives). */
  viewers(nodeId: string): string;
  /** SORTED SET: the nodes that published viewer counts, scored by when they last did (ms). */
  readonly viewerNodes: string;
  /** STREAM: commands to the agent's owner (record an action, note an actor, stop), consumed by its owner's consumer group. */
  commands(agentId: string): string;
  /** STRING: a node's liveness, with a TTL its node renews (the agents whose kilo it holds end when it expires). */
  node(nodeId: string): string;
  /** Pub/sub channel of actions relayed to the node holding an agent's kilo, and their answers. */
  readonly relay: string;
}

/**
 * The keys under `prefix` (default `agent-stream:`).
 *
 * ## Example
 * ```ts
 * redisKeys('agent-stream:').events('a1'); // 'agent-stream:agent:a1:events'
 * ```
 */
export function redisKeys(prefix = 'agent-stream:'): RedisKeys {
  const agent = (id: string) => `${prefix}agent:${id}`;
  return {
    agents: `${prefix}agents`,
    record: agent,
    events: (id) => `${agent(id)}:events`,
    snapshot: (id) => `${agent(id)}:snapshot`,
    lease: (id) => `${agent(id)}:lease`,
    claim: (id, requestId) => `${agent(id)}:claim:${requestId}`,
    viewers: (nodeId) => `${prefix}viewers:${nodeId}`,
    viewerNodes: `${prefix}viewer-nodes`,
    commands: (id) => `${agent(id)}:commands`,
    node: (nodeId) => `${prefix}node:${nodeId}`,
    relay: `${prefix}relay`,
  };
}
