// createAgentActions: the acting routes of docs/protocol.md §7 as calls (issue 13).
import { AgentActionError, createAgentActions } from '../../src/client';

interface Call {
  url: string;
  init: RequestInit;
}

function recordingFetch(replies: Array<{ status: number; body?: unknown } | Error> = []) {
  const calls: Call[] = [];
  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    calls.push({ url, init: init ?? {} });
    const reply = replies.shift() ?? { status: 202, body: { accepted: true } };
    if (reply instanceof Error) throw reply;
    return { status: reply.status, ok: reply.status >= 200 && reply.status < 300, json: async () => reply.body } as unknown as Response;
  };
  return { fetch, calls };
}

const bodyOf = (c: Call) => JSON.parse(String(c.init.body)) as unknown;

it('each call posts JSON to its route, same origin with the cookie, with `by` when a name is set', async () => {
  const { fetch, calls } = recordingFetch();
  let name = 'alice';
  const act = createAgentActions({ agentId: 'a/1', baseUrl: '/api/', fetch, by: () => name });
  await act.prompt('fix the tests');
  await act.abort();
  await act.permission('per 1', 'always');
  await act.question('que_1', [['red'], ['S', 'M']]);
  name = '  ';
  await act.question('que_1', null);
  expect(calls.map((c) => [c.url, c.init.method, c.init.credentials, bodyOf(c)])).toEqual([
    ['/api/agents/a%2F1/prompt', 'POST', 'same-origin', { text: 'fix the tests', by: 'alice' }],
    ['/api/agents/a%2F1/abort', 'POST', 'same-origin', { by: 'alice' }],
    ['/api/agents/a%2F1/permissions/per%201', 'POST', 'same-origin', { response: 'always', by: 'alice' }],
    ['/api/agents/a%2F1/questions/que_1', 'POST', 'same-origin', { answers: [['red'], ['S', 'M']], by: 'alice' }],
    ['/api/agents/a%2F1/questions/que_1/reject', 'POST', 'same-origin', {}],
  ]);
  expect((calls[0]!.init.headers as Record<string, string>)['content-type']).toBe('application/json');
});

it('a refusal rejects with the status and the server code; no server: status 0', async () => {
  const { fetch } = recordingFetch([
    { status: 409, body: { error: { code: 'not_pending', message: 'the permission request "per_1" was already answered' } } },
    { status: 403, body: { error: { code: 'forbidden', message: 'not allowed to act' } } },
    { status: 502, body: 'not json' },
    new TypeError('Failed to fetch'),
  ]);
  const act = createAgentActions({ agentId: 'a1', fetch });
  await expect(act.permission('per_1', 'once')).rejects.toMatchObject({ name: 'AgentActionError', status: 409, code: 'not_pending' });
  await expect(act.abort()).rejects.toMatchObject({ status: 403, code: 'forbidden', message: 'not allowed to act' });
  await expect(act.prompt('x')).rejects.toMatchObject({ status: 502, code: 'http_502', message: 'HTTP 502' });
  const err = await act.prompt('x').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AgentActionError);
  expect(err).toMatchObject({ status: 0, code: 'network' });
});
