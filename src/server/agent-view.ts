import type { ManagedAgent } from '../agent/create-managed-agent';
import type { StreamMetrics } from './create-stream-metrics';

/** The JSON of one agent in `GET /agents` and `GET /agents/:agentId`. */
export interface AgentView {
  id: string;
  sessionId: string | null;
  state: string;
  activeTools: string[];
  viewers: number;
  lastEventId: number;
}

export function agentView(agent: ManagedAgent, metrics: StreamMetrics): AgentView {
  const s = agent.status();
  return { id: agent.id, sessionId: s.sessionId, state: s.state, activeTools: s.activeTools, viewers: metrics.viewerCount(agent.id), lastEventId: agent.history.latestSeq };
}
