import { createAgentEventMapper } from '../../src/agent/create-agent-event-mapper';
import type { AgentEvent } from '../../src/protocol/agent-event';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { readKiloEvents } from '../helpers/fixtures';
import { SES, delta, fileEdited, reasoningPart, status, textPart, toolPart } from '../helpers/kilo-builders';

const mapAll = (events: KiloEvent[], sessionId?: string) => {
  const m = createAgentEventMapper({ agentId: 'a1', sessionId });
  return { m, out: events.flatMap((e) => m.map(e)) };
};

describe('createAgentEventMapper on a real recorded turn (write tool)', () => {
  const { m, out } = mapAll(readKiloEvents('kilo/transcript-write-tool.sse'));
  const types = out.map((e) => e.type);

  it('emits status busy first and idle at the end of the turn', () => {
    const statuses = out.filter((e): e is Extract<AgentEvent, { type: 'status' }> => e.type === 'status').map((e) => e.data.state);
    expect(statuses).toEqual(['idle', 'busy', 'idle']);
    expect(m.status()).toMatchObject({ agentId: 'a1', sessionId: 'ses_df0b4252bffedsVgEVlEiNWJrw', state: 'idle', activeTools: [] });
  });

  it('emits the tool call pending → running → completed, once per transition', () => {
    const tools = out.filter((e): e is Extract<AgentEvent, { type: 'tool' }> => e.type === 'tool');
    expect(tools.map((t) => t.data.status)).toEqual(['pending', 'running', 'completed']);
    expect(tools[2]!.data).toMatchObject({ tool: 'write', callId: 'call_1', title: 'hello.txt', output: 'Wrote file successfully.' });
    expect(tools[1]!.data.input).toEqual({ filePath: '/srv/agent/proj/hello.txt', content: 'hello from fake llm\n' });
  });

  it("emits the file edit, the prompt as user text, the part's first event and kilo's full update as whole text, tokens as deltas", () => {
    expect(out).toContainEqual({ type: 'file', data: { path: '/srv/agent/proj/hello.txt' } });
    const texts = out.filter((e): e is Extract<AgentEvent, { type: 'text' }> => e.type === 'text');
    expect(texts[0]!.data).toMatchObject({ role: 'user', text: 'Please WRITE a hello file' });
    const streamed = texts.filter((t) => t.data.role === 'assistant').map((t) => t.data);
    expect(streamed.map((d) => (d.delta !== undefined ? { delta: d.delta } : { text: d.text }))).toEqual([
      { text: '' },
      { delta: 'The ' },
      { delta: 'tool ' },
      { delta: 'ran ' },
      { delta: 'fine. ' },
      { delta: 'All ' },
      { delta: 'done.' },
      { text: 'The tool ran fine. All done.' },
    ]);
    for (const d of streamed) expect('text' in d !== 'delta' in d).toBe(true); // exactly one of them
  });

  it('emits one message per completed assistant message, with tokens', () => {
    const msgs = out.filter((e) => e.type === 'message-info');
    expect(msgs).toHaveLength(2);
    expect(msgs[1]).toMatchObject({ data: { role: 'assistant', finish: 'stop', tokens: { input: 100, output: 20 } } });
  });

  it('never exits on session.idle', () => {
    expect(types).not.toContain('exit');
    expect(out.filter((e) => e.type === 'status').every((e) => e.type === 'status' && e.data.state !== 'exited')).toBe(true);
  });
});

describe('createAgentEventMapper rules', () => {
  it('tracks active tools while pending/running', () => {
    const { m } = mapAll([status('busy'), toolPart('c1', { status: 'running', input: { command: 'ls' }, time: { start: 1 } })]);
    expect(m.status().activeTools).toEqual(['bash']);
    m.map(toolPart('c1', { status: 'error', input: { command: 'ls' }, error: 'boom', time: { start: 1, end: 2 } }));
    expect(m.status().activeTools).toEqual([]);
  });

  it('reports a tool error with its message', () => {
    const { out } = mapAll([toolPart('c1', { status: 'error', input: {}, error: 'boom', time: { start: 1, end: 2 } })]);
    expect(out).toEqual([
      { type: 'tool', data: { messageId: 'msg_a', partId: 'prt_c1', callId: 'c1', tool: 'bash', status: 'error', error: 'boom' } },
    ]);
  });

  it('bounds a tool error like its output, and an input whose JSON exceeds 64 KiB is sent as that JSON cut, as a string', () => {
    const big = 'x'.repeat(70_000);
    const { out } = mapAll([toolPart('c1', { status: 'error', input: { content: big }, error: big, time: { start: 1, end: 2 } })]);
    const data = (out[0] as Extract<AgentEvent, { type: 'tool' }>).data;
    expect(data.truncated).toBe(true);
    expect(data.error).toBe('x'.repeat(65536));
    expect(typeof data.input).toBe('string');
    expect(data.input).toBe(JSON.stringify({ content: big }).slice(0, 65536));
    const small = mapAll([toolPart('c2', { status: 'running', input: { command: 'ls' }, time: { start: 1 } })]).out[0] as Extract<
      AgentEvent,
      { type: 'tool' }
    >;
    expect(small.data.input).toEqual({ command: 'ls' });
    expect(small.data.truncated).toBeUndefined();
  });

  it('cuts tool output over 64 KiB at a character boundary and marks it truncated', () => {
    const big = 'é'.repeat(40_000); // 80 000 bytes
    const { out } = mapAll([toolPart('c1', { status: 'completed', input: {}, output: big, title: 't', time: { start: 1, end: 2 } })]);
    const data = (out[0] as Extract<AgentEvent, { type: 'tool' }>).data;
    expect(data.truncated).toBe(true);
    expect(Buffer.byteLength(data.output!, 'utf8')).toBe(65536);
    expect(data.output).toBe('é'.repeat(32768));
  });

  it('drops events of other sessions but keeps sessionless ones', () => {
    const { out } = mapAll([textPart('p1', 'mine'), textPart('p2', 'theirs', 'msg_b', 'ses_other'), fileEdited('/x')], SES);
    expect(out.map((e) => e.type)).toEqual(['text', 'file']);
  });

  it('adopts the first session seen when none was given', () => {
    const { m, out } = mapAll([textPart('p1', 'a', 'msg_a', 'ses_first'), textPart('p2', 'b', 'msg_b', 'ses_second')]);
    expect(m.status().sessionId).toBe('ses_first');
    expect(out).toHaveLength(1);
  });

  it('sends deltas as deltas, keeps the whole text for the history, and keeps reasoning apart', () => {
    const { m, out } = mapAll([textPart('p1', ''), delta('p1', 'Hel'), delta('p1', 'lo'), reasoningPart('r1', 'hm'), delta('r1', '…')]);
    expect(out.map((e) => [e.type, e.data])).toEqual([
      ['text', { messageId: 'msg_a', partId: 'p1', role: 'assistant', text: '' }],
      ['text', { messageId: 'msg_a', partId: 'p1', role: 'assistant', delta: 'Hel' }],
      ['text', { messageId: 'msg_a', partId: 'p1', role: 'assistant', delta: 'lo' }],
      ['reasoning', { messageId: 'msg_a', partId: 'r1', role: 'assistant', text: 'hm' }],
      ['reasoning', { messageId: 'msg_a', partId: 'r1', role: 'assistant', delta: '…' }],
    ]);
    expect([m.partText('p1'), m.partText('r1'), m.partText('nope')]).toEqual(['Hello', 'hm…', undefined]);
  });

  it("a delta of a part never seen is that part's first event: whole text", () => {
    const { out } = mapAll([delta('p9', 'Hi')]);
    expect(out).toEqual([{ type: 'text', data: { messageId: 'msg_a', partId: 'p9', role: 'assistant', text: 'Hi' } }]);
  });

  it("never maps kilo's transient parts (its snapshot spinner): not their updates, deltas or removal", () => {
    // As kilo sends it while its git snapshot is slow: a synthetic text part marked transient,
    // updated every 120 ms, then removed; kilo's own messages never list it afterwards.
    const spinner = (text: string): KiloEvent => ({
      type: 'message.part.updated',
      properties: {
        sessionID: SES,
        part: {
          id: 'prt_spin',
          sessionID: SES,
          messageID: 'msg_a',
          type: 'text',
          text,
          synthetic: true,
          metadata: { 'kilocode.lifecycle': 'transient' },
        },
      },
    });
    const removed: KiloEvent = { type: 'message.part.removed', properties: { sessionID: SES, messageID: 'msg_a', partID: 'prt_spin' } };
    const { m, out } = mapAll([
      spinner('⠋ Initializing snapshot…'),
      delta('prt_spin', 'x'),
      spinner('⠙ Initializing snapshot…'),
      removed,
      textPart('p1', 'Hi'),
    ]);
    expect(out).toEqual([{ type: 'text', data: { messageId: 'msg_a', partId: 'p1', role: 'assistant', text: 'Hi' } }]);
    expect(m.partText('prt_spin')).toBeUndefined();
    // Another lifecycle value, or the mark on a non-text part, is an ordinary part.
    const other: KiloEvent = {
      type: 'message.part.updated',
      properties: {
        sessionID: SES,
        part: { id: 'p2', sessionID: SES, messageID: 'msg_a', type: 'text', text: 'kept', metadata: { 'kilocode.lifecycle': 'final' } },
      },
    };
    expect(mapAll([other]).out).toHaveLength(1);
  });

  it('emits one error per failure: session.error and the failed message do not double up', () => {
    const { out } = mapAll(readKiloEvents('kilo/turn-fail400.sse'));
    expect(out.filter((e) => e.type === 'error')).toEqual([{ type: 'error', data: { name: 'APIError', message: 'fake bad request' } }]);
  });

  it('maps the retry status of a failing LLM', () => {
    const { out } = mapAll(readKiloEvents('kilo/turn-fail500.sse'));
    expect(out.some((e) => e.type === 'status' && e.data.state === 'retry')).toBe(true);
  });

  it('ends with status exited/failed then exit', () => {
    const m = createAgentEventMapper({ agentId: 'a1' });
    expect(m.exit({ reason: 'upstream_lost' }, true).map((e) => (e.type === 'status' ? e.data.state : e.type))).toEqual(['failed', 'exit']);
    expect(m.status().state).toBe('failed');
  });
});

describe('createAgentEventMapper over many turns', () => {
  it('keeps no per-part state from finished turns and never reports a state outside the SPEC list', () => {
    const m = createAgentEventMapper({ agentId: 'a1', sessionId: SES });
    const turn = (n: number) => [status('busy'), textPart(`p${n}`, ''), delta(`p${n}`, 'x'.repeat(1000)), status('idle')];
    for (let n = 0; n < 50; n++) turn(n).forEach((e) => m.map(e));
    const next = m.map(delta('p0', 'late'));
    // p0's text was forgotten: a stray delta starts from empty instead of growing a 50-turn-old part.
    expect((next[0] as Extract<AgentEvent, { type: 'text' }>).data.text).toBe('late');
    const odd = m.map({ type: 'session.status', properties: { sessionID: SES, status: { type: 'compacting' } } } as unknown as KiloEvent);
    expect(odd).toEqual([{ type: 'status', data: expect.objectContaining({ state: 'busy' }) }]);
  });
});
