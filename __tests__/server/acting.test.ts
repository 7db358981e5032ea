import { Subject } from 'rxjs';
import type { AgentActions } from '../../src/agent/create-managed-agent';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createControlServer, type ControlServer } from '../../src/server/create-control-server';
import { SES, permissionAsked, permissionReplied, questionAsked } from '../helpers/kilo-builders';
import { openSse, ticketFor } from '../helpers/sse-client';

let server: ControlServer;
let url: string;
let upstream: Subject<KiloEvent>;
let calls: string[];
let refuse: boolean;
let slow: Promise<void> | null;
let echoFirst = false;

const actions: AgentActions = {
  prompt: async (text) => void calls.push(`prompt ${text}`),
  abort: async () => void calls.push('abort'),
  replyPermission: async (id, r) => {
    calls.push(`permission ${id} ${r}`);
    if (echoFirst) upstream.next(permissionReplied(id, r)); // kilo's event can come before its HTTP answer
    if (slow) await slow;
    if (refuse) throw Object.assign(new Error('nope'), { status: 404 });
  },
  replyQuestion: async (id, answers) => void calls.push(`question ${id} ${JSON.stringify(answers)}`),
  rejectQuestion: async (id) => void calls.push(`reject ${id}`),
};

beforeEach(async () => {
  calls = [];
  refuse = false;
  slow = null;
  upstream = new Subject();
  server = createControlServer({ port: 0, identify: () => 'tester' });
  server.registry.add(createManagedAgent({ agentId: 'a1', sessionId: SES, events: upstream, actions, firstId: 1 }));
  server.registry.add(createManagedAgent({ agentId: 'watch', sessionId: SES, events: new Subject<KiloEvent>(), firstId: 1 }));
  url = (await server.listen()).url;
});
afterEach(() => server.close());

const post = async (path: string, body?: unknown) => {
  const r = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await r.json()) as { error?: { code: string; message: string } };
  return { status: r.status, code: json.error?.code, message: json.error?.message };
};
/** kilo asking to reach outside the project from call_1. */
const asked = (id: string) =>
  permissionAsked(id, { permission: 'external_directory', patterns: ['/etc/*'], tool: { messageID: 'msg_1', callID: 'call_1' } });

describe('acting through agent-stream', () => {
  it("answers a pending permission once; every viewer sees the request, who answered it, and kilo's reply", async () => {
    const viewer = await openSse(await ticketFor(url, 'a1'));
    upstream.next(asked('per_1'));
    const late = await openSse(await ticketFor(url, 'a1'));
    await late.waitFor((v) => v.events().some((e) => e.event === 'permission'));
    expect(JSON.parse(late.events().find((e) => e.event === 'permission')!.data!)).toEqual({
      requestId: 'per_1',
      callId: 'call_1',
      messageId: 'msg_1',
      title: 'external_directory: /etc/*',
      patterns: ['/etc/*'],
      state: 'asked',
    });
    expect(await post('/agents/a1/permissions/per_1', { response: 'once', by: 'alice' })).toEqual({
      status: 202,
      code: undefined,
      message: undefined,
    });
    expect(calls).toEqual(['permission per_1 once']);
    upstream.next(permissionReplied('per_1', 'once'));
    await viewer.waitFor((v) => v.events().filter((e) => e.event === 'permission').length === 2);
    const events = viewer.events().map((e) => ({ event: e.event, data: JSON.parse(e.data!) }));
    expect(events.find((e) => e.event === 'action')!.data).toMatchObject({
      kind: 'permission',
      by: 'alice (tester)',
      requestId: 'per_1',
      response: 'once',
    });
    expect(events.filter((e) => e.event === 'permission').at(-1)!.data).toMatchObject({
      state: 'replied',
      response: 'once',
      by: 'alice (tester)',
    });
    // Answered: a second answer is refused.
    expect((await post('/agents/a1/permissions/per_1', { response: 'reject' })).code).toBe('not_pending');
    viewer.close();
    late.close();
  });

  it("names who answered even when kilo's replied event arrives before its HTTP answer", async () => {
    echoFirst = true;
    try {
      upstream.next(asked('per_9'));
      expect((await post('/agents/a1/permissions/per_9', { response: 'always', by: 'bob' })).status).toBe(202);
      const v = await openSse(await ticketFor(url, 'a1'));
      await v.waitFor((x) => x.events().some((e) => e.event === 'permission'));
      expect(JSON.parse(v.events().find((e) => e.event === 'permission')!.data!)).toMatchObject({
        state: 'replied',
        response: 'always',
        by: 'bob (tester)',
      });
      v.close();
    } finally {
      echoFirst = false;
    }
  });

  it('two simultaneous replies to one request: exactly one 202, the other 409 not_pending', async () => {
    upstream.next(asked('per_2'));
    let release!: () => void;
    slow = new Promise((r) => (release = r));
    const both = Promise.all([
      post('/agents/a1/permissions/per_2', { response: 'once' }),
      post('/agents/a1/permissions/per_2', { response: 'reject' }),
    ]);
    await new Promise((r) => setTimeout(r, 50));
    release();
    const statuses = (await both).map((r) => r.status).sort();
    expect(statuses).toEqual([202, 409]);
    expect(calls).toHaveLength(1);
  });

  it('clear errors: unknown request 404, bad body 400 naming the field, kilo refusing 502 (and the request stays answerable), watch-only 501', async () => {
    upstream.next(asked('per_3'));
    expect(await post('/agents/a1/permissions/per_nope', { response: 'once' })).toMatchObject({ status: 404, code: 'not_found' });
    expect(await post('/agents/a1/permissions/per_3', { response: 'yes' })).toMatchObject({
      status: 400,
      code: 'bad_request',
      message: expect.stringContaining('body.response'),
    });
    expect(await post('/agents/a1/questions/q1', { answers: [['a'], 3] })).toMatchObject({
      status: 400,
      message: expect.stringContaining('body.answers[1]'),
    });
    expect(await post('/agents/a1/prompt', {})).toMatchObject({ status: 400, message: expect.stringContaining('body.text') });
    refuse = true;
    expect(await post('/agents/a1/permissions/per_3', { response: 'once' })).toMatchObject({ status: 502, code: 'upstream_failed' });
    refuse = false;
    expect((await post('/agents/a1/permissions/per_3', { response: 'once' })).status).toBe(202);
    expect(await post('/agents/watch/prompt', { text: 'hi' })).toMatchObject({ status: 501, code: 'not_supported' });
    const { agents } = (await (await fetch(`${url}/agents`)).json()) as { agents: { id: string; actionable: boolean }[] };
    expect(agents.map((a) => [a.id, a.actionable])).toEqual([
      ['a1', true],
      ['watch', false],
    ]);
    expect(await post('/agents/nope/abort')).toMatchObject({ status: 404, code: 'agent_not_found' });
  });

  it('questions: answered or rejected once; prompt and abort reach kilo and show as actions', async () => {
    upstream.next(questionAsked('que_1', [{ question: 'Which?', header: 'Pick', options: [{ label: 'A' }, { label: 'B' }] }]));
    upstream.next(questionAsked('que_2', []));
    expect((await post('/agents/a1/questions/que_1', { answers: [['B']] })).status).toBe(202);
    expect((await post('/agents/a1/questions/que_2/reject')).status).toBe(202);
    expect((await post('/agents/a1/questions/que_2/reject')).code).toBe('not_pending');
    expect((await post('/agents/a1/prompt', { text: 'go on' })).status).toBe(202);
    expect((await post('/agents/a1/abort')).status).toBe(202);
    expect(calls).toEqual(['question que_1 [["B"]]', 'reject que_2', 'prompt go on', 'abort']);
    const v = await openSse(await ticketFor(url, 'a1'));
    await v.waitFor((x) => x.events().filter((e) => e.event === 'action').length === 4);
    expect(
      v
        .events()
        .filter((e) => e.event === 'action')
        .map((e) => JSON.parse(e.data!).kind),
    ).toEqual(['question', 'question', 'prompt', 'abort']);
    v.close();
  });
});
