import type { AgentEventType } from '../protocol/agent-event';
import type { ClientAgentEvent } from './client-options';

/** What one received frame amounts to. `seq` is set when the frame carried a new id. */
export type FrameResult =
  { kind: 'event'; event: ClientAgentEvent; seq?: number } | { kind: 'duplicate' } | { kind: 'invalid'; reason: string; seq?: number };

/** Reads the frames of ONE connection; see {@link createFrameReader}. */
export type FrameReader = (type: AgentEventType, message: { data?: unknown; lastEventId?: string }, lastId: number | null) => FrameResult;

/** Frames the server sends without an `id:` line (docs/protocol.md §3). */
const ID_LESS: ReadonlySet<string> = new Set(['status', 'gap', 'reset']);

/**
 * A reader for the frames of one EventSource connection: turns a frame into an event with its
 * `seq`, or tells it is a duplicate (id not above `lastId`) or invalid (bad id, data not JSON).
 * A browser reports, for a frame without an `id:` line, the last id seen on the connection, so a
 * repeated id means "no id": allowed for `status`, `gap` and `reset`, a duplicate for anything else.
 *
 * ## Example
 * ```ts
 * const read = createFrameReader();
 * read('file', { data: '{"path":"a.ts"}', lastEventId: '4' }, 3); // {kind: 'event', seq: 4, ...}
 * ```
 */
export function createFrameReader(): FrameReader {
  let previousId = '';
  return (type, message, lastId) => {
    const rawId = typeof message.lastEventId === 'string' ? message.lastEventId : '';
    const repeated = rawId !== '' && rawId === previousId;
    previousId = rawId;
    let seq: number | undefined;
    if (repeated) {
      if (!ID_LESS.has(type)) return { kind: 'duplicate' };
    } else if (rawId !== '') {
      seq = Number(rawId);
      if (!/^\d+$/.test(rawId) || !Number.isSafeInteger(seq)) {
        return { kind: 'invalid', reason: `a ${type} frame with a bad id ${JSON.stringify(rawId)}` };
      }
      if (lastId !== null && seq <= lastId) return { kind: 'duplicate' };
    }
    let data: unknown;
    try {
      data = JSON.parse(String(message.data));
    } catch {
      return { kind: 'invalid', reason: `a ${type} frame whose data is not JSON`, seq };
    }
    const event = (seq === undefined ? { type, data } : { type, data, seq }) as ClientAgentEvent;
    return { kind: 'event', event, seq };
  };
}
