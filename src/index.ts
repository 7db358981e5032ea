// agent-stream core: event types, the kilo consumer, ManagedAgent, operators, SSE encoding,
// tickets. Must not import express.
export type * from './kilo/kilo-event-types';
export { parseKiloEvent, KNOWN_KILO_EVENT_TYPES, type KiloParseResult } from './kilo/parse-kilo-event';
export { KiloParseError, type KiloParseErrorCode } from './kilo/kilo-parse-error';
export { sessionIdOf } from './kilo/session-id-of';
export { kiloEvents, type KiloEventsOptions, type KiloDiagnostic } from './kilo/kilo-events';
export type { FetchLike as KiloFetchLike, FetchLikeResponse as KiloFetchLikeResponse } from './kilo/open-event-stream';
export { kiloSessionEvents, type KiloSessionEventsOptions, type KiloRefillDiagnostic } from './kilo/kilo-session-events';
export { fetchKiloLog, fetchKiloSessionStatus, type KiloLogEntry, type KiloHttp } from './kilo/fetch-kilo-log';
export { KiloUpstreamError, type KiloUpstreamErrorCode } from './kilo/kilo-upstream-error';

export * from './protocol';
export { createAgentEventMapper, type AgentEventMapper, type AgentEventMapperOptions } from './agent/create-agent-event-mapper';
export {
  createEventHistory,
  type EventHistory,
  type EventHistoryOptions,
  type HistoryEntry,
  type HistorySlice,
} from './agent/create-event-history';
export {
  createManagedAgent,
  type AgentActions,
  type ManagedAgent,
  type ManagedAgentOptions,
  type ManagedAgentDiagnostic,
} from './agent/create-managed-agent';
export { createAgentRegistry, type AgentRegistry, type AgentRegistryOptions } from './agent/create-agent-registry';
export { truncateUtf8, MAX_TOOL_OUTPUT_BYTES } from './agent/truncate-output';

// The operators (also alone, for browsers: agent-stream/operators).
export * from './operators';

export { encodeSseMessage, encodeSseComment, encodeSseRetry, SSE_KEEPALIVE, type SseMessage } from './sse/encode-sse';
export { encodeAgentEvent } from './sse/encode-agent-event';
export { SseEncodeError, type SseEncodeErrorCode } from './sse/sse-encode-error';

export { createMemoryTicketStore, type MemoryTicketStoreOptions } from './tickets/create-memory-ticket-store';
export { TicketCapacityError, type TicketStore, type IssuedTicket, type TicketCheck, type IssueOptions } from './tickets/ticket-store';

// The ecosystem formats (docs/interop.md): pure encoders from our events to AG-UI events and AI SDK
// UI message stream chunks (the stream route's `format=ag-ui|ai-sdk` runs them once per agent).
export { createAgUiEncoder, type AgUiEncoder, type AgUiEncoderOptions } from './interop/create-ag-ui-encoder';
export { createAiSdkEncoder, type AiSdkEncoder, type AiSdkEncoderOptions } from './interop/create-ai-sdk-encoder';
export type { AgUiEvent, AgUiMessage, AgUiToolCall, AgUiCustomName, AgUiState } from './interop/ag-ui-types';
export type { AiSdkChunk, AiSdkFinishReason, AiSdkDataName } from './interop/ai-sdk-types';
