import type { Express } from 'express';
import type { AgentRegistry } from '../agent/create-agent-registry';
import type { StreamMetrics } from '../server/create-stream-metrics';
import type { Logger } from '../server/logger';

/** The agent-spawning routes of `--spawn` (`POST /agents`, `POST /agents/:agentId/message`). */
export function spawnRoutes(_options: { logger: Logger }): (app: Express, ctx: { registry: AgentRegistry; metrics: StreamMetrics }) => void {
  return () => {
    throw new Error('--spawn is not available yet');
  };
}
