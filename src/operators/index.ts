// agent-stream/operators: the RxJS operators and the event types, for servers and browsers alike.
// Nothing here (nor anything it imports) may use a Node built-in: a test bundles it for the browser.
export * from '../protocol';
export type { KiloEvent, KiloEventType } from '../kilo/kilo-event-types';
export { ofType } from './of-type';
export { forSession } from './for-session';
export { toolCalls } from './tool-calls';
export { pendingRequests } from './pending-requests';
export { actionsTaken } from './actions-taken';
export { assistantText } from './assistant-text';
export { fileEdits } from './file-edits';
export { errorEvents } from './error-events';
export { coalesceText } from './coalesce-text';
export { withKeepalive, KEEPALIVE, type Keepalive } from './with-keepalive';
export { toSseFrames } from './to-sse-frames';
export { toAgentEvents } from './to-agent-events';
