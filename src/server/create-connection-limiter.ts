import type { Socket } from 'node:net';
import { integerOption } from '../options/number-option';

export interface ConnectionLimiterOptions {
  /** Open connections one peer address may hold at once. */
  perAddress: number;
  /**
   * Peer addresses not counted (the `--trust-proxy` addresses: a reverse proxy carries every
   * client's connections; limit them per client at the proxy, e.g. nginx `limit_conn`).
   */
  exempt?: readonly string[];
}

/**
 * Admits or cuts a new connection (a `'connection'` listener of the server); true when admitted.
 * `open(address)` tells how many connections an address holds.
 */
export interface ConnectionLimiter {
  (socket: Socket): boolean;
  open(address: string): number;
}

const norm = (a: string) => a.replace(/^::ffff:/, '');

/**
 * Creates the per-address connection cap: a peer holding `perAddress` open connections has its
 * next one closed at once, before a byte is read, so one address's idle or slow sockets cannot
 * take every slot of `maxConnections` from the others. Keyed by the socket's peer address (at
 * connection time no request, and so no `X-Forwarded-For`, has been read yet); `exempt` peers
 * (trusted proxies) are not counted. Memory: one counter per address with an open connection.
 *
 * ## Example
 * ```ts
 * const limiter = createConnectionLimiter({ perAddress: 64, exempt: ['127.0.0.1'] });
 * server.on('connection', limiter);
 * ```
 */
export function createConnectionLimiter(options: ConnectionLimiterOptions): ConnectionLimiter {
  const { perAddress } = options;
  integerOption('createConnectionLimiter', 'perAddress', perAddress);
  const exempt = new Set((options.exempt ?? []).map(norm));
  const open = new Map<string, number>();
  const limiter = ((socket: Socket) => {
    const address = norm(socket.remoteAddress ?? 'unknown');
    if (exempt.has(address)) return true;
    const n = open.get(address) ?? 0;
    if (n >= perAddress) {
      socket.destroy();
      return false;
    }
    open.set(address, n + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    return true;
  }) as ConnectionLimiter;
  limiter.open = (address) => open.get(norm(address)) ?? 0;
  return limiter;
}
