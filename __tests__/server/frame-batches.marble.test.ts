// toFrameBatches in RxJS's operator-spec style: aligned e1 / e1subs / expected, on the
// TestScheduler (passed as the batcher's scheduler, so the end of a turn is a 0 ms action and
// the frame window is virtual time).
import type { TestScheduler } from 'rxjs/testing';
import type { SequencedAgentEvent } from '../../src/protocol/agent-event';
import { encodeAgentEvent } from '../../src/sse/encode-agent-event';
import { toFrameBatches, type FrameBatch } from '../../src/server/frame-batches';
import { createTestScheduler } from '../../src/testing/marbles';

const ev: Record<string, SequencedAgentEvent> = Object.fromEntries(
  ['a', 'b', 'c', 'd', 'e'].map((k, i) => [k, { type: 'file', data: { path: `/${k}` }, seq: i + 1 } as SequencedAgentEvent]),
);
/** The batch of these events: each encoded once, the chunk their frames joined as bytes. */
const batch = (...keys: string[]): FrameBatch => {
  const frames = keys.map((k) => ({ seq: ev[k]!.seq, type: ev[k]!.type, frame: encodeAgentEvent(ev[k]!) }));
  return { frames, chunk: Buffer.from(frames.map((f) => f.frame).join('')), firstSeq: frames[0]!.seq, lastSeq: frames.at(-1)!.seq };
};

let ts: TestScheduler;
beforeEach(() => {
  ts = createTestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

describe('toFrameBatches (marbles)', () => {
  it('without a window: one batch per turn (the events of one frame together)', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -(ab)-c--(de)|', ev);
      const e1subs = '  ^------------!';
      const expected = '-x----y--z---|';
      expectObservable(toFrameBatches(e1, { scheduler: ts })).toBe(expected, {
        x: batch('a', 'b'),
        y: batch('c'),
        z: batch('d', 'e'),
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('with a 3 ms window: at most one batch per window; an event after a quiet window goes out at once; completion flushes', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-b-c---d|', ev);
      const e1subs = '  ^---------!';
      const expected = '-x--y--z--(w|)';
      expectObservable(toFrameBatches(e1, { flushIntervalMs: 3, scheduler: ts })).toBe(expected, {
        x: batch('a'),
        y: batch('b'),
        z: batch('c'),
        w: batch('d'),
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('joins the events of one window into one batch', () => {
    ts.run(({ hot, expectObservable }) => {
      const e1 = hot('  -a-bc-d-----|', ev);
      const expected = '-x--y--z----|';
      expectObservable(toFrameBatches(e1, { flushIntervalMs: 3, scheduler: ts })).toBe(expected, {
        x: batch('a'),
        y: batch('b', 'c'),
        z: batch('d'),
      });
    });
  });

  it('with a write budget (3 ms window, burst 2): a stream slower than one per window goes out at once, event by event', () => {
    ts.run(({ hot, expectObservable }) => {
      // Without the burst (the test above) c would wait for b's window; with it, every event
      // here goes out at the end of its own turn.
      const e1 = hot('  -a-b-c----d-e|', ev);
      const expected = '-x-y-z----w-v|';
      expectObservable(toFrameBatches(e1, { flushIntervalMs: 3, flushBurst: 2, scheduler: ts })).toBe(expected, {
        x: batch('a'),
        y: batch('b'),
        z: batch('c'),
        w: batch('d'),
        v: batch('e'),
      });
    });
  });

  it('with a write budget: a fast stream spends the burst at once, then is held to one batch per window; a quiet spell refills it', () => {
    ts.run(({ hot, expectObservable }) => {
      // An event every 1 ms: a and b at once (the burst), then the budget refills one batch per
      // 3 ms: c+d at 4, e at 7. After 6 quiet ms the burst is back: a and b again at once.
      const e1 = hot('  -abcde-------ab-|', ev);
      const expected = '-xy-z--w-----xy-|';
      expectObservable(toFrameBatches(e1, { flushIntervalMs: 3, flushBurst: 2, scheduler: ts })).toBe(expected, {
        x: batch('a'),
        y: batch('b'),
        z: batch('c', 'd'),
        w: batch('e'),
      });
    });
  });

  it('flushes the pending batch before passing the source error on', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-b#', ev);
      const e1subs = '  ^---!';
      const expected = '-x--(y#)';
      expectObservable(toFrameBatches(e1, { flushIntervalMs: 5, scheduler: ts })).toBe(expected, { x: batch('a'), y: batch('b') });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes from the source and drops the pending batch when unsubscribed', () => {
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot('  -a-b-----c-|', ev);
      const e1subs = '  ^---!       ';
      const unsub = '   ----!       ';
      const expected = '-x---       ';
      expectObservable(toFrameBatches(e1, { flushIntervalMs: 5, scheduler: ts }), unsub).toBe(expected, { x: batch('a') });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});
