import { createAgentLogState, reduceAgentLog, type AgentLogState, type LogRow } from '../../src/react';
import type { ClientAgentEvent } from '../../src/client';

const apply = (events: ClientAgentEvent[], limits = {}): AgentLogState =>
  events.reduce((s, e) => reduceAgentLog(s, e, limits), createAgentLogState());

const text = (partId: string, t: string, seq: number): ClientAgentEvent =>
  ({ type: 'text', data: { messageId: 'm1', partId, role: 'assistant', text: t }, seq });

describe('reduceAgentLog', () => {
  test('streams text into one row per part, updated in place', () => {
    const log = apply([text('p1', 'He', 1), text('p2', 'Other', 2), text('p1', 'Hello', 3), text('p1', 'Hello!', 4)]);
    expect(log.rows.map((r) => [r.key, r.seq, (r as Extract<LogRow, { kind: 'text' }>).text])).toEqual([
      ['text:p1', 4, 'Hello!'],
      ['text:p2', 2, 'Other'],
    ]);
  });

  test('one row per tool call through pending → running → completed, keeping earlier fields', () => {
    const log = apply([
      { type: 'tool', data: { messageId: 'm', callId: 'c1', tool: 'bash', status: 'pending' }, seq: 1 },
      { type: 'tool', data: { messageId: 'm', callId: 'c1', tool: 'bash', status: 'running', title: 'ls', input: { command: 'ls' } }, seq: 2 },
      { type: 'tool', data: { messageId: 'm', callId: 'c1', tool: 'bash', status: 'completed', output: 'a\nb' }, seq: 3 },
    ]);
    expect(log.rows).toHaveLength(1);
    expect(log.rows[0]).toMatchObject({
      kind: 'tool', callId: 'c1', status: 'completed', title: 'ls', input: { command: 'ls' }, output: 'a\nb', seq: 3,
    });
  });

  test('keeps at most maxRows rows, dropping the oldest', () => {
    const events: ClientAgentEvent[] = Array.from({ length: 10 }, (_, i) => ({ type: 'file', data: { path: `f${i + 1}` }, seq: i + 1 }));
    const log = apply(events, { maxRows: 3 });
    expect(log.rows.map((r) => r.seq)).toEqual([8, 9, 10]);
    expect(log.receivedSeqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(apply(events, { maxTrackedSeqs: 4 }).receivedSeqs).toEqual([7, 8, 9, 10]);
  });

  test('tracks status, gaps, errors and exit', () => {
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
