// agent-stream/server: the Express router factory and the control server.
export {
  createAgentStreamRouter,
  type AgentStreamRouter,
  type AgentStreamRouterOptions,
  type RouterContext,
} from './create-agent-stream-router';
export { allowAll, checkAction, type Action, type Authorize, type AuthorizeResult } from './authorize';
export { createTokenAuth, type TokenAuth, type TokenAuthOptions } from './create-token-auth';
export { createOriginGuard, type OriginGuard, type OriginGuardOptions } from './create-origin-guard';
export { createRateLimiter, type RateLimiter, type RateLimiterOptions, type RateDecision } from './create-rate-limiter';
export { jsonErrorHandler } from './json-error-handler';
export { createControlServer, type ControlServer, type ControlServerOptions } from './create-control-server';
export { createStreamMetrics, type StreamMetrics } from './create-stream-metrics';
export { createPrometheusRegistry } from './create-prometheus-registry';
export { attachKiloAgent, type AttachKiloAgentOptions } from './attach-kilo-agent';
export { parseStreamQuery, type StreamQuery, type StreamQueryResult } from './parse-stream-query';
export { agentView, type AgentView } from './agent-view';
export { sendError, sendJson, methodNotAllowed, requireAgent, type ErrorCode } from './http';
export { silentLogger, type Logger } from './logger';
export { agentSpawnRoutes, type AgentSpawnRoutesOptions, type SpawnRequest, type SpawnedAgent } from './create-agent-spawn-routes';
export { createBroadcastRegistry, type BroadcastRegistry } from './create-broadcast-registry';
export { createAgentBroadcast, type AgentBroadcast, type AgentBroadcastOptions, type JoinOptions } from './create-agent-broadcast';
export { createViewer, type Viewer } from './create-viewer';
export { createFormatLane, type FormatLane, type InteropFormat } from './create-format-lane';
export { passesTypes } from './select-frames';
export { DEFAULT_FLUSH_BURST, DEFAULT_FLUSH_INTERVAL_MS, type Frame, type FrameBatch } from './frame-batches';
export { createStreamHandler, type StreamHandler, type StreamHandlerOptions } from './create-stream-handler';

export { createClientAddress, socketAddress, type ClientAddress } from './client-address';
export { createMemoryClaims, type RequestClaims } from './request-claims';
export type { AgentCluster, AgentRecord, ClusterViewerCounts, UpstreamFactory } from './agent-cluster';
export { withClusterViewers } from './with-cluster-viewers';
export { createSecurityHeaders, type SecurityHeaders, type SecurityHeadersOptions } from './create-security-headers';
export { createConnectionLimiter, type ConnectionLimiter, type ConnectionLimiterOptions } from './create-connection-limiter';
export { createRequestIsHttps, type RequestIsHttps } from './request-is-https';
export { createSessionCookies, type SessionCookies, type SessionCookiesOptions, type SessionRole } from './create-session-cookies';
