import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';
import { createMemoryTicketStore } from '../../src/tickets/create-memory-ticket-store';
import { openSse } from '../helpers/sse-client';

let t: TestControlServer;
let clock = 1_000_000;
beforeEach(async () => {
  clock = 1_000_000;
  // One client asks for many tickets here: no per-address limit, no per-agent share (tested in security.test.ts).
  t = await startTestControlServer({ tickets: createMemoryTicketStore({ now: () => clock, capacityPerAgent: 1000 }), ticketRate: false });
  t.server.registry.add(
    (await import('../../src/agent/create-managed-agent')).createManagedAgent({ agentId: 'other', events: t.upstream }),
  );
});
afterEach(() => t.close());

const ticket = async (agent = 'a1') =>
  ((await (await fetch(`${t.url}/agents/${agent}/stream-ticket`, { method: 'POST' })).json()) as { ticket: string }).ticket;
const get = async (path: string, headers: Record<string, string> = {}) => {
  const r = await fetch(`${t.url}${path}`, { headers });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
};
const expectError = (r: { status: number; body: unknown }, status: number, code: string) => {
  expect(r.status).toBe(status);
  expect(r.body).toEqual({ error: { code, message: expect.any(String) } });
};

describe('POST /agents/:agentId/stream-ticket', () => {
  it('answers 201 with a ticket, its expiry 60 s ahead and the relative stream URL', async () => {
    const r = await fetch(`${t.url}/agents/a1/stream-ticket`, { method: 'POST' });
    expect(r.status).toBe(201);
    const body = await r.json();
    expect(body).toEqual({
      ticket: expect.stringMatching(/^[0-9a-f-]{36}$/),
      expiresAt: new Date(clock + 60_000).toISOString(),
      streamUrl: `/agents/a1/stream?ticket=${body.ticket}`,
    });
  });

  it('answers 404 agent_not_found for an unknown agent', async () => {
    const r = await fetch(`${t.url}/agents/nope/stream-ticket`, { method: 'POST' });
    expectError({ status: r.status, body: await r.json() }, 404, 'agent_not_found');
  });

  it('answers 503 ticket_capacity with Retry-After once 1000 tickets are outstanding', async () => {
    for (let i = 0; i < 1000; i++) expect((await fetch(`${t.url}/agents/a1/stream-ticket`, { method: 'POST' })).status).toBe(201);
    const r = await fetch(`${t.url}/agents/a1/stream-ticket`, { method: 'POST' });
    expectError({ status: r.status, body: await r.json() }, 503, 'ticket_capacity');
    expect(r.headers.get('retry-after')).toBe('60');
    clock += 60_000; // all expire: swept, issuing works again
    expect((await fetch(`${t.url}/agents/a1/stream-ticket`, { method: 'POST' })).status).toBe(201);
  });

  it('answers 405 with the JSON shape for another method', async () => {
    const r = await fetch(`${t.url}/agents/a1/stream-ticket`);
    expectError({ status: r.status, body: await r.json() }, 405, 'method_not_allowed');
  });
});

describe('GET /agents/:agentId/stream errors, in SPEC order', () => {
  it('400 ticket_missing', async () => {
    expectError(await get('/agents/a1/stream'), 400, 'ticket_missing');
    expectError(await get('/agents/a1/stream?ticket='), 400, 'ticket_missing');
  });

  it('400 ticket_malformed', async () => {
    expectError(await get('/agents/a1/stream?ticket=abc'), 400, 'ticket_malformed');
  });

  it.each([
    ['an unknown types name', '&types=tool,bogus'],
    ['an empty types list', '&types='],
    ['a lastEventId that is not a number', '&lastEventId=abc'],
    ['a negative lastEventId', '&lastEventId=-1'],
    ['a fractional lastEventId', '&lastEventId=1.5'],
    ['a repeated parameter', '&types=tool&types=file'],
  ])('400 bad_query for %s, consuming nothing', async (_n, extra) => {
    const tk = await ticket();
    expectError(await get(`/agents/a1/stream?ticket=${tk}${extra}`), 400, 'bad_query');
    const ok = await openSse(`${t.url}/agents/a1/stream?ticket=${tk}`);
    expect(ok.status).toBe(200);
    ok.close();
  });

  it('a lastEventId this instance never gave out (ahead of it: an earlier instance whose clock ran ahead) starts over with reset, never a 400', async () => {
    const v = await openSse(`${t.url}/agents/a1/stream?ticket=${await ticket()}&lastEventId=99`);
    expect(v.status).toBe(200);
    await v.waitFor((x) => x.events().length >= 2);
    expect(
      v
        .events()
        .slice(0, 2)
        .map((e) => e.event),
    ).toEqual(['status', 'reset']);
    v.close();
  });

  it('400 bad_query for a bad Last-Event-ID header', async () => {
    expectError(await get(`/agents/a1/stream?ticket=${await ticket()}`, { 'Last-Event-ID': 'x' }), 400, 'bad_query');
  });

  it('treats an empty Last-Event-ID header as none, and sees parameters after a stray "?"', async () => {
    const r = await openSse(`${t.url}/agents/a1/stream?ticket=${await ticket()}`, { 'Last-Event-ID': '' });
    expect(r.status).toBe(200);
    r.close();
    expectError(await get(`/agents/a1/stream?ticket=${await ticket()}?&lastEventId=abc`), 400, 'ticket_malformed');
    expectError(await get(`/agents/a1/stream?ticket=${await ticket()}&x=?&lastEventId=abc`), 400, 'bad_query');
  });

  it('answers HEAD with 405 without consuming the ticket', async () => {
    const tk = await ticket();
    const head = await fetch(`${t.url}/agents/a1/stream?ticket=${tk}`, { method: 'HEAD' });
    expect(head.status).toBe(405);
    const ok = await openSse(`${t.url}/agents/a1/stream?ticket=${tk}`);
    expect(ok.status).toBe(200);
    ok.close();
  });

  it('400 ticket_missing is reported before bad_query', async () => {
    expectError(await get('/agents/a1/stream?types=bogus'), 400, 'ticket_missing');
    expectError(await get('/agents/a1/stream?ticket=zz&types=bogus'), 400, 'ticket_malformed');
  });

  it('401 ticket_invalid for an unknown, a reused and an expired ticket', async () => {
    expectError(await get('/agents/a1/stream?ticket=2c6c2b4e-4f8e-4a59-9a0c-5d5b8f0e9a11'), 401, 'ticket_invalid');
    const tk = await ticket();
    const first = await openSse(`${t.url}/agents/a1/stream?ticket=${tk}`);
    expect(first.status).toBe(200);
    first.close();
    expectError(await get(`/agents/a1/stream?ticket=${tk}`), 401, 'ticket_invalid');
    const old = await ticket();
    clock += 60_001;
    expectError(await get(`/agents/a1/stream?ticket=${old}`), 401, 'ticket_invalid');
  });

  it("403 ticket_agent_mismatch for another agent's ticket, which is consumed anyway", async () => {
    const tk = await ticket('other');
    expectError(await get(`/agents/a1/stream?ticket=${tk}`), 403, 'ticket_agent_mismatch');
    expectError(await get(`/agents/other/stream?ticket=${tk}`), 401, 'ticket_invalid');
  });

  it("404 agent_not_found when the ticket's agent is gone", async () => {
    const tk = await ticket('other');
    t.server.registry.remove('other');
    expectError(await get(`/agents/other/stream?ticket=${tk}`), 404, 'agent_not_found');
  });

  it('counts the rejections by reason in /metrics', async () => {
    await get('/agents/a1/stream');
    await get('/agents/a1/stream?ticket=2c6c2b4e-4f8e-4a59-9a0c-5d5b8f0e9a11');
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/agent_stream_tickets_rejected_total\{reason="ticket_missing"\} 1/);
    expect(text).toMatch(/agent_stream_tickets_rejected_total\{reason="ticket_invalid"\} 1/);
  });
});
