import type { GapData, SequencedAgentEvent } from './agent-event';

/** What a viewer resuming after `after` gets from the retained history. */
export interface HistorySlice {
  /** Set when events between `after` and the oldest retained one were dropped. */
  gap: GapData | null;
  events: SequencedAgentEvent[];
}

/** The last `capacity` events of one agent, for late viewers and resume. */
export interface EventHistory {
  push(event: SequencedAgentEvent): void;
  /** Events with `seq > after`, oldest first; `after = 0` asks for everything retained. */
  since(after: number): HistorySlice;
  /** The id of the newest event (0 before the first). */
  readonly latestSeq: number;
  /** The id of the oldest retained event (0 when empty). */
  readonly oldestSeq: number;
  readonly size: number;
}

/** A ring buffer of sequenced events (default capacity 1000, SPEC §4). */
export function createEventHistory(capacity = 1000): EventHistory {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  const ring: SequencedAgentEvent[] = new Array(capacity);
  let start = 0;
  let size = 0;
  const at = (i: number) => ring[(start + i) % capacity]!;
  return {
    push(event) {
      if (size < capacity) {
        ring[(start + size) % capacity] = event;
        size++;
      } else {
        ring[start] = event;
        start = (start + 1) % capacity;
      }
    },
    since(after) {
      if (size === 0) return { gap: null, events: [] };
      const oldest = at(0).seq;
      const gap = after < oldest - 1 ? { after, oldest } : null;
      const events: SequencedAgentEvent[] = [];
      // seqs are contiguous, so the first wanted index is computed, not searched.
      for (let i = Math.max(0, after - oldest + 1); i < size; i++) events.push(at(i));
      return { gap, events };
    },
    get latestSeq() {
      return size === 0 ? 0 : at(size - 1).seq;
    },
    get oldestSeq() {
      return size === 0 ? 0 : at(0).seq;
    },
    get size() {
      return size;
    },
  };
}
