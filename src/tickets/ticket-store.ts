/** A stream ticket as issued to a browser. */
export interface IssuedTicket {
  /** A random v4 UUID. */
  ticket: string;
  agentId: string;
  expiresAt: Date;
}

/** What presenting a ticket yields. A ticket is consumed by the first presentation, whatever its agent. */
export type TicketCheck = { ok: true; agentId: string } | { ok: false; reason: 'unknown' | 'expired' };

/** Who a ticket is issued to, for the per-client share of the store. */
export interface IssueOptions {
  /**
   * The client address asking (the trusted client address behind a proxy). A store with a
   * per-client cap refuses a client holding that many unexpired tickets; none: not counted.
   */
  client?: string;
}

/**
 * Where tickets live. Async so a shared store (Redis, a database) can replace the in-memory
 * one when several control servers sit behind one load balancer.
 */
export interface TicketStore {
  /** Issues a ticket bound to `agentId`; rejects with `TicketCapacityError` when full (for all, the agent, or this client). */
  issue(agentId: string, options?: IssueOptions): Promise<IssuedTicket>;
  /** Consumes `ticket` (one use) and tells which agent it was bound to. */
  consume(ticket: string): Promise<TicketCheck>;
  /** How many unexpired tickets are outstanding. */
  outstanding(): Promise<number>;
}

/**
 * The store (or one agent's or one client's share of it) is full of unexpired tickets;
 * `retryAfterSeconds` until the oldest expires.
 */
export class TicketCapacityError extends Error {
  override readonly name = 'TicketCapacityError';
  readonly code = 'ticket_capacity';
  constructor(
    readonly retryAfterSeconds: number,
    /** Set when the agent's own share is full (the store has room for other agents). */
    readonly agentId?: string,
    /** Set when the client's own share is full (it holds too many unused tickets; others still get theirs). */
    readonly client?: string,
  ) {
    super(
      `too many outstanding stream tickets${client !== undefined ? ' from this address' : agentId ? ` for agent "${agentId}"` : ''}; retry in ${retryAfterSeconds} s`,
    );
  }
}
