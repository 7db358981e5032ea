// Acting on a live agent (docs/protocol.md §7, issue 13) at the HTTP API level, against the real
// kilo binary driven by the scripted fake LLM, in attach mode through an in-process control server
// with token auth (a full token and a watch-only one). kilo asks before every bash command
// (`"permission": {"bash": "ask"}`) and, with `experimental.continue_loop_on_deny`, goes on with
// the turn after a rejected tool. The tests run in order on one kilo session: each turn plays the
// next turns of the one fake-LLM script.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentEvent, PermissionData, QuestionData, ToolData } from '../../src/protocol/agent-event';
import { createFoldedView, foldAgentEvent } from '../../src/protocol/fold-agent-events';
import { createFakeLlm, type FakeLlm, type FakeLlmTurn } from '../../src/demo/fake-llm';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { createKiloSessionClient } from '../../src/kilo/kilo-session-client';
import { launchKilo, type KiloProcess } from '../../src/kilo/launch-kilo';
import { createControlServer, type ControlServer } from '../../src/server/create-control-server';
import { createTokenAuth } from '../../src/server/create-token-auth';
import { openSse, type RawSseViewer } from '../helpers/sse-client';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(90_000);

const TOKEN = 'acting-e2e-full-token-0123456789';
const WATCH_TOKEN = 'acting-e2e-watch-token-012345678';
const AGENT = 'act';

/** The kilo.json that makes kilo ask before every bash command and go on after a rejected tool. */
function askingKiloConfig(baseURL: string): Record<string, unknown> {
  return { ...kiloConfigFor({ baseURL }), permission: { bash: 'ask' }, experimental: { continue_loop_on_deny: true } };
}

const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i} `);
const bash = (command: string): FakeLlmTurn => ({ toolCalls: [{ name: 'bash', args: { command, description: `Run ${command}` } }] });
const SCRIPT: FakeLlmTurn[] = [
  // 1. allowed once
  bash('echo permitted'),
  { text: 'Allowed and done.' },
  // 2. rejected, then the turn goes on
  bash('echo rejected'),
  { text: 'Went on after the reject.' },
  // 3. two people answer at once
  bash('echo raced'),
  { text: 'Raced and done.' },
  // 4. a question
  {
    toolCalls: [
      {
        name: 'question',
        args: {
          questions: [
            {
              question: 'Which colour?',
              header: 'Colour',
              options: [
                { label: 'Red', description: 'warm' },
                { label: 'Blue', description: 'cool' },
              ],
            },
          ],
        },
      },
    ],
  },
  { text: 'Blue it is.' },
  // 5. a plain prompt
  { text: 'A fresh turn answer.' },
  // 6. a slow answer, stopped mid-stream
  { text: words('slow', 300), chunkBy: 'word', chunkDelayMs: 40 },
];

let root: string;
let llm: FakeLlm;
let kilo: KiloProcess;
let server: ControlServer;
let url: string;
let sessionId: string;
const viewers: RawSseViewer[] = [];

const bearer = (token = TOKEN) => ({ Authorization: `Bearer ${token}` });

async function post(path: string, body?: unknown, token: string | null = TOKEN) {
  const r = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token === null ? {} : bearer(token)) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await r.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  return { status: r.status, code: json.error?.code, message: json.error?.message };
}

/** A viewer of the agent: a ticket fetched with the full token, then the raw SSE stream. */
async function view(): Promise<RawSseViewer> {
  const r = await fetch(`${url}/agents/${AGENT}/stream-ticket`, { method: 'POST', headers: bearer() });
  if (r.status !== 201) throw new Error(`ticket: HTTP ${r.status} ${await r.text()}`);
  const { streamUrl } = (await r.json()) as { streamUrl: string };
  const v = await openSse(new URL(streamUrl, `${url}/`).href);
  viewers.push(v);
  return v;
}

const eventsOf = (v: RawSseViewer): AgentEvent[] =>
  v.events().map((e) => ({ type: e.event, data: JSON.parse(e.data!) as unknown }) as AgentEvent);
const fold = (v: RawSseViewer) => eventsOf(v).reduce(foldAgentEvent, createFoldedView());
/** The data of the viewer's events of one type, from event index `from` on. */
const ofType = <T extends AgentEvent['type']>(v: RawSseViewer, type: T, from = 0) =>
  eventsOf(v)
    .slice(from)
    .filter((e) => e.type === type)
    .map((e) => e.data) as unknown as Extract<AgentEvent, { type: T }>['data'][];
/** The whole assistant text the viewer folded. */
const assistantText = (v: RawSseViewer) =>
  Object.values(fold(v).parts)
    .filter((p) => p.role === 'assistant')
    .map((p) => p.text)
    .join('\n');
const toolOf = (v: RawSseViewer, callId: string): ToolData | undefined => fold(v).tools[callId];
const stateOf = () => server.registry.get(AGENT)!.status().state;

/** Sends a prompt through agent-stream and waits for the permission kilo asks for. */
async function promptUntilAsked(v: RawSseViewer, text: string): Promise<PermissionData> {
  const before = ofType(v, 'permission').length;
  expect((await post(`/agents/${AGENT}/prompt`, { text })).status).toBe(202);
  await until('permission.asked', () =>
    ofType(v, 'permission')
      .slice(before)
      .some((p) => p.state === 'asked'),
  );
  return ofType(v, 'permission')
    .slice(before)
    .find((p) => p.state === 'asked')!;
}

/** Waits until the agent went idle after event index `from` of `v` (the turn ended). */
const idleAfter = (v: RawSseViewer, from: number) =>
  until('the turn to end (idle)', () => ofType(v, 'status', from).some((s) => s.state === 'idle') && stateOf() === 'idle');

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'acting-e2e-')));
  llm = await createFakeLlm({ turns: SCRIPT });
  kilo = await launchKilo({ config: askingKiloConfig(llm.baseURL), tempParent: root });
  sessionId = (await createKiloSessionClient({ baseUrl: kilo.url }).createSession({ title: 'acting' })).id;
  const auth = createTokenAuth({ token: TOKEN, watchToken: WATCH_TOKEN });
  server = createControlServer({ port: 0, authorize: auth.authorize, login: auth.login, identify: auth.identify });
  server.attachKilo({ url: kilo.url, agentId: AGENT, sessionId, initialDelayMs: 100, maxDelayMs: 500 });
  url = (await server.listen()).url;
}, 40_000);

// A test that failed mid-turn must not leave the next one waiting behind a pending request.
afterEach(async () => {
  if (!server?.registry.get(AGENT) || stateOf() === 'idle') return;
  await post(`/agents/${AGENT}/abort`);
  await until('idle after the cleanup abort', () => stateOf() === 'idle', 10_000).catch(() => undefined);
});

afterAll(async () => {
  viewers.forEach((v) => v.close());
  await server?.close();
  await kilo?.stop();
  await llm?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('acting on a live kilo agent (real kilo, fake LLM, attach mode)', () => {
  it('a permission set to "ask": the turn stops, every viewer sees the request; "once" runs the tool and every viewer sees who allowed it', async () => {
    const [a, b] = [await view(), await view()];
    await until('both streams open', () => [a, b].every((v) => v.events().length >= 1));
    const asked = await promptUntilAsked(a, 'Run echo permitted.');
    expect(asked).toMatchObject({ state: 'asked', title: 'bash: echo permitted', patterns: ['echo permitted'] });
    // `tool` is known only when kilo's tool part came before its permission.asked (kilo sends either order).
    expect([undefined, 'bash']).toContain(asked.tool);
    expect(asked.requestId).toMatch(/^per_/);
    await until('viewer B sees the request', () => ofType(b, 'permission').some((p) => p.requestId === asked.requestId));
    // The turn waits: busy, the tool not finished; a late viewer sees the pending request too.
    await new Promise((r) => setTimeout(r, 500));
    expect(stateOf()).toBe('busy');
    expect(toolOf(a, asked.callId!)?.status).toBe('running');
    const late = await view();
    await until('the late viewer sees the pending request', () => fold(late).permissions[asked.requestId]?.state === 'asked');
    expect(fold(late).status?.state).toBe('busy');

    const from = a.events().length;
    expect(await post(`/agents/${AGENT}/permissions/${asked.requestId}`, { response: 'once', by: 'Alice' })).toEqual({
      status: 202,
      code: undefined,
      message: undefined,
    });
    await until('the tool completes', () => toolOf(a, asked.callId!)?.status === 'completed');
    expect(toolOf(a, asked.callId!)?.output).toContain('permitted');
    await idleAfter(a, from);
    await until('the answer after the tool', () => assistantText(a).includes('Allowed and done.'));
    for (const v of [a, b, late]) {
      await until('the reply on every viewer', () => fold(v).permissions[asked.requestId]?.state === 'replied');
      const view = fold(v);
      expect(view.permissions[asked.requestId]).toMatchObject({ state: 'replied', response: 'once', by: 'Alice (operator token)' });
      expect(view.actions).toContainEqual(
        expect.objectContaining({ kind: 'permission', requestId: asked.requestId, response: 'once', by: 'Alice (operator token)' }),
      );
      expect(view.actions).toContainEqual(expect.objectContaining({ kind: 'prompt', text: 'Run echo permitted.' }));
    }
    // Answered: a second answer is refused, and kilo is not asked again.
    expect(await post(`/agents/${AGENT}/permissions/${asked.requestId}`, { response: 'reject' })).toMatchObject({
      status: 409,
      code: 'not_pending',
    });
    expect(await post(`/agents/${AGENT}/permissions/per_unknown`, { response: 'once' })).toMatchObject({ status: 404 });
  });

  it('"reject": the tool ends in error and the turn goes on to the end (idle)', async () => {
    const v = await view();
    const asked = await promptUntilAsked(v, 'Run echo rejected.');
    const from = v.events().length;
    expect((await post(`/agents/${AGENT}/permissions/${asked.requestId}`, { response: 'reject', by: 'Bob' })).status).toBe(202);
    await until('the tool fails', () => toolOf(v, asked.callId!)?.status === 'error');
    expect(toolOf(v, asked.callId!)?.error).toMatch(/rejected/i);
    await until('the turn goes on', () => assistantText(v).includes('Went on after the reject.'));
    await idleAfter(v, from);
    expect(fold(v).permissions[asked.requestId]).toMatchObject({ state: 'replied', response: 'reject', by: 'Bob (operator token)' });
    expect(fold(v).actions.at(-1)).toMatchObject({ kind: 'permission', response: 'reject', by: 'Bob (operator token)' });
  });

  it('two simultaneous replies to one request: one 202, one 409 not_pending; kilo gets one answer', async () => {
    const v = await view();
    const asked = await promptUntilAsked(v, 'Run echo raced.');
    const from = v.events().length;
    const answers = await Promise.all([
      post(`/agents/${AGENT}/permissions/${asked.requestId}`, { response: 'once', by: 'Carol' }),
      post(`/agents/${AGENT}/permissions/${asked.requestId}`, { response: 'reject', by: 'Dave' }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([202, 409]);
    expect(answers.find((r) => r.status === 409)!.code).toBe('not_pending');
    const winner =
      answers[0]!.status === 202 ? { by: 'Carol (operator token)', status: 'completed' } : { by: 'Dave (operator token)', status: 'error' };
    await until('the tool ends', () => toolOf(v, asked.callId!)?.status === winner.status);
    await idleAfter(v, from);
    expect(ofType(v, 'action').filter((x) => x.requestId === asked.requestId)).toEqual([expect.objectContaining({ by: winner.by })]);
    expect(ofType(v, 'permission').filter((p) => p.requestId === asked.requestId && p.state === 'replied')).toHaveLength(1);
  });

  it("a question (kilo's question tool) answered through POST answers: the tool completes with that answer", async () => {
    const v = await view();
    const from = v.events().length;
    expect((await post(`/agents/${AGENT}/prompt`, { text: 'Ask me a colour.' })).status).toBe(202);
    await until('question asked', () => ofType(v, 'question', from).some((q) => q.state === 'asked'));
    const q: QuestionData = ofType(v, 'question', from).find((x) => x.state === 'asked')!;
    expect(q.requestId).toMatch(/^que_/);
    expect(q.questions).toEqual([
      {
        question: 'Which colour?',
        header: 'Colour',
        options: [
          { label: 'Red', description: 'warm' },
          { label: 'Blue', description: 'cool' },
        ],
      },
    ]);
    expect(stateOf()).toBe('busy');
    expect(await post(`/agents/${AGENT}/questions/${q.requestId}`, { answers: [['Blue']], by: 'Erin' })).toMatchObject({ status: 202 });
    await until('the question tool completes', () => toolOf(v, q.callId!)?.status === 'completed');
    expect(toolOf(v, q.callId!)?.output).toContain('Blue');
    await until('the answer after the tool', () => assistantText(v).includes('Blue it is.'));
    await idleAfter(v, from);
    expect(fold(v).questions[q.requestId]).toMatchObject({ state: 'replied', answers: [['Blue']], by: 'Erin (operator token)' });
    expect(fold(v).actions).toContainEqual(expect.objectContaining({ kind: 'question', requestId: q.requestId, answers: [['Blue']] }));
    expect(await post(`/agents/${AGENT}/questions/${q.requestId}`, { answers: [['Red']] })).toMatchObject({
      status: 409,
      code: 'not_pending',
    });
    expect(await post(`/agents/${AGENT}/questions/${q.requestId}/reject`)).toMatchObject({ status: 409, code: 'not_pending' });
  });

  it('POST /prompt starts a new turn on the live agent: busy, then idle with new assistant text', async () => {
    const v = await view();
    await until('the stream', () => v.events().length >= 1);
    expect(stateOf()).toBe('idle');
    const from = v.events().length;
    expect(await post(`/agents/${AGENT}/prompt`, { text: 'Say something fresh.', by: 'Frank' })).toMatchObject({ status: 202 });
    await until('busy', () => ofType(v, 'status', from).some((s) => s.state === 'busy'));
    await idleAfter(v, from);
    await until('the new answer', () => assistantText(v).includes('A fresh turn answer.'));
    expect(ofType(v, 'action', from)).toEqual([
      expect.objectContaining({ kind: 'prompt', text: 'Say something fresh.', by: 'Frank (operator token)' }),
    ]);
    const userText = Object.values(fold(v).parts).filter((p) => p.role === 'user');
    expect(userText.map((p) => p.text)).toContain('Say something fresh.');
  });

  it('POST /abort mid-stream ends the turn as interrupted (MessageAbortedError), status back to idle', async () => {
    const v = await view();
    await until('the stream', () => v.events().length >= 1);
    const from = v.events().length;
    expect((await post(`/agents/${AGENT}/prompt`, { text: 'Talk slowly.' })).status).toBe(202);
    await until(
      'streaming text',
      () =>
        v
          .events()
          .slice(from)
          .filter((e) => e.data?.includes('"delta"')).length >= 10,
    );
    expect(stateOf()).toBe('busy');
    expect(await post(`/agents/${AGENT}/abort`, { by: 'Grace' })).toMatchObject({ status: 202 });
    await until('the abort error', () => ofType(v, 'error', from).some((e) => e.name === 'MessageAbortedError'));
    await idleAfter(v, from);
    expect(ofType(v, 'error', from).filter((e) => e.name === 'MessageAbortedError')).toHaveLength(1);
    expect(assistantText(v)).toContain('slow9 ');
    expect(assistantText(v)).not.toContain('slow299');
    expect(ofType(v, 'action', from).map((x) => [x.kind, x.by])).toEqual([
      ['prompt', 'operator token'],
      ['abort', 'Grace (operator token)'],
    ]);
    // kilo agrees: the session is idle, its last message failed with the abort.
    const messages = (await (await fetch(`${kilo.url}/session/${sessionId}/message`)).json()) as { info: { error?: { name: string } } }[];
    expect(messages.at(-1)!.info.error?.name).toBe('MessageAbortedError');
  });

  it('a watch-only caller gets 403 forbidden on every act route (and no credentials 401); nothing reaches kilo', async () => {
    const requestsBefore = llm.requests.length;
    const routes: [string, unknown][] = [
      [`/agents/${AGENT}/prompt`, { text: 'not allowed' }],
      [`/agents/${AGENT}/abort`, undefined],
      [`/agents/${AGENT}/permissions/per_x`, { response: 'once' }],
      [`/agents/${AGENT}/questions/que_x`, { answers: [['A']] }],
      [`/agents/${AGENT}/questions/que_x/reject`, undefined],
    ];
    for (const [path, body] of routes) {
      expect({ path, ...(await post(path, body, WATCH_TOKEN)) }).toMatchObject({ path, status: 403, code: 'forbidden' });
      expect({ path, ...(await post(path, body, null)) }).toMatchObject({ path, status: 401, code: 'unauthenticated' });
    }
    // The watch token still watches.
    const r = await fetch(`${url}/agents/${AGENT}`, { headers: bearer(WATCH_TOKEN) });
    expect(r.status).toBe(200);
    await new Promise((res) => setTimeout(res, 300));
    expect(llm.requests.length).toBe(requestsBefore);
    expect(stateOf()).toBe('idle');
  });
});
