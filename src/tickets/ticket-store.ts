/** A stream ticket as issued to a browser. */
export interface IssuedTicket {
  /** A random v4 UUID. */
  ticket: string;
  agentId: string;
  expiresAt: Date;
}

/** What presenting a ticket yields. A ticket is consumed by the first presentation, whatever its agent. */
export type TicketCheck = { ok: true; agentId: string } | { ok: false; reason: 'unknown' | 'expired' };

/**
 * Where tickets live. Async so a shared store (Redis, a database) can replace the in-memory
 * one when several control servers sit behind one load balancer.
 */
export interface TicketStore {
  /** Issues a ticket bound to `agentId`; rejects with `TicketCapacityError` when full. */
  issue(agentId: string): Promise<IssuedTicket>;
  /** Consumes `ticket` (one use) and tells which agent it was bound to. */
  consume(ticket: string): Promise<TicketCheck>;
  /** How many unexpired tickets are outstanding. */
  outstanding(): Promise<number>;
}

/** The store (or one agent's share of it) is full of unexpired tickets; `retryAfterSeconds` until the oldest expires. */
export class TicketCapacityError extends Error {
  override readonly name = 'TicketCapacityError';
  readonly code = 'ticket_capacity';
  constructor(
    readonly retryAfterSeconds: number,
    /** Set when the agent's own share is full (the store has room for other agents). */
    readonly agentId?: string,
  ) {
    super(`too many outstanding stream tickets${agentId ? ` for agent "${agentId}"` : ''}; retry in ${retryAfterSeconds} s`);
  }
}
