import { randomUUID } from 'node:crypto';
import { TicketCapacityError, type IssuedTicket, type TicketCheck, type TicketStore } from './ticket-store';
import { durationOption, integerOption } from '../options/number-option';

export interface MemoryTicketStoreOptions {
  /** Ticket lifetime. Default 60 000 ms. */
  ttlMs?: number;
  /** Most unexpired tickets outstanding at once. Default 1000. */
  capacity?: number;
  /** Most unexpired tickets outstanding for one agent, so one agent's watchers cannot starve another's. Default 200. */
  capacityPerAgent?: number;
  /**
   * Most unexpired tickets outstanding for one client (`issue(agentId, { client })`), well below
   * `capacityPerAgent` so a few addresses cannot fill an agent's share (a browser holds one or
   * two: each is used within a second). Default 10.
   */
  capacityPerClient?: number;
  /**
   * The clock expiry runs on (injected in tests). Default: a monotonic clock (`performance.now`
   * from the wall time at start), so a wall-clock jump neither expires nor revives tickets.
   */
  now?: () => number;
  /** The id source. Default `crypto.randomUUID`. */
  randomId?: () => string;
}

/**
 * An in-memory {@link TicketStore}: UUID v4 tickets, one use, bound to one agent, expiring after
 * `ttlMs` on a monotonic clock. Capacity is global, per agent and per client. Expired tickets are swept lazily (when issuing); no timer, so it never keeps the
 * process alive and never leaks. A valid ticket is never evicted: a full store refuses to issue.
 *
 * ## Example
 * ```ts
 * const tickets = createMemoryTicketStore({ ttlMs: 60_000, capacity: 1000 });
 * const { ticket } = await tickets.issue('demo');
 * await tickets.consume(ticket); // { ok: true, agentId: 'demo' }
 * await tickets.consume(ticket); // { ok: false, reason: 'unknown' }
 * ```
 */
export function createMemoryTicketStore(options: MemoryTicketStoreOptions = {}): TicketStore {
  const ttlMs = options.ttlMs ?? 60_000;
  const capacity = options.capacity ?? 1000;
  durationOption('createMemoryTicketStore', 'ttlMs', ttlMs);
  integerOption('createMemoryTicketStore', 'capacity', capacity);
  const perAgent = options.capacityPerAgent ?? Math.min(200, capacity);
  integerOption('createMemoryTicketStore', 'capacityPerAgent', perAgent);
  const perClient = options.capacityPerClient ?? Math.min(10, perAgent);
  integerOption('createMemoryTicketStore', 'capacityPerClient', perClient);
  const origin = Date.now() - performance.now();
  const now = options.now ?? (() => origin + performance.now());
  const byAgent = new Map<string, number>();
  const byClient = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string, delta: number) => {
    const n = (map.get(key) ?? 0) + delta;
    if (n > 0) map.set(key, n);
    else map.delete(key);
  };
  const count = (entry: { agentId: string; client?: string }, delta: number) => {
    bump(byAgent, entry.agentId, delta);
    if (entry.client !== undefined) bump(byClient, entry.client, delta);
  };
  const randomId = options.randomId ?? randomUUID;
  // Insertion order is expiry order (constant TTL), so sweeping stops at the first live ticket.
  const tickets = new Map<string, { agentId: string; client?: string; expiresAt: number }>();
  /** Seconds until the oldest ticket matching `is` expires (at least 1). */
  const retryAfter = (t: number, is: (e: { agentId: string; client?: string }) => boolean) => {
    let oldest = t + ttlMs;
    for (const e of tickets.values())
      if (is(e)) {
        oldest = e.expiresAt;
        break;
      }
    return Math.max(1, Math.ceil((oldest - t) / 1000));
  };

  const sweep = (t: number) => {
    for (const [id, entry] of tickets) {
      if (entry.expiresAt > t) break;
      tickets.delete(id);
      count(entry, -1);
    }
  };

  return {
    async issue(agentId, issueOptions) {
      const client = issueOptions?.client;
      const t = now();
      sweep(t);
      // The client's share first: a client over its share is told so, even when the rest is full too.
      if (client !== undefined && (byClient.get(client) ?? 0) >= perClient)
        throw new TicketCapacityError(
          retryAfter(t, (e) => e.client === client),
          agentId,
          client,
        );
      if (tickets.size >= capacity) throw new TicketCapacityError(retryAfter(t, () => true));
      if ((byAgent.get(agentId) ?? 0) >= perAgent)
        throw new TicketCapacityError(
          retryAfter(t, (e) => e.agentId === agentId),
          agentId,
        );
      const ticket = randomId();
      const expiresAt = t + ttlMs;
      const entry = client === undefined ? { agentId, expiresAt } : { agentId, client, expiresAt };
      tickets.set(ticket, entry);
      count(entry, 1);
      return { ticket, agentId, expiresAt: new Date(expiresAt) } satisfies IssuedTicket;
    },
    async consume(ticket): Promise<TicketCheck> {
      const entry = tickets.get(ticket);
      if (!entry) return { ok: false, reason: 'unknown' };
      tickets.delete(ticket);
      count(entry, -1);
      if (entry.expiresAt <= now()) return { ok: false, reason: 'expired' };
      return { ok: true, agentId: entry.agentId };
    },
    async outstanding() {
      sweep(now());
      return tickets.size;
    },
  };
}
