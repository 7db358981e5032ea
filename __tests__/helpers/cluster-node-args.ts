/** What one CLI node of a multi-node test serves: one agent over one kilo session, sharing Redis. */
export interface ClusterNodeOptions {
  kiloUrl: string;
  sessionId: string;
  agentId: string;
  redisUrl: string;
  nodeId: string;
  /** The node's own loopback address (a killed node's port then cannot go to another test's server). */
  host?: string;
  /** Further `serve` flags, after the ones above. */
  extra?: string[];
}

/** `agent-stream serve` arguments for one node of a cluster test, on a port of its own choosing. */
export function clusterNodeArgs(o: ClusterNodeOptions): string[] {
  return [
    'serve',
    ...['--kilo-url', o.kiloUrl, '--session', o.sessionId, '--agent-id', o.agentId],
    ...['--host', o.host ?? '127.0.0.1', '--port', '0'],
    ...['--redis-url', o.redisUrl, '--node-id', o.nodeId],
    ...(o.extra ?? []),
  ];
}
