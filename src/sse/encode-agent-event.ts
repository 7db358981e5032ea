import type { AgentEvent, SequencedAgentEvent } from '../protocol/agent-event';
import { encodeSseMessage } from './encode-sse';

const cache = new WeakMap<object, string>();

/**
 * The SSE frame of one agent event: `id: seq` (when sequenced), `event: type`, `data: json`.
 * Frames of sequenced events are cached per event object, so an event fanned out to many viewers
 * (and replayed from history) is serialized once.
 */
export function encodeAgentEvent(event: AgentEvent | SequencedAgentEvent): string {
  const hit = cache.get(event);
  if (hit !== undefined) return hit;
  const seq = (event as Partial<SequencedAgentEvent>).seq;
  // JSON.stringify never emits a raw line break, so data is always one line.
  const frame = encodeSseMessage({ id: seq, event: event.type, data: JSON.stringify(event.data) });
  if (seq !== undefined) cache.set(event, frame);
  return frame;
}
