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
});
