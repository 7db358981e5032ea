/** An agent id another node's (or an exited) record already uses. */
export class AgentExistsError extends Error {
  readonly code = 'agent_exists';
  constructor(agentId: string) {
    super(`agent "${agentId}" already exists in the cluster`);
    this.name = 'AgentExistsError';
  }
}
