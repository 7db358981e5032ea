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
