import { createAgentLogState, reduceAgentLog, type AgentLogState, type LogRow } from '../../src/react';
import type { ClientAgentEvent } from '../../src/client';

const apply = (events: ClientAgentEvent[], limits = {}): AgentLogState =>
  events.reduce((s, e) => reduceAgentLog(s, e, limits), createAgentLogState());

const text = (partId: string, t: string, seq: number): ClientAgentEvent => ({
  type: 'text',
  data: { messageId: 'm1', partId, role: 'assistant', text: t },
  seq,
});

describe('reduceAgentLog', () => {
  it('streams text into one row per part, updated in place', () => {
    const log = apply([text('p1', 'He', 1), text('p2', 'Other', 2), text('p1', 'Hello', 3), text('p1', 'Hello!', 4)]);
    expect(log.rows.map((r) => [r.key, r.seq, (r as Extract<LogRow, { kind: 'text' }>).text])).toEqual([
      ['text:p1', 4, 'Hello!'],
      ['text:p2', 2, 'Other'],
    ]);
  });

  it('one row per tool call, holding its latest state', () => {
    const log = apply([
      { type: 'tool', data: { messageId: 'm', callId: 'c1', tool: 'bash', status: 'pending' }, seq: 1 },
      {
        type: 'tool',
        data: { messageId: 'm', callId: 'c1', tool: 'bash', status: 'running', title: 'ls', input: { command: 'ls' } },
        seq: 2,
      },
      {
        type: 'tool',
        data: { messageId: 'm', callId: 'c1', tool: 'bash', status: 'completed', title: 'ls', input: { command: 'ls' }, output: 'a\nb' },
        seq: 3,
      },
    ]);
    expect(log.rows).toHaveLength(1);
    expect(log.rows[0]).toMatchObject({
      kind: 'tool',
      callId: 'c1',
      status: 'completed',
      title: 'ls',
      input: { command: 'ls' },
      output: 'a\nb',
      seq: 3,
    });
  });

  it('appends deltas, replaces on a whole text, and starts an unknown part from its delta', () => {
    const d = (partId: string, delta: string, seq: number): ClientAgentEvent => ({
      type: 'text',
      data: { messageId: 'm1', partId, role: 'assistant', delta },
      seq,
    });
    const log = apply([
      text('p1', '', 1),
      d('p1', 'Hel', 2),
      d('p1', 'lo', 3),
      d('p2', 'new', 4),
      text('p1', 'Hello!', 5),
      d('p1', '?', 6),
    ]);
    expect(log.rows.map((r) => [r.key, (r as Extract<LogRow, { kind: 'text' }>).text])).toEqual([
      ['text:p1', 'Hello!?'],
      ['text:p2', 'new'],
    ]);
  });

  it("keeps kilo's order of messages and parts whatever order their latest states arrive in", () => {
    const at = (messageId: string, partId: string, t: string, seq: number): ClientAgentEvent => ({
      type: 'text',
      data: { messageId, partId, role: 'assistant', text: t },
      seq,
    });
    const log = apply([
      at('msg_1', 'prt_1', 'prompt', 1),
      { type: 'tool', data: { messageId: 'msg_2', partId: 'prt_3', callId: 'c1', tool: 'bash', status: 'completed' }, seq: 2 },
      at('msg_2', 'prt_4', 'answer', 3),
      at('msg_2', 'prt_2', 'reasoning first', 4),
      { type: 'message-info', data: { messageId: 'msg_2', role: 'assistant', finish: 'stop' }, seq: 5 },
      { type: 'exit', data: { reason: 'stopped' }, seq: 6 },
    ]);
    expect(log.rows.map((r) => (r.kind === 'text' ? r.text : r.kind))).toEqual([
      'prompt',
      'reasoning first',
      'tool',
      'answer',
      'message',
      'exit',
    ]);
  });

  it('reset clears the rows and the exit but keeps the status', () => {
    const log = apply([
      { type: 'status', data: { agentId: 'a', sessionId: null, state: 'idle', activeTools: [] } },
      text('p1', 'old', 1),
      { type: 'exit', data: { reason: 'stopped' }, seq: 2 },
      { type: 'reset', data: {} },
      text('p2', 'new', 9),
    ]);
    expect(log.rows.map((r) => r.key)).toEqual(['text:p2']);
    expect(log.exit).toBeNull();
    expect(log.status?.state).toBe('idle');
  });

  it('a batch of events equals the same events one by one', () => {
    const events = [text('p1', 'a', 1), text('p2', 'b', 2), text('p1', 'ab', 3)];
    expect(reduceAgentLog(createAgentLogState(), events)).toEqual(apply(events));
  });

  it('keeps at most maxRows rows, dropping the oldest', () => {
    const events: ClientAgentEvent[] = Array.from({ length: 10 }, (_, i) => ({ type: 'file', data: { path: `f${i + 1}` }, seq: i + 1 }));
    const log = apply(events, { maxRows: 3 });
    expect(log.rows.map((r) => r.seq)).toEqual([8, 9, 10]);
    expect(log.receivedSeqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(apply(events, { maxTrackedSeqs: 4 }).receivedSeqs).toEqual([7, 8, 9, 10]);
  });

  it('tracks status, gaps, errors and exit', () => {
    const log = apply([
      { type: 'status', data: { agentId: 'a', sessionId: null, state: 'busy', activeTools: ['bash'] } },
      { type: 'gap', data: { after: 0, oldest: 5 } },
      { type: 'error', data: { name: 'APIError', message: 'boom' }, seq: 5 },
      { type: 'exit', data: { reason: 'stopped' }, seq: 6 },
    ]);
    expect(log.status?.state).toBe('busy');
    expect(log.exit).toEqual({ reason: 'stopped' });
    expect(log.rows.map((r) => r.kind)).toEqual(['gap', 'error', 'exit']);
    expect(log.rows[0].seq).toBeUndefined();
    expect(log.receivedSeqs).toEqual([5, 6]);
    expect(log.receivedCount).toBe(4);
    expect(log.lastSeq).toBe(6);
    expect(new Set(log.rows.map((r) => r.key)).size).toBe(3);
  });
});
