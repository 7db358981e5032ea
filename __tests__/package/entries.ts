/** Every entry point of the package, with one function it must export. */
export const ENTRIES: Array<[string, string]> = [
  ['agent-stream', 'createManagedAgent'],
  ['agent-stream/server', 'createControlServer'],
  ['agent-stream/client', 'createAgentStreamClient'],
  ['agent-stream/operators', 'ofType'],
  ['agent-stream/react', 'AgentStream'],
  ['agent-stream/redis', 'createRedisAgentCluster'],
  ['agent-stream/kilo', 'launchKilo'],
  ['agent-stream/demo', 'createDemoKiloServer'],
  ['agent-stream/testing', 'createFakeKiloServer'],
];
