import { Subject } from 'rxjs';
import type { SequencedAgentEvent } from '../../src/protocol/agent-event';
import { toFrameBatches, type FrameBatch } from '../../src/server/frame-batches';

const file = (seq: number): SequencedAgentEvent => ({ type: 'file', data: { path: `/f${seq}` }, seq });

/** Subscribes to the batches of a Subject; `seqs()` lists each batch's ids. */
function batchesOf(flushIntervalMs: number) {
  const source = new Subject<SequencedAgentEvent>();
  const batches: FrameBatch[] = [];
  let completed = false;
  let error: unknown;
  const sub = toFrameBatches(source, { flushIntervalMs }).subscribe({
    next: (b) => batches.push(b),
    complete: () => (completed = true),
    error: (e) => (error = e),
  });
  return {
    source,
    batches,
    sub,
    seqs: () => batches.map((b) => b.frames.map((f) => f.seq)),
    get completed() {
      return completed;
    },
    get error() {
      return error;
    },
  };
}

describe('toFrameBatches', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('with flushIntervalMs 0 emits one batch per event-loop turn', () => {
    const t = batchesOf(0);
    t.source.next(file(1));
    t.source.next(file(2));
    expect(t.batches).toHaveLength(0); // not before the end of the turn
    jest.advanceTimersByTime(0);
    t.source.next(file(3));
    jest.advanceTimersByTime(0);
    t.source.next(file(4));
    jest.advanceTimersByTime(0);
    expect(t.seqs()).toEqual([[1, 2], [3], [4]]);
  });

  it('sends an event after a quiet window at the end of its turn, and the events within the next window in one batch', () => {
    const t = batchesOf(20);
    t.source.next(file(1));
    jest.advanceTimersByTime(0);
    expect(t.seqs()).toEqual([[1]]); // nothing waits for the window after a quiet spell
    for (let seq = 2; seq <= 5; seq++) {
      jest.advanceTimersByTime(4); // 4 events at 4 ms apart: all within one window
      t.source.next(file(seq));
    }
    expect(t.seqs()).toEqual([[1]]);
    jest.advanceTimersByTime(3); // 19 ms after the first batch
    expect(t.seqs()).toEqual([[1]]);
    jest.advanceTimersByTime(1); // 20 ms: the window closes
    expect(t.seqs()).toEqual([[1], [2, 3, 4, 5]]);
    jest.advanceTimersByTime(100); // quiet: the next event goes at the end of its turn again
    t.source.next(file(6));
    jest.advanceTimersByTime(0);
    expect(t.seqs()).toEqual([[1], [2, 3, 4, 5], [6]]);
  });

  it('bounds batches per second whatever the event rate', () => {
    const t = batchesOf(25);
    for (let ms = 0, seq = 1; ms < 1000; ms++) {
      t.source.next(file(seq++));
      t.source.next(file(seq++));
      jest.advanceTimersByTime(1);
    }
    jest.advanceTimersByTime(25);
    expect(t.batches.length).toBeLessThanOrEqual(1000 / 25 + 1);
    expect(t.batches.length).toBeGreaterThanOrEqual(1000 / 25 - 1);
    expect(t.batches.flatMap((b) => b.frames.map((f) => f.seq))).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
  });

  it('joins a batch once into one shared UTF-8 chunk, with its first and last ids', () => {
    const t = batchesOf(10);
    t.source.next({ type: 'file', data: { path: '/é' }, seq: 7 });
    t.source.next(file(8));
    jest.advanceTimersByTime(0);
    const [b] = t.batches;
    expect(Buffer.isBuffer(b!.chunk)).toBe(true);
    expect(b!.chunk.toString('utf8')).toBe(b!.frames.map((f) => f.frame).join(''));
    expect(b!.chunk.toString('utf8')).toContain('"path":"/é"');
    expect([b!.firstSeq, b!.lastSeq]).toEqual([7, 8]);
  });

  it('flushes the pending batch at once on completion (the exit does not wait for the window)', () => {
    const t = batchesOf(1000);
    t.source.next(file(1));
    jest.advanceTimersByTime(0);
    t.source.next({ type: 'status', data: { agentId: 'a', sessionId: null, state: 'exited', activeTools: [] }, seq: 2 });
    t.source.next({ type: 'exit', data: { reason: 'stopped' }, seq: 3 });
    t.source.complete();
    expect(t.seqs()).toEqual([[1], [2, 3]]);
    expect(t.completed).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('flushes the pending batch before an error', () => {
    const t = batchesOf(1000);
    t.source.next(file(1));
    jest.advanceTimersByTime(0);
    t.source.next(file(2));
    t.source.error(new Error('upstream gone'));
    expect(t.seqs()).toEqual([[1], [2]]);
    expect(t.error).toEqual(new Error('upstream gone'));
  });

  it('drops its pending batch and timer when unsubscribed', () => {
    const t = batchesOf(50);
    t.source.next(file(1));
    jest.advanceTimersByTime(0);
    t.source.next(file(2));
    expect(jest.getTimerCount()).toBe(1);
    t.sub.unsubscribe();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(100);
    expect(t.seqs()).toEqual([[1]]);
  });

  it.each([-1, 1.5, Number.NaN, 1001])('rejects flushIntervalMs %p with a RangeError naming the option', (bad) => {
    expect(() => toFrameBatches(new Subject<SequencedAgentEvent>(), { flushIntervalMs: bad })).toThrow(/flushIntervalMs/);
    expect(() => toFrameBatches(new Subject<SequencedAgentEvent>(), { flushIntervalMs: bad })).toThrow(RangeError);
  });
});
