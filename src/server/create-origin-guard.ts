import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './http';

export interface OriginGuardOptions {
  /** The address the server is bound to (its name is allowed as a Host). */
  host: string;
  /** Extra Host names allowed (e.g. the public name behind a proxy). */
  allowHosts?: string[];
  /** Extra origins allowed to make state-changing requests (they also get CORS headers). */
  allowOrigins?: string[];
}

/** Checks each request's `Host` and, for state-changing methods, its `Origin`. */
export interface OriginGuard {
  /** Answers 403 `forbidden_origin` (or a CORS preflight) and returns false when the request must stop here. */
  check(req: IncomingMessage, res: ServerResponse): boolean;
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]', '::1'];
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const hostnameOf = (host: string) => (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!).toLowerCase();

/**
 * Creates the browser-origin checks of docs/protocol.md §6. DNS rebinding: a `Host` that is not a
 * loopback name, the bound address or an `allowHosts` name gets 403 `forbidden_origin` on every
 * route. CSRF: a POST, PUT, PATCH or DELETE whose `Origin` is neither one of the server's own
 * (any allowed host name with the request's port) nor in `allowOrigins` gets 403
 * `forbidden_origin`, whatever its credentials. No CORS headers are sent unless an
 * `allowOrigins` origin asks.
 *
 * ## Example
 * ```ts
 * const guard = createOriginGuard({ host: '0.0.0.0', allowHosts: ['agents.example.com'] });
 * http.createServer((req, res) => guard.check(req, res) && app(req, res));
 * ```
 */
export function createOriginGuard(options: OriginGuardOptions): OriginGuard {
  const hosts = new Set([
    ...LOOPBACK,
    hostnameOf(options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host),
  ]);
  for (const h of options.allowHosts ?? []) hosts.add(hostnameOf(h));
  const extraOrigins = new Set((options.allowOrigins ?? []).map((o) => new URL(o).origin));

  const ownOrigin = (origin: string, req: IncomingMessage) => {
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return false;
    }
    const port = (req.headers.host ?? '').split(':').pop();
    return (
      (u.protocol === 'http:' || u.protocol === 'https:') &&
      hosts.has(u.hostname.toLowerCase() === '::1' ? '[::1]' : u.hostname.toLowerCase()) &&
      u.port === (/^\d+$/.test(port ?? '') ? port : '')
    );
  };

  return {
    check(req, res) {
      const host = req.headers.host;
      if (!host || !hosts.has(hostnameOf(host))) {
        sendError(res, 403, 'forbidden_origin', 'this Host is not allowed');
        return false;
      }
      const origin = req.headers.origin;
      const method = req.method ?? 'GET';
      if (origin !== undefined && extraOrigins.has(origin)) {
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Access-Control-Allow-Credentials', 'true');
        res.setHeader('Vary', 'Origin');
        if (method === 'OPTIONS') {
          res.writeHead(204, {
            'Access-Control-Allow-Methods': 'GET, POST',
            'Access-Control-Allow-Headers': 'Authorization, Content-Type, Last-Event-ID',
            'Access-Control-Max-Age': '600',
          });
          res.end();
          return false;
        }
        return true;
      }
      if (STATE_CHANGING.has(method) && origin !== undefined && !ownOrigin(origin, req)) {
        sendError(res, 403, 'forbidden_origin', 'requests from this origin may not change anything here');
        return false;
      }
      return true;
    },
  };
}
