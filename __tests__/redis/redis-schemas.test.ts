// The schemas applied to what is read back from Redis: every event agent-stream itself produces
// from real kilo recordings passes (a valid event is never dropped), what an attacker writes
// does not, issues never quote the value, and the kilo URL policy.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAgentEventMapper } from '../../src/agent/create-agent-event-mapper';
import { agentEventSchema, describeIssues, sequencedAgentEventSchema } from '../../src/protocol/agent-event-schema';
import type { AgentEvent } from '../../src/protocol/agent-event';
import { createKiloUrlPolicy } from '../../src/redis/create-kilo-url-policy';
import { agentRecordSchema, jsonText } from '../../src/redis/redis-schemas';
import { FIXTURES, readKiloEvents } from '../helpers/fixtures';

describe('agentEventSchema', () => {
  const recordings = readdirSync(join(FIXTURES, 'kilo')).filter((f) => f.endsWith('.sse'));

  it.each(recordings)('passes every event the mapper makes of %s, unchanged', (file) => {
    const mapper = createAgentEventMapper({ agentId: 'a1' });
    const events = readKiloEvents(`kilo/${file}`).flatMap((e) => mapper.map(e));
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(agentEventSchema.parse(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });

  it('passes the events agent-stream makes itself (action, exit, gap, reset, message-info)', () => {
    const own: AgentEvent[] = [
      { type: 'action', data: { kind: 'prompt', by: 'ana (tok_1)', at: new Date().toISOString(), text: 'hi' } },
      { type: 'action', data: { kind: 'question', by: 'ana', at: '2026-01-01T00:00:00.000Z', requestId: 'que_1', answers: [['a']] } },
      { type: 'exit', data: { reason: 'upstream_lost', error: { message: 'gone', code: 'ECONNREFUSED' } } },
      { type: 'exit', data: { reason: 'process_exit', code: null } },
      { type: 'gap', data: { after: 3, oldest: 10 } },
      { type: 'reset', data: {} },
      {
        type: 'message-info',
        data: { messageId: 'msg_1', role: 'assistant', tokens: { input: 1, output: 2, reasoning: 0, cache: { read: 0, write: 0 } } },
      },
    ];
    for (const e of own) expect(agentEventSchema.parse(e)).toEqual(e);
    expect(sequencedAgentEventSchema.parse({ ...own[0], seq: 7 })).toEqual({ ...own[0], seq: 7 });
  });

  it.each([
    ['a type with a line break', { type: 'status\nevent: x', data: {} }],
    ['an unknown type', { type: 'eval', data: {} }],
    [
      'a status of an agent id with CR LF',
      { type: 'status', data: { agentId: 'a\r\n<script>', sessionId: null, state: 'idle', activeTools: [] } },
    ],
    ['text with both text and delta', { type: 'text', data: { messageId: 'm', partId: 'p', role: 'assistant', text: 'a', delta: 'b' } }],
    ['an exit reason with a line break', { type: 'exit', data: { reason: 'stopped\n' } }],
    ['an id with a control character', { type: 'permission', data: { requestId: 'per\u0000', title: 't', state: 'asked' } }],
    ['no data', { type: 'file' }],
  ])('refuses %s', (_name, value) => {
    expect(agentEventSchema.safeParse(value).success).toBe(false);
  });

  it('drops fields that are not the protocol', () => {
    expect(agentEventSchema.parse({ type: 'file', data: { path: '/a', script: '<script>' }, extra: 1 })).toEqual({
      type: 'file',
      data: { path: '/a' },
    });
  });

  it('describes issues without the value read', () => {
    const r = agentEventSchema.safeParse({ type: 'status\r\n<script>SECRET', data: {} });
    expect(r.success).toBe(false);
    const text = describeIssues((r as { error: Parameters<typeof describeIssues>[0] }).error);
    expect(text).toBe('type: not one of the allowed values');
    const s = jsonText(agentRecordSchema).safeParse(JSON.stringify({ id: 'a\nSECRET', url: 'http://x', firstId: 1 }));
    expect(describeIssues((s as { error: Parameters<typeof describeIssues>[0] }).error)).not.toMatch(/SECRET|\n/);
  });
});

describe('agentRecordSchema', () => {
  const ok = { id: 'a1', url: 'http://10.0.0.5:4096', sessionId: 'ses_1', firstId: 1_700_000_000_000_000 };
  it('passes a record as attach writes it', () => {
    expect(agentRecordSchema.parse(ok)).toEqual(ok);
  });
  it.each([
    ['a URL with credentials', { ...ok, url: 'http://u:p@10.0.0.5:4096' }],
    ['a URL of another scheme', { ...ok, url: 'file:///etc/passwd' }],
    ['a URL with a query', { ...ok, url: 'http://10.0.0.5:4096/?x=1' }],
    ['an id of the wrong shape', { ...ok, id: '..' }],
    ['a firstId that is not a safe integer', { ...ok, firstId: 2 ** 60 }],
    ['a password with a line break', { ...ok, password: 'a\r\nX-Injected: 1' }],
  ])('refuses %s', (_name, value) => {
    expect(agentRecordSchema.safeParse(value).success).toBe(false);
  });
});

describe('createKiloUrlPolicy', () => {
  it('allows the configured origins and paths below them, nothing else', () => {
    const p = createKiloUrlPolicy(['http://10.0.0.5:4096', 'https://kilo.internal/team-a/']);
    expect(p.allowed).toEqual(['http://10.0.0.5:4096', 'https://kilo.internal/team-a']);
    for (const url of ['http://10.0.0.5:4096', 'http://10.0.0.5:4096/', 'https://kilo.internal/team-a', 'https://kilo.internal/team-a/x'])
      expect([url, p.allows(url)]).toEqual([url, true]);
    for (const url of [
      'http://10.0.0.5:4097',
      'https://10.0.0.5:4096',
      'http://10.0.0.6:4096',
      'http://localhost:4096',
      'https://kilo.internal/team-b',
      'https://kilo.internal/team-ab',
      'https://kilo.internal/team-a/../team-b',
      'http://u:p@10.0.0.5:4096',
      'not a url',
    ])
      expect([url, p.allows(url)]).toEqual([url, false]);
    p.add('http://127.0.0.1:4096');
    expect(p.allows('http://127.0.0.1:4096/')).toBe(true);
  });
  it('throws TypeError for a URL it cannot allow', () => {
    expect(() => createKiloUrlPolicy(['ftp://x'])).toThrow(TypeError);
    expect(() => createKiloUrlPolicy(['http://u:p@x'])).toThrow(TypeError);
    expect(() => createKiloUrlPolicy('http://x' as unknown as string[])).toThrow(TypeError);
  });
});
