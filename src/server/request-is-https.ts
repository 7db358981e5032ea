import type { IncomingMessage } from 'node:http';
import { socketAddress } from './client-address';

/** Tells whether a request reached the site over HTTPS (so its cookies may be `Secure`). */
export type RequestIsHttps = (req: IncomingMessage) => boolean;

const norm = (a: string) => a.trim().replace(/^::ffff:/, '');

/**
 * Whether a request came over HTTPS: directly (a TLS socket), or through one of the `trusted`
 * proxies (the `--trust-proxy` addresses) whose `X-Forwarded-Proto` says `https` (its first
 * entry: the scheme the browser used). The header is ignored from anyone else, so a client cannot
 * claim it.
 *
 * ## Example
 * ```ts
 * const isHttps = createRequestIsHttps(['127.0.0.1']); // nginx: proxy_set_header X-Forwarded-Proto $scheme;
 * createTokenAuth({ token, isHttps }); // the session cookie gets `Secure` behind the TLS proxy
 * ```
 */
export function createRequestIsHttps(trusted: readonly string[] = []): RequestIsHttps {
  if (!Array.isArray(trusted)) throw new TypeError('createRequestIsHttps: pass the proxies’ addresses, e.g. ["127.0.0.1"]');
  const proxies = new Set(trusted.map(norm));
  return (req) => {
    if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
    if (!proxies.has(norm(socketAddress(req)))) return false;
    const header = req.headers['x-forwarded-proto'];
    const first = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')[0]!;
    return first.trim().toLowerCase() === 'https';
  };
}
