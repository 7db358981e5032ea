import fc from 'fast-check';
import { createMemoryTicketStore } from '../../src/tickets/create-memory-ticket-store';
import { TicketCapacityError } from '../../src/tickets/ticket-store';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createMemoryTicketStore', () => {
  it('issues random v4 UUIDs bound to an agent, expiring after the TTL', async () => {
    const t = 1_000_000;
    const store = createMemoryTicketStore({ now: () => t });
    const a = await store.issue('demo');
    const b = await store.issue('demo');
    expect(a.ticket).toMatch(UUID_V4);
    expect(a.ticket).not.toBe(b.ticket);
    expect(a.expiresAt.getTime()).toBe(t + 60_000);
    expect(a.agentId).toBe('demo');
  });

  it('is consumed by its first use', async () => {
    const store = createMemoryTicketStore();
    const { ticket } = await store.issue('demo');
    expect(await store.consume(ticket)).toEqual({ ok: true, agentId: 'demo' });
    expect(await store.consume(ticket)).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.consume('never-issued')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses an expired ticket (injected clock)', async () => {
    let t = 0;
    const store = createMemoryTicketStore({ now: () => t, ttlMs: 60_000 });
    const { ticket } = await store.issue('demo');
    t = 59_999;
    const { ticket: second } = await store.issue('demo');
    t = 60_000;
    expect(await store.consume(ticket)).toEqual({ ok: false, reason: 'expired' });
    expect(await store.consume(second)).toEqual({ ok: true, agentId: 'demo' });
  });

  it('caps each agent at capacityPerAgent, so a flood on one agent leaves the others their tickets', async () => {
    let t = 0;
    const store = createMemoryTicketStore({ now: () => t, capacity: 100, capacityPerAgent: 10 });
    const flood = [];
    for (let i = 0; i < 10; i++) flood.push(await store.issue('busy'));
    t += 5000;
    const err = await store.issue('busy').catch((e) => e);
    expect(err).toBeInstanceOf(TicketCapacityError);
    expect([err.agentId, err.retryAfterSeconds]).toEqual(['busy', 55]);
    expect((await store.issue('quiet')).agentId).toBe('quiet');
    await store.consume(flood[0]!.ticket); // a consumed ticket frees its slot
    expect((await store.issue('busy')).agentId).toBe('busy');
    t += 60_000; // expired ones too
    for (let i = 0; i < 10; i++) await store.issue('busy');
  });

  it('expires on a monotonic clock by default: a wall-clock jump changes nothing', async () => {
    const store = createMemoryTicketStore({ ttlMs: 60_000 });
    const { ticket } = await store.issue('demo');
    const realNow = Date.now;
    Date.now = () => realNow() + 3_600_000; // an hour ahead
    try {
      expect(await store.consume(ticket)).toEqual({ ok: true, agentId: 'demo' });
    } finally {
      Date.now = realNow;
    }
  });

  it('holds at most `capacity` unexpired tickets, never evicting a valid one', async () => {
    let t = 0;
    const store = createMemoryTicketStore({ now: () => t, capacity: 1000, capacityPerAgent: 1000 });
    const issued = [];
    for (let i = 0; i < 1000; i++) {
      issued.push(await store.issue('demo'));
      t += 10;
    }
    const err = await store.issue('demo').catch((e) => e);
    expect(err).toBeInstanceOf(TicketCapacityError);
    expect(err.code).toBe('ticket_capacity');
    // The oldest expires at 60 000; the clock is at 10 000.
    expect(err.retryAfterSeconds).toBe(50);
    expect(await store.outstanding()).toBe(1000);
    expect(await store.consume(issued[0]!.ticket)).toEqual({ ok: true, agentId: 'demo' });
  });

  it('sweeps expired tickets before refusing', async () => {
    let t = 0;
    const store = createMemoryTicketStore({ now: () => t, capacity: 3, ttlMs: 100 });
    await store.issue('a');
    await store.issue('a');
    t = 50;
    await store.issue('a');
    await expect(store.issue('a')).rejects.toBeInstanceOf(TicketCapacityError);
    t = 100; // the first two expired
    await store.issue('a');
    await store.issue('a');
    expect(await store.outstanding()).toBe(3);
  });

  it('keeps no timer: it never holds the process open', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const store = createMemoryTicketStore();
    for (let i = 0; i < 50; i++) await store.issue('demo');
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });

  it('validates its options eagerly', () => {
    expect(() => createMemoryTicketStore({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => createMemoryTicketStore({ capacity: 1.5 })).toThrow(RangeError);
  });

  it("caps each client's unused tickets at capacityPerClient (429 material), freed by use or expiry; no client: not counted", async () => {
    let t = 0;
    const store = createMemoryTicketStore({ now: () => t, ttlMs: 1000, capacityPerAgent: 50, capacityPerClient: 3 });
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await store.issue('a', { client: '10.0.0.1' }));
    const refused = await store.issue('b', { client: '10.0.0.1' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TicketCapacityError);
    expect(refused).toMatchObject({ client: '10.0.0.1', retryAfterSeconds: 1 });
    expect((refused as Error).message).toMatch(/from this address/);
    await expect(store.issue('a', { client: '10.0.0.2' })).resolves.toBeTruthy();
    for (let i = 0; i < 10; i++) await store.issue('a'); // not counted per client
    await store.consume(mine[0]!.ticket);
    await expect(store.issue('a', { client: '10.0.0.1' })).resolves.toBeTruthy();
    t += 1000;
    for (let i = 0; i < 3; i++) await store.issue('a', { client: '10.0.0.1' });
    expect(() => createMemoryTicketStore({ capacityPerClient: 0 })).toThrow(RangeError);
  });

  it('property: a client is refused for its share exactly when it holds capacityPerClient live tickets; others are never refused for it', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('issue' as const), client: fc.integer({ min: 0, max: 3 }), agent: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ kind: fc.constant('consume' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 600 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 80 }), async (ops) => {
        let t = 0;
        const cap = 3;
        const store = createMemoryTicketStore({
          now: () => t,
          ttlMs: 1000,
          capacity: 1000,
          capacityPerAgent: 1000,
          capacityPerClient: cap,
        });
        const live: { ticket: string; client: number; expiresAt: number }[] = [];
        for (const o of ops) {
          const alive = live.filter((x) => x.expiresAt > t);
          if (o.kind === 'tick') t += o.ms;
          else if (o.kind === 'consume') {
            if (live.length === 0) continue;
            const [x] = live.splice(o.pick % live.length, 1);
            const r = await store.consume(x!.ticket);
            expect(r.ok).toBe(x!.expiresAt > t);
          } else {
            const held = alive.filter((x) => x.client === o.client).length;
            const r = await store.issue(`agent${o.agent}`, { client: `c${o.client}` }).catch((e: unknown) => e);
            if (held >= cap) expect(r).toMatchObject({ client: `c${o.client}` });
            else {
              expect(r).not.toBeInstanceOf(Error);
              live.push({ ticket: (r as { ticket: string }).ticket, client: o.client, expiresAt: t + 1000 });
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
