import { encodeSseComment, encodeSseMessage, encodeSseRetry, SSE_KEEPALIVE } from '../../src/sse/encode-sse';
import { encodeAgentEvent } from '../../src/sse/encode-agent-event';
import { SseEncodeError } from '../../src/sse/sse-encode-error';
import type { SequencedAgentEvent } from '../../src/protocol/agent-event';

describe('encodeSseMessage', () => {
  it('writes id, event and data lines in that order, ending with a blank line', () => {
    expect(encodeSseMessage({ id: 7, event: 'file', data: '{"path":"a.ts"}' })).toBe('id: 7\nevent: file\ndata: {"path":"a.ts"}\n\n');
  });
  it('omits absent fields', () => {
    expect(encodeSseMessage({ data: 'x' })).toBe('data: x\n\n');
    expect(encodeSseMessage({ event: 'status', data: '{}' })).toBe('event: status\ndata: {}\n\n');
  });
  it('splits data on LF, CRLF and CR into several data lines', () => {
    expect(encodeSseMessage({ data: 'a\nb\r\nc\rd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    expect(encodeSseMessage({ data: 'a\n' })).toBe('data: a\ndata: \n\n');
    expect(encodeSseMessage({ data: '' })).toBe('data: \n\n');
  });
  it.each(['a\nb', 'a\rb', 'a\r\nb', '\n'])('rejects CR/LF in event %j with a typed error', (name) => {
    expect(() => encodeSseMessage({ event: name, data: 'x' })).toThrow(SseEncodeError);
    try {
      encodeSseMessage({ event: name, data: 'x' });
    } catch (e) {
      expect((e as SseEncodeError).code).toBe('invalid_field');
    }
  });
  it.each(['1\n2', '1\r', '\r\n'])('rejects CR/LF in id %j', (id) => {
    expect(() => encodeSseMessage({ id, data: 'x' })).toThrow(SseEncodeError);
  });
  it('rejects NUL in id (EventSource ignores such ids)', () => {
    expect(() => encodeSseMessage({ id: 'a\u0000', data: 'x' })).toThrow(SseEncodeError);
  });
  it('passes unicode through untouched', () => {
    const data = 'héllo ✓ 𝄞 日本語 \u2028';
    const frame = encodeSseMessage({ data });
    expect(frame).toBe(`data: ${data}\n\n`);
    expect(Buffer.from(frame, 'utf8').toString('utf8')).toBe(frame);
  });
  it('encodes huge data in one line without copying it per line', () => {
    const data = 'x'.repeat(5_000_000);
    const frame = encodeSseMessage({ id: 1, event: 'tool', data });
    expect(frame.length).toBe(data.length + 'id: 1\nevent: tool\ndata: \n\n'.length);
    expect(frame.endsWith('x\n\n')).toBe(true);
  });
  it('cannot be made to inject a second event through data', () => {
    const frame = encodeSseMessage({ data: 'x\n\nevent: exit\ndata: {}' });
    expect(frame).toBe('data: x\ndata: \ndata: event: exit\ndata: data: {}\n\n');
  });
});

describe('comments and retry', () => {
  it('encodes a comment and the keepalive', () => {
    expect(encodeSseComment('keepalive')).toBe(': keepalive\n\n');
    expect(SSE_KEEPALIVE).toBe(': keepalive\n\n');
    expect(encodeSseComment('a\nb')).toBe(': a\n: b\n\n');
  });
  it('encodes retry and rejects nonsense', () => {
    expect(encodeSseRetry(2000)).toBe('retry: 2000\n\n');
    expect(() => encodeSseRetry(-1)).toThrow(SseEncodeError);
    expect(() => encodeSseRetry(1.5)).toThrow(SseEncodeError);
  });
});

describe('encodeAgentEvent', () => {
  it('writes the exact frame of a sequenced event, data on one line', () => {
    const e: SequencedAgentEvent = { type: 'text', data: { messageId: 'm', partId: 'p', role: 'assistant', text: 'a\nb' }, seq: 3 };
    expect(encodeAgentEvent(e)).toBe('id: 3\nevent: text\ndata: {"messageId":"m","partId":"p","role":"assistant","text":"a\\nb"}\n\n');
  });
  it('writes no id line for unsequenced events (status snapshot, gap)', () => {
    expect(encodeAgentEvent({ type: 'gap', data: { after: 1, oldest: 5 } })).toBe('event: gap\ndata: {"after":1,"oldest":5}\n\n');
  });
  it('serializes a sequenced event once, however often it is encoded', () => {
    const e: SequencedAgentEvent = { type: 'file', data: { path: 'a' }, seq: 1 };
    const spy = jest.spyOn(JSON, 'stringify');
    const a = encodeAgentEvent(e);
    const b = encodeAgentEvent(e);
    expect(a).toBe(b);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });
});
