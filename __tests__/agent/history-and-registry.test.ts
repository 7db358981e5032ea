import { NEVER, Subject } from 'rxjs';
import { createEventHistory } from '../../src/agent/create-event-history';
import { createAgentRegistry } from '../../src/agent/create-agent-registry';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { ExitData, SequencedAgentEvent } from '../../src/agent/agent-event';

const ev = (seq: number): SequencedAgentEvent => ({ type: 'file', data: { path: `f${seq}` }, seq });

describe('createEventHistory', () => {
  it('returns everything after a seq, and no gap while nothing was dropped', () => {
    const h = createEventHistory(5);
    for (let i = 1; i <= 4; i++) h.push(ev(i));
    expect(h.since(0)).toEqual({ gap: null, events: [ev(1), ev(2), ev(3), ev(4)] });
    expect(h.since(2).events).toEqual([ev(3), ev(4)]);
    expect(h.since(4).events).toEqual([]);
    expect([h.oldestSeq, h.latestSeq, h.size]).toEqual([1, 4, 4]);
  });

  it('keeps only the last `capacity` events and reports the gap', () => {
    const h = createEventHistory(3);
    for (let i = 1; i <= 10; i++) h.push(ev(i));
    expect(h.since(0)).toEqual({ gap: { after: 0, oldest: 8 }, events: [ev(8), ev(9), ev(10)] });
    expect(h.since(5)).toEqual({ gap: { after: 5, oldest: 8 }, events: [ev(8), ev(9), ev(10)] });
    expect(h.since(7)).toEqual({ gap: null, events: [ev(8), ev(9), ev(10)] });
    expect(h.since(9).events).toEqual([ev(10)]);
  });

  it('rejects a nonsense capacity', () => {
    expect(() => createEventHistory(0)).toThrow(RangeError);
  });
});

describe('createAgentRegistry', () => {
  afterEach(() => jest.useRealTimers());

  it('adds, gets, lists and refuses a duplicate id', () => {
    const r = createAgentRegistry();
    const a = r.add(createManagedAgent({ agentId: 'a', events: NEVER }));
    expect(r.get('a')).toBe(a);
    expect(r.list()).toEqual([a]);
    expect(() => r.add(createManagedAgent({ agentId: 'a', events: NEVER }))).toThrow(/already/);
    r.stopAll();
    expect(r.size).toBe(0);
  });

  it('keeps an exited agent for the retention time, then removes it', () => {
    jest.useFakeTimers();
    const r = createAgentRegistry({ retentionMs: 1000 });
    const exit$ = new Subject<ExitData>();
    r.add(createManagedAgent({ agentId: 'a', events: NEVER, exit$ }));
    exit$.next({ reason: 'stopped' });
    jest.advanceTimersByTime(999);
    expect(r.get('a')?.exited).toEqual({ reason: 'stopped' });
    jest.advanceTimersByTime(1);
    expect(r.get('a')).toBeUndefined();
  });
});
