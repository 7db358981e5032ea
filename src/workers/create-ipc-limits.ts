import type { Socket } from 'node:net';
import type { RateDecision } from '../server/create-rate-limiter';
import { TicketCapacityError, type IssuedTicket, type TicketCheck, type TicketStore } from '../tickets/ticket-store';
import type { IpcCaller } from './ipc-calls';

/**
 * A worker's ticket store: the primary's (`tickets.*` calls), so a ticket issued by one worker is
 * consumed once on any. A full store's `TicketCapacityError` keeps its fields.
 *
 * ## Example
 * ```ts
 * createControlServer({ cluster, tickets: createIpcTicketStore(rpc) });
 * ```
 */
export function createIpcTicketStore(rpc: IpcCaller): TicketStore {
  return {
    async issue(agentId, options) {
      try {
        const t = await rpc.call<{ ticket: string; agentId: string; expiresAt: string }>('tickets.issue', agentId, options);
        return { ticket: t.ticket, agentId: t.agentId, expiresAt: new Date(t.expiresAt) } satisfies IssuedTicket;
      } catch (err) {
        const e = err as Partial<TicketCapacityError>;
        if (e.name === 'TicketCapacityError') throw new TicketCapacityError(e.retryAfterSeconds ?? 1, e.agentId, e.client);
        throw err;
      }
    },
    consume: (ticket) => rpc.call<TicketCheck>('tickets.consume', ticket),
    outstanding: () => rpc.call<number>('tickets.outstanding'),
  };
}

/**
 * A worker's ticket rate: the primary's buckets (`rate.take`), one per client address over all
 * workers. A primary out of reach refuses (retry in 1 s) rather than letting every request through.
 *
 * ## Example
 * ```ts
 * createControlServer({ cluster, ticketRate: createIpcTicketRate(rpc) });
 * ```
 */
export function createIpcTicketRate(rpc: IpcCaller): { take(key: string): Promise<RateDecision> } {
  return {
    take: (key) => rpc.call<RateDecision>('rate.take', key).catch(() => ({ ok: false as const, retryAfterSeconds: 1 })),
  };
}

/**
 * A worker's per-address connection cap, counted by the primary over all workers (`conn.open`,
 * `conn.close`): the control server serves no request of a new connection until the primary
 * admitted it (the promise), and one refused is closed unserved, as with one process.
 *
 * ## Example
 * ```ts
 * createControlServer({ cluster, limitConnections: createIpcConnectionLimiter(rpc) });
 * ```
 */
export function createIpcConnectionLimiter(rpc: IpcCaller): (socket: Socket) => Promise<boolean> {
  return (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    return rpc.call<boolean>('conn.open', address).then(
      (ok) => {
        if (!ok || socket.destroyed) {
          if (ok) void rpc.call('conn.close', address).catch(() => undefined);
          socket.destroy();
          return false;
        }
        socket.once('close', () => void rpc.call('conn.close', address).catch(() => undefined));
        return true;
      },
      () => {
        socket.destroy();
        return false;
      },
    );
  };
}
