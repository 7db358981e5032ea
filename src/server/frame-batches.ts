import { Observable, type SchedulerLike } from 'rxjs';
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
  /**
   * Where the batches are timed. Default: Node's own timers (`setImmediate` for the end of the
   * turn, `setTimeout` for the window, `performance.now`). An RxJS scheduler (e.g. the
   * `TestScheduler` of a marble spec) runs the end of the turn as a 0 ms action.
   */
  scheduler?: SchedulerLike;
}

/** The three timers a batcher needs; each returns its cancel. */
interface BatchTimers {
  now(): number;
  endOfTurn(fn: () => void): () => void;
  after(ms: number, fn: () => void): () => void;
}

const NODE_TIMERS: BatchTimers = {
  now: () => performance.now(),
  endOfTurn(fn) {
    const h = setImmediate(fn);
    return () => clearImmediate(h);
  },
  after(ms, fn) {
    const h = setTimeout(fn, ms);
    return () => clearTimeout(h);
  },
};

const timersOf = (scheduler: SchedulerLike): BatchTimers => ({
  now: () => scheduler.now(),
  endOfTurn: (fn) => {
    const s = scheduler.schedule(fn);
    return () => s.unsubscribe();
  },
  after: (ms, fn) => {
    const s = scheduler.schedule(fn, ms);
    return () => s.unsubscribe();
  },
});

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
  const timers = options.scheduler ? timersOf(options.scheduler) : NODE_TIMERS;
  return new Observable<FrameBatch>((subscriber) => {
    let frames: Frame[] = [];
    let pending: (() => void) | undefined;
    /** When the window after the last batch closes (`timers.now()` ms). */
    let windowEnd = 0;
    const cancel = () => {
      pending?.();
      pending = undefined;
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
      if (windowMs > 0) windowEnd = timers.now() + windowMs;
    };
    const schedule = () => {
      const wait = windowMs > 0 ? windowEnd - timers.now() : 0;
      pending = wait > 0 ? timers.after(Math.ceil(wait), flush) : timers.endOfTurn(flush);
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
