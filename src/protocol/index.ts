// The wire contract (docs/protocol.md, docs/events.md): the events a viewer receives and the rule
// that folds them into a view. The client, React and the dashboard share it with the server.
export type * from './agent-event';
export { AGENT_EVENT_TYPES, isAgentEventType } from './agent-event';
export { createFoldedView, foldAgentEvent, type FoldedView, type FoldedPart } from './fold-agent-events';
export { STREAM_FORMATS, isStreamFormat, type StreamFormat } from './stream-format';
