import type { IncomingMessage } from 'node:http';

/** Tells which client a request comes from (the key of the per-client rate limits). */
export type ClientAddress = (req: IncomingMessage) => string;

/** The peer's address: the client itself, when nothing stands between. */
export const socketAddress: ClientAddress = (req) => req.socket.remoteAddress ?? 'unknown';

/**
 * The client address behind trusted proxies (e.g. nginx on the same host): when the peer is one
 * of `trusted`, the rightmost `X-Forwarded-For` entry that is not trusted; else the peer. A
 * header from anyone else is ignored, so a client cannot choose its own address.
 *
 * ## Example
 * ```ts
 * const clientAddress = createClientAddress(['127.0.0.1']);
 * createControlServer({ clientAddress }); // rate limits per browser, not one for the whole proxy
 * ```
 */
export function createClientAddress(trusted: readonly string[]): ClientAddress {
  if (!Array.isArray(trusted)) throw new TypeError('createClientAddress: pass the proxies’ addresses, e.g. ["127.0.0.1"]');
  const norm = (a: string) => a.trim().replace(/^::ffff:/, '');
  const proxies = new Set(trusted.map(norm));
  return (req) => {
    const peer = socketAddress(req);
    if (!proxies.has(norm(peer))) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map(norm).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) if (!proxies.has(hops[i]!)) return hops[i]!;
    return hops[0] ?? peer;
  };
}
