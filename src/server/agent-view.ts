import type { ManagedAgent } from '../agent/create-managed-agent';
import type { BroadcastRegistry } from './create-broadcast-registry';

/** The JSON of one agent in `GET /agents` and `GET /agents/:agentId`. */
export interface AgentView {
  id: string;
  sessionId: string | null;
  state: string;
  activeTools: string[];
  viewers: number;
  lastEventId: number;
  /** Whether the caller may act on it: the agent takes actions (not watch-only, not exited) and the caller holds `act`. */
  actionable: boolean;
  /** The agent itself takes no actions (e.g. the demo): nobody may act on it, whatever their rights. */
  watchOnly: boolean;
  /** Permission requests and questions waiting for an answer ("waiting for you" in the dashboard). */
  waiting: number;
  /** When the oldest of them was asked (ISO time), `null` when none waits. */
  waitingSince: string | null;
}

/** The view of `agent`, with its open streams counted by `broadcasts`. */
export function agentView(agent: ManagedAgent, broadcasts: Pick<BroadcastRegistry, 'viewerCount'>, callerMayAct = true): AgentView {
  const s = agent.status();
  const waiting = agent.waiting();
  return {
    id: agent.id,
    sessionId: s.sessionId,
    state: s.state,
    activeTools: s.activeTools,
    viewers: broadcasts.viewerCount(agent.id),
    lastEventId: Math.max(agent.history.latestSeq, agent.firstId - 1),
    actionable: callerMayAct && agent.actions !== undefined && !agent.exited,
    watchOnly: agent.actions === undefined,
    waiting: waiting.count,
    waitingSince: waiting.since === null ? null : new Date(waiting.since).toISOString(),
  };
}
