import { encodeAgentEvent } from '../sse/encode-agent-event';
import type { AgentEventType, GapData, SequencedAgentEvent } from '../protocol/agent-event';
import { integerOption } from '../options/number-option';

/** One retained state: the latest event of its key, encoded once (lazily for streamed text). */
export interface HistoryEntry {
  readonly seq: number;
  readonly type: AgentEventType;
  /** The event as a joining viewer gets it (text and reasoning with their whole `text`). */
  readonly event: SequencedAgentEvent;
  /** Its SSE frame, encoded at most once. */
  readonly frame: string;
}

/** What a viewer resuming after `after` gets from the retained history. */
export interface HistorySlice {
  /** Set when state that changed after `after` was dropped by the bounds. */
  gap: GapData | null;
  events: SequencedAgentEvent[];
}

export interface EventHistoryOptions {
  /** Retained entries at most. Default 10 000. */
  historySize?: number;
  /** Encoded bytes retained at most (estimated until a frame is encoded). Default 8 MiB. */
  historyBytes?: number;
}

/** The retained state of one agent, for late viewers and resume (docs/protocol.md §3). */
export interface EventHistory {
  /**
   * Retains `event`, replacing the entry of the same state (a text/reasoning part, a tool call,
   * the status). For a `delta`, `wholeText` is the part's text so far (else the previous entry's
   * text plus the delta).
   */
  push(event: SequencedAgentEvent, wholeText?: string): void;
  /** The entries, oldest first; a live iterator: it visits entries retained while it runs. */
  entries(): IterableIterator<HistoryEntry>;
  /** Events with `seq > after`, oldest first; `after` undefined: a fresh viewer (never a gap). */
  since(after?: number): HistorySlice;
  /** The id of the newest event (0 before the first). */
  readonly latestSeq: number;
  /** The id of the oldest retained entry (0 when empty). */
  readonly oldestSeq: number;
  /** The highest id dropped by the bounds (0 when none): a resume below it has a gap. */
  readonly droppedSeq: number;
  /**
   * Takes what was dropped before this history began as dropped here too (raises `droppedSeq` to
   * `seq`): a replica started from a snapshot answers an old resume with the same `gap` as the
   * history the snapshot was taken from.
   */
  noteDropped(seq: number): void;
  readonly size: number;
  /** Encoded bytes retained (estimated for text not encoded yet). */
  readonly bytes: number;
}

interface Entry extends HistoryEntry {
  bytes: number;
}

const keyOf = (e: SequencedAgentEvent): string | number => {
  switch (e.type) {
    case 'text':
    case 'reasoning':
      return `p:${e.data.partId}`;
    case 'tool':
      return `t:${e.data.callId}`;
    case 'status':
      return 's';
    case 'permission':
    case 'question':
      return `r:${e.data.requestId}`;
    default:
      return e.seq;
  }
};

/** An entry whose frame is encoded on first read (a streamed part changes on every token). */
function lazyEntry(event: SequencedAgentEvent, estimate: number, onEncoded: (e: Entry, bytes: number) => void): Entry {
  let frame: string | undefined;
  const entry: Entry = {
    seq: event.seq,
    type: event.type,
    event,
    bytes: estimate,
    get frame() {
      if (frame === undefined) {
        frame = encodeAgentEvent(event);
        onEncoded(entry, Buffer.byteLength(frame));
      }
      return frame;
    },
  };
  return entry;
}

/**
 * Creates the retained history of one agent: the latest state per text/reasoning part, per tool
 * call and of the status, every other event as it came; bounded by `historySize` entries and
 * `historyBytes`, dropping the oldest state first.
 *
 * ## Example
 * ```ts
 * const history = createEventHistory({ historyBytes: 1 << 20 });
 * history.push({ type: 'text', seq: 1, data: { messageId: 'm', partId: 'p', role: 'assistant', text: 'Hel' } });
 * history.push({ type: 'text', seq: 2, data: { messageId: 'm', partId: 'p', role: 'assistant', delta: 'lo' } });
 * history.since().events; // [{ type: 'text', seq: 2, data: { …, text: 'Hello' } }]
 * ```
 */
export function createEventHistory(options: EventHistoryOptions = {}): EventHistory {
  const maxSize = integerOption('createEventHistory', 'historySize', options.historySize ?? 10_000);
  const maxBytes = integerOption('createEventHistory', 'historyBytes', options.historyBytes ?? 8 * 1024 * 1024);
  const map = new Map<string | number, Entry>();
  let bytes = 0;
  let latestSeq = 0;
  let droppedSeq = 0;

  const onEncoded = (e: Entry, exact: number) => {
    if (map.get(keyOf(e.event)) === e) bytes += exact - e.bytes;
    e.bytes = exact;
  };

  const entryOf = (event: SequencedAgentEvent, previous: Entry | undefined, wholeText: string | undefined): Entry => {
    if ((event.type === 'text' || event.type === 'reasoning') && event.data.delta !== undefined) {
      const before = previous?.event.type === event.type ? (previous.event.data as { text?: string }).text : undefined;
      const text = wholeText ?? (before ?? '') + event.data.delta;
      const { delta: _delta, ...rest } = event.data;
      const whole = { type: event.type, seq: event.seq, data: { ...rest, text } } as SequencedAgentEvent;
      const estimate =
        previous && wholeText !== undefined ? previous.bytes + Buffer.byteLength(event.data.delta) + 1 : Buffer.byteLength(text) + 160;
      return lazyEntry(whole, estimate, onEncoded);
    }
    const frame = encodeAgentEvent(event);
    return { seq: event.seq, type: event.type, event, frame, bytes: Buffer.byteLength(frame) };
  };

  const oldestSeq = () => {
    const first = map.values().next();
    return first.done ? 0 : first.value.seq;
  };

  return {
    push(event, wholeText) {
      const key = keyOf(event);
      const previous = map.get(key);
      if (previous) {
        map.delete(key);
        bytes -= previous.bytes;
      }
      const entry = entryOf(event, previous, wholeText);
      map.set(key, entry);
      bytes += entry.bytes;
      latestSeq = event.seq;
      while ((map.size > maxSize || bytes > maxBytes) && map.size > 1) {
        const [oldestKey, oldest] = map.entries().next().value as [string | number, Entry];
        map.delete(oldestKey);
        bytes -= oldest.bytes;
        if (oldest.seq > droppedSeq) droppedSeq = oldest.seq;
      }
    },
    entries: () => map.values(),
    noteDropped(seq) {
      if (Number.isSafeInteger(seq) && seq > droppedSeq) droppedSeq = seq;
    },
    since(after) {
      const gap = after !== undefined && droppedSeq > after ? { after, oldest: oldestSeq() } : null;
      const events: SequencedAgentEvent[] = [];
      for (const e of map.values()) if (after === undefined || e.seq > after) events.push(e.event);
      return { gap, events };
    },
    get latestSeq() {
      return latestSeq;
    },
    get oldestSeq() {
      return oldestSeq();
    },
    get droppedSeq() {
      return droppedSeq;
    },
    get size() {
      return map.size;
    },
    get bytes() {
      return bytes;
    },
  };
}
