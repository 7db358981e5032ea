// agent-stream/client: the browser client. No Node built-ins: only EventSource, fetch, URL, timers.
export * from '../protocol';
export { createAgentStreamClient, type AgentStreamClient } from './create-agent-stream-client';
export { agentStream$, type AgentStreamObservableOptions } from './agent-stream-observable';
export { AgentStreamClientError, type AgentStreamClientErrorCode } from './agent-stream-client-error';
export { computeBackoffDelay, type BackoffOptions } from './compute-backoff-delay';
export { fetchTicket } from './fetch-ticket';
export {
  createAgentActions,
  AgentActionError,
  type AgentActions,
  type AgentActionsOptions,
  type PermissionResponse,
} from './create-agent-actions';
export { watchWakeEvents, type WakeReason } from './watch-wake-events';
export type {
  AgentStreamClientOptions,
  ClientAgentEvent,
  ClientDiagnostic,
  ConnectionState,
  ConnectionStateInfo,
  EventSourceLike,
  EventSourceConstructor,
  FetchLike,
  StreamTicket,
} from './client-options';
