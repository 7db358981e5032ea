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
   * The write budget's burst: how many batches may go out back to back, each at the end of its
   * own turn, before the window applies. The budget refills one batch per `flushIntervalMs`
   * (counted while nothing is being written), so while the event rate stays under one per window
   * every event goes out at once, and only a faster stream is held to one batch per window.
   * 1: one batch per window, always. Default 1.
   */
  flushBurst?: number;
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

/** The default write budget's burst of the broadcasts: batches that go out at once before the frame window applies (it refills one per window). */
export const DEFAULT_FLUSH_BURST = 4;

/** A whole number of batches from 1 to 1000, or the `RangeError` naming `name`. */
export function checkFlushBurst(name: string, v: number): number {
  return integerOption(name, 'flushBurst', v, 1, 1000);
}

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
  const burst = checkFlushBurst('toFrameBatches', options.flushBurst ?? 1);
  const timers = options.scheduler ? timersOf(options.scheduler) : NODE_TIMERS;
  return new Observable<FrameBatch>((subscriber) => {
    let frames: Frame[] = [];
    let pending: (() => void) | undefined;
    /** The write budget: batches that may go out at once (up to `burst`), as of `budgetAt`. */
    let budget = burst;
    let budgetAt = timers.now();
    /** The budget now: one more batch per window since `budgetAt`. */
    const refill = () => {
      const now = timers.now();
      budget = Math.min(burst, budget + (now - budgetAt) / windowMs);
      budgetAt = now;
    };
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
      if (windowMs > 0) {
        refill();
        budget -= 1;
      }
      subscriber.next({ frames: batch, chunk: Buffer.from(text), firstSeq: batch[0]!.seq, lastSeq: batch[batch.length - 1]!.seq });
      // The budget refills from when the batch was written to every viewer: with so many viewers
      // that writing takes longer than the window, batches still leave the server time for
      // anything else.
      if (windowMs > 0) budgetAt = timers.now();
    };
    const schedule = () => {
      let wait = 0;
      if (windowMs > 0) {
        refill();
        wait = budget >= 1 ? 0 : (1 - budget) * windowMs;
      }
      // Whole milliseconds, not rounded up by a float's last bit (1/3 + 1/3 + 1/3 < 1).
      const ms = Math.ceil(wait - 1e-6);
      pending = ms > 0 ? timers.after(ms, flush) : timers.endOfTurn(flush);
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
