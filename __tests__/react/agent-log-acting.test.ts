// The log's permission, question and action rows (issue 13): one row per request, updated in
// place, in kilo's order next to its tool call; action rows accumulate; reset clears them.
import type { ActionData, PermissionData, QuestionData } from '../../src/client';
import type { ClientAgentEvent } from '../../src/client';
import { createAgentLogState, describeAction, reduceAgentLog, type AgentLogState, type LogRow } from '../../src/react';

const apply = (events: ClientAgentEvent[], limits = {}): AgentLogState =>
  events.reduce((s, e) => reduceAgentLog(s, e, limits), createAgentLogState());

const text = (messageId: string, partId: string, t: string, seq: number): ClientAgentEvent => ({
  type: 'text',
  data: { messageId, partId, role: messageId === 'msg_1' ? 'user' : 'assistant', text: t },
  seq,
});
const tool = (status: 'running' | 'completed' | 'error', seq: number): ClientAgentEvent => ({
  type: 'tool',
  data: { messageId: 'msg_2', partId: 'prt_3', callId: 'call_1', tool: 'bash', status },
  seq,
});
const asked: PermissionData = {
  requestId: 'per_1',
  callId: 'call_1',
  messageId: 'msg_2',
  title: 'external_directory: /etc/*',
  patterns: ['/etc/*'],
  state: 'asked',
};
const permission = (data: Partial<PermissionData>, seq: number): ClientAgentEvent => ({
  type: 'permission',
  data: { ...asked, ...data },
  seq,
});
const action = (data: Omit<ActionData, 'at'>, seq: number): ClientAgentEvent => ({
  type: 'action',
  data: { at: '2026-01-01T00:00:00.000Z', ...data },
  seq,
});
const question: QuestionData = {
  requestId: 'que_1',
  questions: [{ question: 'Which color?', header: 'Color', options: [{ label: 'red' }, { label: 'blue', description: 'calm' }] }],
  state: 'asked',
};

/** A row as a short label: what it is and, for requests, its state. */
const label = (r: LogRow): string => {
  if (r.kind === 'text') return r.text;
  if (r.kind === 'permission' || r.kind === 'question') return `${r.kind}:${r.requestId}:${r.state}`;
  if (r.kind === 'action') return `action:${r.action}`;
  return r.kind;
};

describe('reduceAgentLog: permission, question and action rows', () => {
  it('a permission sits right after its tool call and is updated in place when answered', () => {
    const before = [
      text('msg_1', 'prt_1', 'prompt', 1),
      text('msg_2', 'prt_2', 'thinking it over', 2),
      tool('running', 3),
      text('msg_2', 'prt_5', 'later part', 4),
      permission({}, 5),
    ];
    const waiting = apply(before);
    expect(waiting.rows.map(label)).toEqual(['prompt', 'thinking it over', 'tool', 'permission:per_1:asked', 'later part']);
    const pending = waiting.rows[3] as Extract<LogRow, { kind: 'permission' }>;
    expect(pending).toMatchObject({
      key: 'permission:per_1',
      seq: 5,
      tool: 'bash',
      title: 'external_directory: /etc/*',
      patterns: ['/etc/*'],
    });

    const answered = reduceAgentLog(waiting, [
      permission({ state: 'replied', response: 'once', by: 'alice (operator session ab12cd)' }, 6),
      action({ kind: 'permission', by: 'alice (operator session ab12cd)', requestId: 'per_1', response: 'once' }, 7),
      tool('completed', 8),
    ]);
    expect(answered.rows.map(label)).toEqual([
      'prompt',
      'thinking it over',
      'tool',
      'permission:per_1:replied',
      'action:permission', // who answered follows the request
      'later part',
    ]);
    expect(answered.rows.filter((r) => r.kind === 'permission')).toHaveLength(1);
    expect(answered.rows[3]).toMatchObject({
      seq: 6,
      state: 'replied',
      response: 'once',
      by: 'alice (operator session ab12cd)',
      tool: 'bash',
    });
    const act = answered.rows[4] as Extract<LogRow, { kind: 'action' }>;
    expect(act.subject).toBe('external_directory: /etc/*');
    expect(describeAction(act)).toBe('alice (operator session ab12cd) allowed once: external_directory: /etc/*');
  });

  it('a late viewer (history order: the request before its tool call, the action before the reply) ends with the same rows', () => {
    const live = apply([
      text('msg_1', 'prt_1', 'prompt', 1),
      tool('running', 2),
      permission({}, 3),
      action({ kind: 'permission', by: 'bob', requestId: 'per_1', response: 'reject' }, 4),
      permission({ state: 'replied', response: 'reject', by: 'bob' }, 5),
      tool('error', 6),
    ]);
    // history keeps the latest state per request / call, in the order of those latest ids
    const late = apply([
      text('msg_1', 'prt_1', 'prompt', 1),
      action({ kind: 'permission', by: 'bob', requestId: 'per_1', response: 'reject' }, 4),
      permission({ state: 'replied', response: 'reject', by: 'bob' }, 5),
      tool('error', 6),
    ]);
    expect(late.rows.map(label)).toEqual(['prompt', 'tool', 'permission:per_1:replied', 'action:permission']);
    expect(live.rows.map(label)).toEqual(late.rows.map(label));
    expect(late.rows[2]).toMatchObject({ tool: 'bash', state: 'replied', by: 'bob' });
    const act = late.rows[3] as Extract<LogRow, { kind: 'action' }>;
    expect(describeAction(act)).toBe('bob rejected: external_directory: /etc/*');
  });

  it('a request with no known tool call goes after the newest message parts, before the message end, like a file row', () => {
    const log = apply([
      text('msg_2', 'prt_2', 'answer', 1),
      { type: 'question', data: question, seq: 2 },
      { type: 'file', data: { path: 'a.ts' }, seq: 3 },
      text('msg_2', 'prt_4', 'more', 4),
      { type: 'message-info', data: { messageId: 'msg_2', role: 'assistant', finish: 'stop' }, seq: 5 },
    ]);
    expect(log.rows.map(label)).toEqual(['answer', 'more', 'question:que_1:asked', 'file', 'message']);
    const updated = reduceAgentLog(log, {
      type: 'question',
      data: { ...question, state: 'replied', answers: [['blue']], by: 'carol' },
      seq: 6,
    });
    expect(updated.rows.map(label)).toEqual(['answer', 'more', 'question:que_1:replied', 'file', 'message']);
    expect(updated.rows[2]).toMatchObject({ seq: 6, answers: [['blue']], by: 'carol' });
  });

  it('a question of a tool call moves next to that call when the call row arrives', () => {
    const log = apply([
      text('msg_2', 'prt_2', 'answer', 1),
      text('msg_2', 'prt_9', 'last', 2),
      { type: 'question', data: { ...question, callId: 'call_1' }, seq: 3 },
      tool('running', 4),
    ]);
    expect(log.rows.map(label)).toEqual(['answer', 'tool', 'question:que_1:asked', 'last']);
  });

  it('action rows accumulate and say who did what; those about a request follow it', () => {
    const log = apply([
      { type: 'question', data: question, seq: 1 },
      action({ kind: 'prompt', by: 'alice (operator token)', text: 'fix the\n tests' }, 2),
      action({ kind: 'abort', by: 'alice (operator token)' }, 3),
      action({ kind: 'question', by: 'bob', requestId: 'que_1', answers: [['red', 'blue']] }, 4),
      action({ kind: 'question', by: 'bob', requestId: 'que_1', rejected: true }, 5),
      action({ kind: 'abort', by: 'alice (operator token)' }, 6),
    ]);
    const actions = log.rows.filter((r): r is Extract<LogRow, { kind: 'action' }> => r.kind === 'action');
    expect(actions.map((r) => [r.seq, describeAction(r)])).toEqual([
      [4, 'bob answered Color: red, blue'],
      [5, 'bob rejected the question: Color'],
      [2, 'alice (operator token) sent a prompt: fix the tests'],
      [3, 'alice (operator token) stopped the turn'],
      [6, 'alice (operator token) stopped the turn'],
    ]);
    expect(log.rows[0]).toMatchObject({ kind: 'question', requestId: 'que_1' });
    expect(new Set(log.rows.map((r) => r.key)).size).toBe(log.rows.length);
  });

  it('reset clears requests and actions like the other rows', () => {
    const log = apply([
      tool('running', 1),
      permission({}, 2),
      { type: 'question', data: question, seq: 3 },
      action({ kind: 'prompt', by: 'a', text: 'hi' }, 4),
      { type: 'reset', data: {} },
      { type: 'file', data: { path: 'x' }, seq: 10 },
    ]);
    expect(log.rows.map(label)).toEqual(['file']);
  });

  it('maxRows never drops a request still waiting for an answer', () => {
    const files: ClientAgentEvent[] = Array.from({ length: 6 }, (_, i) => ({ type: 'file', data: { path: `f${i}` }, seq: 10 + i }));
    const log = apply([permission({ callId: undefined, messageId: undefined }, 1), ...files], { maxRows: 3 });
    expect(log.rows.map((r) => r.seq)).toEqual([1, 14, 15]);
    const answered = apply([permission({ callId: undefined, messageId: undefined, state: 'replied', response: 'once' }, 1), ...files], {
      maxRows: 3,
    });
    expect(answered.rows.map((r) => r.seq)).toEqual([13, 14, 15]);
  });
});

it('a batch of request and action events equals the same events one by one, and leaves the old state alone', () => {
  const events: ClientAgentEvent[] = [
    text('msg_2', 'prt_2', 'answer', 1),
    action({ kind: 'permission', by: 'bob', requestId: 'per_1', response: 'once' }, 2),
    permission({ state: 'replied', response: 'once', by: 'bob' }, 3),
    tool('completed', 4),
  ];
  const first = apply(events.slice(0, 2));
  const snapshot = JSON.stringify(first);
  expect(reduceAgentLog(first, events.slice(2))).toEqual(apply(events));
  expect(JSON.stringify(first)).toBe(snapshot);
});
