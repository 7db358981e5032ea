import { NEVER, Subject } from 'rxjs';
import { createEventHistory } from '../../src/agent/create-event-history';
import { createAgentRegistry } from '../../src/agent/create-agent-registry';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { ExitData, SequencedAgentEvent } from '../../src/protocol/agent-event';

const ev = (seq: number): SequencedAgentEvent => ({ type: 'file', data: { path: `f${seq}` }, seq });

const txt = (seq: number, partId: string, text: string): SequencedAgentEvent => ({
  type: 'text',
  seq,
  data: { messageId: 'm', partId, role: 'assistant', text },
});
const dlt = (seq: number, partId: string, delta: string): SequencedAgentEvent => ({
  type: 'text',
  seq,
  data: { messageId: 'm', partId, role: 'assistant', delta },
});
const tool = (seq: number, callId: string, status: 'running' | 'completed'): SequencedAgentEvent => ({
  type: 'tool',
  seq,
  data: { messageId: 'm', partId: `prt_${callId}`, callId, tool: 'bash', status },
});

describe('createEventHistory', () => {
  it('returns everything after an id, and no gap while nothing was dropped', () => {
    const h = createEventHistory({ historySize: 5 });
    for (let i = 1; i <= 4; i++) h.push(ev(i));
    expect(h.since()).toEqual({ gap: null, events: [ev(1), ev(2), ev(3), ev(4)] });
    expect(h.since(0)).toEqual({ gap: null, events: [ev(1), ev(2), ev(3), ev(4)] });
    expect(h.since(2).events).toEqual([ev(3), ev(4)]);
    expect(h.since(4).events).toEqual([]);
    expect([h.oldestSeq, h.latestSeq, h.size, h.droppedSeq]).toEqual([1, 4, 4, 0]);
  });

  it('keeps only `historySize` entries; a resume below the dropped state has a gap, a fresh viewer never', () => {
    const h = createEventHistory({ historySize: 3 });
    for (let i = 1; i <= 10; i++) h.push(ev(i));
    expect(h.since()).toEqual({ gap: null, events: [ev(8), ev(9), ev(10)] });
    expect(h.since(0)).toEqual({ gap: { after: 0, oldest: 8 }, events: [ev(8), ev(9), ev(10)] });
    expect(h.since(5)).toEqual({ gap: { after: 5, oldest: 8 }, events: [ev(8), ev(9), ev(10)] });
    expect(h.since(7)).toEqual({ gap: null, events: [ev(8), ev(9), ev(10)] });
    expect(h.since(9).events).toEqual([ev(10)]);
  });

  it('compacts a streamed part into one entry with its whole text and the latest id', () => {
    const h = createEventHistory();
    h.push(txt(1, 'p1', ''));
    h.push(ev(2));
    h.push(dlt(3, 'p1', 'Hel'), 'Hel');
    h.push(dlt(4, 'p1', 'lo'), 'Hello');
    h.push(tool(5, 'c1', 'running'));
    h.push(tool(6, 'c1', 'completed'));
    expect(h.size).toBe(3);
    expect(h.since().events).toEqual([ev(2), txt(4, 'p1', 'Hello'), tool(6, 'c1', 'completed')]);
    // A viewer that had id 3 gets the part again as its whole text: the same state.
    expect(h.since(3)).toEqual({ gap: null, events: [txt(4, 'p1', 'Hello'), tool(6, 'c1', 'completed')] });
    expect([...h.entries()].map((e) => e.frame)).toEqual([
      'id: 2\nevent: file\ndata: {"path":"f2"}\n\n',
      'id: 4\nevent: text\ndata: {"messageId":"m","partId":"p1","role":"assistant","text":"Hello"}\n\n',
      'id: 6\nevent: tool\ndata: {"messageId":"m","partId":"prt_c1","callId":"c1","tool":"bash","status":"completed"}\n\n',
    ]);
  });

  it('without the whole text, a delta extends the retained text', () => {
    const h = createEventHistory();
    h.push(txt(1, 'p1', 'He'));
    h.push(dlt(2, 'p1', 'y'));
    expect(h.since().events).toEqual([txt(2, 'p1', 'Hey')]);
  });

  it('keeps the encoded bytes under historyBytes, oldest state first', () => {
    const h = createEventHistory({ historyBytes: 1000 });
    for (let i = 1; i <= 100; i++) h.push(ev(i));
    expect(h.bytes).toBeLessThanOrEqual(1000);
    const frames = [...h.entries()].map((e) => e.frame);
    expect(frames.join('').length).toBe(h.bytes);
    expect(h.latestSeq).toBe(100);
    expect(h.droppedSeq).toBe(h.oldestSeq - 1);
    expect(h.since(50).gap).toEqual({ after: 50, oldest: h.oldestSeq });
  });

  it('visits entries retained while a live iterator runs', () => {
    const h = createEventHistory();
    h.push(ev(1));
    h.push(txt(2, 'p1', 'a'));
    const it = h.entries();
    expect(it.next().value?.seq).toBe(1);
    h.push(dlt(3, 'p1', 'b'), 'ab');
    expect([...it].map((e) => [e.seq, e.event])).toEqual([[3, txt(3, 'p1', 'ab')]]);
  });

  it('rejects nonsense bounds', () => {
    expect(() => createEventHistory({ historySize: 0 })).toThrow(RangeError);
    expect(() => createEventHistory({ historyBytes: 1.5 })).toThrow(RangeError);
  });
});

describe('createAgentRegistry', () => {
  afterEach(() => jest.useRealTimers());

  it('adds, gets, lists and refuses a duplicate id', () => {
    const r = createAgentRegistry();
    const a = r.add(createManagedAgent({ agentId: 'a', events: NEVER }));
    expect(r.get('a')).toBe(a);
    expect(r.list()).toEqual([a]);
    expect(() => r.add(createManagedAgent({ agentId: 'a', events: NEVER }))).toThrow(TypeError);
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
