import { Observable } from 'rxjs';
import type { AgentEventType, SequencedAgentEvent } from '../protocol/agent-event';
import { encodeAgentEvent } from '../sse/encode-agent-event';
import { integerOption } from '../options/number-option';

/** One encoded event. */
export interface Frame {
  seq: number;
  type: AgentEventType;
  frame: string;
}

/** The events of one frame window (or one event-loop turn), each encoded once and all joined once, for every viewer. */
export interface FrameBatch {
  frames: Frame[];
  /** `frames` joined and encoded to UTF-8 once: what every unfiltered viewer writes, the same bytes for all. */
  chunk: Buffer;
  firstSeq: number;
  lastSeq: number;
}

export interface FrameBatchOptions {
  /**
   * The frame window: after a batch (counted from when its subscribers were done with it), the
   * events of the next `flushIntervalMs` go out together in one batch, so a viewer gets at most
   * one write per window whatever the event rate. An event after a quiet window goes out at the
   * end of its event-loop turn. 0: one batch per turn. Default 0.
   */
  flushIntervalMs?: number;
}

/**
 * The default frame window of the broadcasts (the router, the control server, the CLI):
 * chosen by measurement, see bench/results.md and docs/protocol.md §4.2.
 */
export const DEFAULT_FLUSH_INTERVAL_MS = 16;

/** A non-negative integer number of milliseconds, or the `RangeError` naming `name`. */
export function checkFlushIntervalMs(name: string, v: number): number {
  return integerOption(name, 'flushIntervalMs', v, 0, 1000);
}

/**
 * Encodes a stream of events and emits them in batches: the events of one event-loop turn
 * (`setImmediate` after the first: everything the upstream delivered in this turn's I/O) and,
 * with `flushIntervalMs`, of one frame window, so each viewer gets one write per batch. The
 * pending batch is flushed at once on completion or error, so nothing waits at exit.
 *
 * ## Example
 * ```ts
 * toFrameBatches(agent.events$, { flushIntervalMs: 16 }).subscribe((b) => res.write(b.chunk));
 * ```
 */
export function toFrameBatches(source: Observable<SequencedAgentEvent>, options: FrameBatchOptions = {}): Observable<FrameBatch> {
  const windowMs = checkFlushIntervalMs('toFrameBatches', options.flushIntervalMs ?? 0);
  return new Observable<FrameBatch>((subscriber) => {
    let frames: Frame[] = [];
    let immediate: ReturnType<typeof setImmediate> | undefined;
    let timeout: ReturnType<typeof setTimeout> | undefined;
    /** When the window after the last batch closes (performance.now() ms). */
    let windowEnd = 0;
    const cancel = () => {
      if (immediate) clearImmediate(immediate);
      if (timeout) clearTimeout(timeout);
      immediate = timeout = undefined;
    };
    const flush = () => {
      cancel();
      if (frames.length === 0) return;
      const batch = frames;
      frames = [];
      let text = '';
      for (const f of batch) text += f.frame;
      subscriber.next({ frames: batch, chunk: Buffer.from(text), firstSeq: batch[0]!.seq, lastSeq: batch[batch.length - 1]!.seq });
      // Counted from when the batch was written to every viewer: with so many viewers that writing
      // takes longer than the window, batches still leave the server time for anything else.
      if (windowMs > 0) windowEnd = performance.now() + windowMs;
    };
    const schedule = () => {
      const wait = windowMs > 0 ? windowEnd - performance.now() : 0;
      if (wait > 0) timeout = setTimeout(flush, Math.ceil(wait));
      else immediate = setImmediate(flush);
    };
    const sub = source.subscribe({
      next(e) {
        if (frames.length === 0) schedule();
        frames.push({ seq: e.seq, type: e.type, frame: encodeAgentEvent(e) });
      },
      error(err) {
        flush();
        subscriber.error(err);
      },
      complete() {
        flush();
        subscriber.complete();
      },
    });
    return () => {
      sub.unsubscribe();
      cancel();
      frames = [];
    };
  });
}
