import { Subject } from 'rxjs';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { fileEvent, status } from '../helpers/kilo-builders';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';
import { waitUntil } from '../helpers/wait-until';

let t: TestControlServer;
const b = new Subject<KiloEvent>();

beforeAll(async () => {
  t = await startTestControlServer({ agentId: 'a1' });
  t.server.registry.add(createManagedAgent({ agentId: 'a2', sessionId: 'ses_test', events: b, firstId: 1 }));
});
afterAll(() => t.close());

const ticket = async (body: unknown) => {
  const res = await fetch(`${t.url}/stream-ticket`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { ticket?: string; streamUrl?: string; error?: { code: string } } };
};

/** Reads a stream into `text` until aborted. */
async function open(query: string) {
  const controller = new AbortController();
  const res = await fetch(`${t.url}/stream?${query}`, { signal: controller.signal });
  const s = { status: res.status, text: '', close: () => controller.abort() };
  if (res.status === 200) {
    const reader = res.body!.getReader();
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        s.text += new TextDecoder().decode(value);
      }
    })();
  } else s.text = await res.text();
  return s;
}

/** The frames of `text` as [agent, event, id, data] */
const framesOf = (text: string) =>
  text
    .split('\n\n')
    .filter((f) => f.includes('data: '))
    .map((f) => {
      const get = (k: string) => (/^(?:id|event|data): /m.test(f) ? (new RegExp(`^${k}: (.*)$`, 'm').exec(f)?.[1] ?? null) : null);
      const data = JSON.parse(get('data')!) as { agent: string; data: unknown };
      return { agent: data.agent, event: get('event'), id: get('id'), data: data.data };
    });

describe('the multiplexed stream (POST /stream-ticket, GET /stream)', () => {
  it('one ticket, one response, every agent tagged; resume per agent; bad input is a typed 4xx', async () => {
    t.upstream.next(fileEvent(1));
    b.next(fileEvent(2));
    const issued = await ticket({ agents: ['a1', 'a2'] });
    expect(issued.status).toBe(201);
    expect(issued.body.streamUrl).toBe(`/stream?ticket=${issued.body.ticket}`);
    const s = await open(`ticket=${issued.body.ticket}`);
    expect(s.status).toBe(200);
    await waitUntil('both histories', () => framesOf(s.text).filter((f) => f.event === 'file').length === 2, 5000);
    t.upstream.next(fileEvent(3));
    b.next(status('busy'));
    await waitUntil(
      'live frames of both',
      () => framesOf(s.text).some((f) => f.agent === 'a1' && JSON.stringify(f.data).includes('/f3')),
      5000,
    );
    await waitUntil(
      'a2 busy',
      () => framesOf(s.text).some((f) => f.agent === 'a2' && f.event === 'status' && JSON.stringify(f.data).includes('busy')),
      5000,
    );
    const frames = framesOf(s.text);
    expect(
      frames
        .filter((f) => f.event === 'file')
        .map((f) => [f.agent, f.id, (f.data as { path: string }).path])
        .sort(),
    ).toEqual([
      ['a1', 'a1:1', '/f1'],
      ['a1', 'a1:2', '/f3'],
      ['a2', 'a2:1', '/f2'],
    ]);
    s.close();

    // resume: a1 from its id 1, a2 from 0 → a1 gets only /f3, a2 everything
    const again = await ticket({ agents: ['a1', 'a2'] });
    const r = await open(`ticket=${again.body.ticket}&last=a1:1&last=a2:0`);
    await waitUntil('resumed', () => framesOf(r.text).filter((f) => f.event === 'file').length === 2, 5000);
    expect(
      framesOf(r.text)
        .filter((f) => f.event === 'file')
        .map((f) => f.id),
    ).toEqual(expect.arrayContaining(['a1:2', 'a2:1']));
    r.close();

    expect((await ticket({ agents: [] })).body.error?.code).toBe('bad_request');
    expect((await ticket({ agents: ['a1', 'a1'] })).status).toBe(400);
    expect((await ticket({ agents: ['zz'] })).body.error?.code).toBe('agent_not_found');
    expect((await open('ticket=nope')).status).toBe(400);
    const used = await open(`ticket=${issued.body.ticket}`);
    expect(used.status).toBe(401);
    const single = (await (await fetch(`${t.url}/agents/a1/stream-ticket`, { method: 'POST' })).json()) as { ticket: string };
    expect((await open(`ticket=${single.ticket}`)).status).toBe(403);
  });
});

describe('viewers of the multiplexed stream', () => {
  const viewersOf = async (id: string) =>
    ((await (await fetch(`${t.url}/agents`)).json()) as { agents: { id: string; viewers: number }[] }).agents.find((a) => a.id === id)
      ?.viewers;

  it('are counted per agent in GET /agents while they watch; an agent that ends stops counting them, the others when the stream closes', async () => {
    const c = new Subject<KiloEvent>();
    const ending = createManagedAgent({ agentId: 'a3', sessionId: 'ses_test', events: c, firstId: 1 });
    t.server.registry.add(ending);
    const issued = await ticket({ agents: ['a1', 'a3'] });
    const s = await open(`ticket=${issued.body.ticket}`);
    const before = (await viewersOf('a1'))!;
    await waitUntil('both counted', async () => (await viewersOf('a3')) === 1);
    expect(before).toBeGreaterThanOrEqual(1);
    ending.stop('stopped');
    await waitUntil('the ended agent no longer counts it', async () => (await viewersOf('a3')) === 0);
    expect(await viewersOf('a1')).toBe(before);
    s.close();
    await waitUntil('the closed stream no longer counted', async () => (await viewersOf('a1')) === before - 1);
  });
});
