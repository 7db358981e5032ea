// agent-stream/server: the Express router factory and the control server.
export { createAgentStreamRouter, type AgentStreamRouterOptions } from './create-agent-stream-router';
export { createControlServer, type ControlServer, type ControlServerOptions } from './create-control-server';
export { createStreamMetrics, type StreamMetrics } from './create-stream-metrics';
export { createPrometheusRegistry } from './create-prometheus-registry';
export { attachKiloAgent, type AttachKiloAgentOptions } from './attach-kilo-agent';
export { parseStreamQuery, type StreamQuery, type StreamQueryResult } from './parse-stream-query';
export { agentView, type AgentView } from './agent-view';
export { sendError, type ErrorCode } from './send-error';
export { silentLogger, type Logger } from './logger';
export { agentSpawnRoutes, type AgentSpawnRoutesOptions, type SpawnRequest, type SpawnedAgent } from './create-agent-spawn-routes';
export { createBroadcastRegistry, type BroadcastRegistry } from './create-broadcast-registry';
export { createAgentBroadcast, type AgentBroadcast, type AgentBroadcastOptions, type JoinOptions } from './create-agent-broadcast';
export { createViewer, type Viewer } from './create-viewer';
export { passesTypes } from './select-frames';
export { DEFAULT_FLUSH_INTERVAL_MS } from './frame-batches';
export { createStreamHandler, type StreamHandler, type StreamHandlerOptions } from './create-stream-handler';

// Running real kilo serve agents.
export { launchKilo, type KiloProcess } from '../process/launch-kilo';
export type { LaunchKiloOptions } from '../process/launch-kilo-options';
export { KiloLaunchError } from '../process/kilo-launch-error';
export {
  createKiloSessionClient,
  type KiloSessionClient,
  type KiloSessionClientOptions,
  type KiloModelRef,
} from '../process/kilo-session-client';
export { KiloClientError } from '../process/kilo-client-error';
export { spawnKiloAgent, type SpawnKiloAgentOptions, type SpawnedKiloAgent } from '../process/spawn-kilo-agent';
export { resolveKiloBinary } from '../process/resolve-kilo-binary';
