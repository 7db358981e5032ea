// GET /agents/:agentId/stream checks a request in protocol order (docs/protocol.md §4.2): the
// query (400 ticket_missing, ticket_malformed, bad_query: consuming nothing), the ticket (401
// ticket_invalid), its agent (403 ticket_agent_mismatch), the agent (404 agent_not_found), then
// shutdown (503 shutting_down). Each request below is wrong in two or more ways: the first check
// in that order answers, and the ticket is consumed exactly when the query was fine.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Subject } from 'rxjs';
import { createAgentRegistry } from '../../src/agent/create-agent-registry';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createAgentStreamRouter } from '../../src/server/create-agent-stream-router';
import { createMemoryTicketStore } from '../../src/tickets/create-memory-ticket-store';
import type { TicketStore } from '../../src/tickets/ticket-store';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';

/** A well-formed ticket no store ever issued. */
const NEVER_ISSUED = '2c6c2b4e-4f8e-4a59-9a0c-5d5b8f0e9a11';
const TTL_MS = 60_000;

let clock = 1_000_000;
let tickets: TicketStore;
beforeEach(() => {
  clock = 1_000_000;
  tickets = createMemoryTicketStore({ now: () => clock, capacityPerAgent: 1000 });
});

/**
 * Fills the ticket placeholders of `path`: `{a1}` a live ticket for agent a1, `{used a1}` one
 * already presented, `{expired a1}` one past its 60 s, `{never-issued}` a UUID no store knows.
 * Returns the path and the live tickets in it.
 */
async function withTickets(path: string): Promise<{ path: string; live: string[] }> {
  const live: string[] = [];
  const filled = new Map<string, string>();
  const placeholders = [...path.matchAll(/\{(?:(used|expired) )?([\w-]+)\}/g)];
  // Expired ones first: the clock then moves past them, and the others are issued after it.
  for (const [whole, , agentId] of placeholders.filter((m) => m[1] === 'expired'))
    filled.set(whole, (await tickets.issue(agentId!)).ticket);
  if (filled.size > 0) clock += TTL_MS + 1;
  for (const [whole, state, agentId] of placeholders.filter((m) => m[1] !== 'expired')) {
    if (agentId === 'never-issued') {
      filled.set(whole, NEVER_ISSUED);
      continue;
    }
    const { ticket } = await tickets.issue(agentId!);
    if (state === 'used') expect(await tickets.consume(ticket)).toEqual({ ok: true, agentId });
    else live.push(ticket);
    filled.set(whole, ticket);
  }
  return { path: path.replace(/\{[^}]*\}/g, (p) => filled.get(p)!), live };
}

/** GETs the stream; the JSON error of a refused one (a 200 is read no further). */
async function getStream(base: string, path: string, header: string | undefined) {
  const r = await fetch(`${base}${path}`, { headers: header === undefined ? {} : { 'Last-Event-ID': header } });
  if (r.status === 200) {
    await r.body?.cancel();
    return { status: 200, body: null };
  }
  return { status: r.status, body: (await r.json()) as unknown };
}

async function expectAnswer(base: string, row: { path: string; header?: string; status: number; code: string }) {
  const { path, live } = await withTickets(row.path);
  const r = await getStream(base, path, row.header);
  expect(r).toEqual({ status: row.status, body: { error: { code: row.code, message: expect.any(String) } } });
  // The 400s consume nothing; every later check comes after the ticket was consumed.
  for (const ticket of live) expect((await tickets.consume(ticket)).ok).toBe(row.status === 400);
}

describe('the stream checks in protocol order, on a control server', () => {
  let t: TestControlServer;
  beforeEach(async () => {
    t = await startTestControlServer({ tickets, ticketRate: false });
    t.server.registry.add(createManagedAgent({ agentId: 'other', events: new Subject<KiloEvent>() }));
  });
  afterEach(() => t.close());

  it.each`
    path                                                        | header       | status | code                       | wrong
    ${'/agents/nope/stream?types=bogus'}                        | ${undefined} | ${400} | ${'ticket_missing'}        | ${'no ticket, an unknown types name, no such agent'}
    ${'/agents/a1/stream?ticket=&lastEventId=x'}                | ${'-1'}      | ${400} | ${'ticket_missing'}        | ${'an empty ticket, a bad lastEventId and Last-Event-ID'}
    ${'/agents/a1/stream?ticket=abc&types=tool&types=file'}     | ${undefined} | ${400} | ${'ticket_malformed'}      | ${'a ticket that is no UUID, a repeated parameter'}
    ${'/agents/nope/stream?ticket=abc'}                         | ${undefined} | ${400} | ${'ticket_malformed'}      | ${'a ticket that is no UUID, no such agent'}
    ${'/agents/a1/stream?ticket={a1}&ticket=abc'}               | ${undefined} | ${400} | ${'bad_query'}             | ${'the ticket repeated, one copy no UUID'}
    ${'/agents/a1/stream?ticket={never-issued}&types=bogus'}    | ${undefined} | ${400} | ${'bad_query'}             | ${'an unknown types name, an unknown ticket'}
    ${'/agents/a1/stream?ticket={used a1}&lastEventId=-1'}      | ${undefined} | ${400} | ${'bad_query'}             | ${'a negative lastEventId, a used ticket'}
    ${'/agents/a1/stream?ticket={expired a1}'}                  | ${'x'}       | ${400} | ${'bad_query'}             | ${'a bad Last-Event-ID, an expired ticket'}
    ${'/agents/a1/stream?ticket={other}&types=tool&types=file'} | ${undefined} | ${400} | ${'bad_query'}             | ${"a repeated parameter, another agent's ticket"}
    ${'/agents/nope/stream?ticket={nope}&lastEventId=1.5'}      | ${undefined} | ${400} | ${'bad_query'}             | ${'a fractional lastEventId, no such agent'}
    ${'/agents/nope/stream?ticket={never-issued}'}              | ${undefined} | ${401} | ${'ticket_invalid'}        | ${'an unknown ticket, no such agent'}
    ${'/agents/other/stream?ticket={used a1}'}                  | ${undefined} | ${401} | ${'ticket_invalid'}        | ${'a used ticket, of another agent'}
    ${'/agents/a1/stream?ticket={expired other}'}               | ${undefined} | ${401} | ${'ticket_invalid'}        | ${'an expired ticket, of another agent'}
    ${'/agents/nope/stream?ticket={expired nope}'}              | ${undefined} | ${401} | ${'ticket_invalid'}        | ${'an expired ticket, no such agent'}
    ${'/agents/nope/stream?ticket={a1}'}                        | ${undefined} | ${403} | ${'ticket_agent_mismatch'} | ${"another agent's ticket, no such agent"}
    ${'/agents/nope/stream?ticket={other}&lastEventId=99'}      | ${undefined} | ${403} | ${'ticket_agent_mismatch'} | ${"another agent's ticket, no such agent (an id never given out is no error)"}
  `('$status $code for $wrong: $path', async (row) => {
    await expectAnswer(t.url, row);
  });
});

describe('the stream checks in protocol order, while shutting down', () => {
  // A control server that is closing no longer accepts connections and drops its agents at once,
  // so a request reaches the check only through the stream router told it is shutting down (the
  // control server's own router and stream handler are the same code, given its `isShuttingDown`).
  let server: http.Server;
  let base: string;
  beforeEach(async () => {
    const registry = createAgentRegistry();
    for (const agentId of ['a1', 'other']) registry.add(createManagedAgent({ agentId, events: new Subject<KiloEvent>() }));
    const app = express();
    app.use(createAgentStreamRouter({ registry, tickets, isShuttingDown: () => true, ticketRate: false }));
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('answers 503 shutting_down when that is all that is wrong (so the rows below are asked while shutting down)', async () => {
    await expectAnswer(base, { path: '/agents/a1/stream?ticket={a1}', status: 503, code: 'shutting_down' });
  });

  it.each`
    path                                           | status | code                       | wrong
    ${'/agents/a1/stream?ticket={a1}&types=bogus'} | ${400} | ${'bad_query'}             | ${'shutting down, an unknown types name'}
    ${'/agents/a1/stream?ticket={never-issued}'}   | ${401} | ${'ticket_invalid'}        | ${'shutting down, an unknown ticket'}
    ${'/agents/a1/stream?ticket={other}'}          | ${403} | ${'ticket_agent_mismatch'} | ${"shutting down, another agent's ticket"}
    ${'/agents/nope/stream?ticket={nope}'}         | ${503} | ${'shutting_down'}         | ${'shutting down, no such agent (a closing server has let its agents go)'}
  `('$status $code for $wrong: $path', async (row) => {
    await expectAnswer(base, row);
  });
});
