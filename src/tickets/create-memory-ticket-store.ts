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
   * The clock expiry runs on (injected in tests). Default: a monotonic clock (`performance.now`
   * from the wall time at start), so a wall-clock jump neither expires nor revives tickets.
   */
  now?: () => number;
  /** The id source. Default `crypto.randomUUID`. */
  randomId?: () => string;
}

/**
 * An in-memory {@link TicketStore}: UUID v4 tickets, one use, bound to one agent, expiring after
 * `ttlMs` on a monotonic clock. Capacity is global and per agent. Expired tickets are swept lazily (when issuing); no timer, so it never keeps the
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
  const origin = Date.now() - performance.now();
  const now = options.now ?? (() => origin + performance.now());
  const byAgent = new Map<string, number>();
  const count = (agentId: string, delta: number) => {
    const n = (byAgent.get(agentId) ?? 0) + delta;
    if (n > 0) byAgent.set(agentId, n);
    else byAgent.delete(agentId);
  };
  const randomId = options.randomId ?? randomUUID;
  // Insertion order is expiry order (constant TTL), so sweeping stops at the first live ticket.
  const tickets = new Map<string, { agentId: string; expiresAt: number }>();

  const sweep = (t: number) => {
    for (const [id, entry] of tickets) {
      if (entry.expiresAt > t) break;
      tickets.delete(id);
      count(entry.agentId, -1);
    }
  };

  return {
    async issue(agentId) {
      const t = now();
      sweep(t);
      if (tickets.size >= capacity) {
        const oldest = tickets.values().next().value!;
        throw new TicketCapacityError(Math.max(1, Math.ceil((oldest.expiresAt - t) / 1000)));
      }
      if ((byAgent.get(agentId) ?? 0) >= perAgent) {
        let oldest = t + ttlMs;
        for (const e of tickets.values())
          if (e.agentId === agentId) {
            oldest = e.expiresAt;
            break;
          }
        throw new TicketCapacityError(Math.max(1, Math.ceil((oldest - t) / 1000)), agentId);
      }
      const ticket = randomId();
      const expiresAt = t + ttlMs;
      tickets.set(ticket, { agentId, expiresAt });
      count(agentId, 1);
      return { ticket, agentId, expiresAt: new Date(expiresAt) } satisfies IssuedTicket;
    },
    async consume(ticket): Promise<TicketCheck> {
      const entry = tickets.get(ticket);
      if (!entry) return { ok: false, reason: 'unknown' };
      tickets.delete(ticket);
      count(entry.agentId, -1);
      if (entry.expiresAt <= now()) return { ok: false, reason: 'expired' };
      return { ok: true, agentId: entry.agentId };
    },
    async outstanding() {
      sweep(now());
      return tickets.size;
    },
  };
}
