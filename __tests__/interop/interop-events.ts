import fc from 'fast-check';
import type { AgentEvent, SequencedAgentEvent, StatusData, ToolData } from '../../src/protocol/agent-event';

/**
 * Random agent-event sequences shaped like kilo's turns: a prompt, busy, assistant messages whose
 * text and reasoning parts stream as deltas (sometimes a full update that extends, repeats or
 * rewrites the text), tool calls pending → running → completed/error, permission and question
 * requests asked and answered, files, actions, errors, message completion, idle.
 */
export type Op =
  | { kind: 'prompt'; text: string }
  | { kind: 'part'; reasoning: boolean; text: string }
  | { kind: 'delta'; i: number; word: string }
  | { kind: 'full'; i: number; how: 'extend' | 'same' | 'trim' }
  | { kind: 'tool'; i: number; fail: boolean }
  | { kind: 'ask'; i: number; question: boolean }
  | { kind: 'answer'; i: number }
  | { kind: 'message' }
  | { kind: 'file' }
  | { kind: 'action' }
  | { kind: 'error' }
  | { kind: 'idle' };

const word = fc.array(fc.constantFrom('a', 'b', 'é', '🙂', ' ', '"', '\\', '\n'), { minLength: 1, maxLength: 4 }).map((p) => p.join(''));

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('prompt' as const), text: word }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('part' as const), reasoning: fc.boolean(), text: fc.oneof(fc.constant(''), word) }),
  },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('delta' as const), i: fc.nat(), word }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('full' as const),
      i: fc.nat(),
      how: fc.constantFrom('extend' as const, 'same' as const, 'trim' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tool' as const), i: fc.nat(), fail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ask' as const), i: fc.nat(), question: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('answer' as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'message' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'file' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'action' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'error' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'idle' as const }) },
);

const pad = (n: number) => String(n).padStart(6, '0');

/** Builds the agent events the ops stand for (ids sort by creation, as kilo's do). */
export function buildEvents(ops: Op[]): SequencedAgentEvent[] {
  const out: SequencedAgentEvent[] = [];
  let seq = 100;
  let n = 0;
  let state = 'idle' as StatusData['state'];
  let message: string | null = null;
  const parts: { partId: string; messageId: string; type: 'text' | 'reasoning'; text: string }[] = [];
  const tools: ToolData[] = [];
  const asks: { requestId: string; question: boolean; callId: string; messageId: string; answered: boolean }[] = [];
  const push = (e: AgentEvent) => out.push({ ...e, seq: ++seq } as SequencedAgentEvent);
  const setState = (s: StatusData['state']) => {
    if (s === state) return;
    state = s;
    const active = tools.filter((t) => t.status === 'pending' || t.status === 'running').map((t) => t.tool);
    push({ type: 'status', data: { agentId: 'a1', sessionId: 'ses_1', state: s, activeTools: s === 'busy' ? active : [] } });
  };
  const assistant = () => {
    if (state !== 'busy') setState('busy');
    if (message === null) message = `msg_${pad(++n)}`;
    return message;
  };
  for (const op of ops) {
    switch (op.kind) {
      case 'prompt': {
        if (state === 'busy') break;
        const messageId = `msg_${pad(++n)}`;
        push({ type: 'action', data: { kind: 'prompt', by: 'u', at: '2026-01-01T00:00:00Z', text: op.text } });
        push({ type: 'text', data: { messageId, partId: `prt_${pad(++n)}`, role: 'user', text: op.text } });
        message = null;
        setState('busy');
        break;
      }
      case 'part': {
        const messageId = assistant();
        const p = { partId: `prt_${pad(++n)}`, messageId, type: op.reasoning ? ('reasoning' as const) : ('text' as const), text: op.text };
        parts.push(p);
        push({ type: p.type, data: { messageId, partId: p.partId, role: 'assistant', text: p.text } });
        break;
      }
      case 'delta': {
        const live = parts.filter((p) => p.messageId === message);
        if (live.length === 0 || state !== 'busy') break;
        const p = live[op.i % live.length]!;
        p.text += op.word;
        push({ type: p.type, data: { messageId: p.messageId, partId: p.partId, role: 'assistant', delta: op.word } });
        break;
      }
      case 'full': {
        if (parts.length === 0) break;
        const p = parts[op.i % parts.length]!;
        p.text =
          op.how === 'extend' ? p.text + 'x' : op.how === 'trim' ? p.text.trimEnd().slice(0, Math.max(0, p.text.length - 1)) : p.text;
        push({ type: p.type, data: { messageId: p.messageId, partId: p.partId, role: 'assistant', text: p.text } });
        break;
      }
      case 'tool': {
        const open = tools.filter((t) => t.status === 'pending' || t.status === 'running');
        if (open.length === 0 || op.i % 3 === 0) {
          const messageId = assistant();
          const t: ToolData = {
            messageId,
            partId: `prt_${pad(++n)}`,
            callId: `call_${pad(++n)}`,
            tool: op.i % 2 ? 'bash' : 'read',
            status: 'pending',
          };
          tools.push(t);
          push({ type: 'tool', data: { ...t } });
          break;
        }
        const t = open[op.i % open.length]!;
        if (t.status === 'pending') Object.assign(t, { status: 'running', input: { command: `echo ${t.callId}` }, title: 'run' });
        else if (op.fail) Object.assign(t, { status: 'error', error: 'boom' });
        else Object.assign(t, { status: 'completed', output: `out ${t.callId}` });
        push({ type: 'tool', data: { ...t } });
        break;
      }
      case 'ask': {
        const t = tools.filter((x) => x.status === 'running');
        if (t.length === 0) break;
        const tool = t[op.i % t.length]!;
        const a = { requestId: `per_${pad(++n)}`, question: op.question, callId: tool.callId, messageId: tool.messageId, answered: false };
        asks.push(a);
        if (a.question)
          push({
            type: 'question',
            data: {
              requestId: a.requestId,
              callId: a.callId,
              state: 'asked',
              questions: [{ question: 'Ok?', header: 'q', options: [{ label: 'yes' }] }],
            },
          });
        else
          push({
            type: 'permission',
            data: {
              requestId: a.requestId,
              callId: a.callId,
              messageId: a.messageId,
              tool: tool.tool,
              title: 'bash: echo',
              state: 'asked',
            },
          });
        break;
      }
      case 'answer': {
        const open = asks.filter((a) => !a.answered);
        if (open.length === 0) break;
        const a = open[op.i % open.length]!;
        a.answered = true;
        if (a.question)
          push({
            type: 'question',
            data: {
              requestId: a.requestId,
              callId: a.callId,
              state: 'replied',
              answers: [['yes']],
              questions: [{ question: 'Ok?', header: 'q', options: [{ label: 'yes' }] }],
            },
          });
        else
          push({
            type: 'permission',
            data: {
              requestId: a.requestId,
              callId: a.callId,
              messageId: a.messageId,
              title: 'bash: echo',
              state: 'replied',
              response: 'once',
            },
          });
        break;
      }
      case 'message': {
        if (message === null) break;
        push({ type: 'message-info', data: { messageId: message, role: 'assistant', finish: ['stop', 'tool-calls', 'unknown'][n % 3] } });
        message = null;
        break;
      }
      case 'file':
        push({ type: 'file', data: { path: `src/f${n}.ts` } });
        break;
      case 'action':
        push({ type: 'action', data: { kind: 'abort', by: 'u', at: '2026-01-01T00:00:00Z' } });
        break;
      case 'error':
        push({ type: 'error', data: { name: 'APIError', message: 'rate limited' } });
        break;
      case 'idle':
        message = null;
        setState('idle');
        break;
    }
  }
  return out;
}
