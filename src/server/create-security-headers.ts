import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

export interface SecurityHeadersOptions {
  /**
   * Origins allowed to show the pages in a frame (`https://portal.example.com`); none by default:
   * `frame-ancestors 'none'` and `X-Frame-Options: DENY` (a foreign page cannot frame the
   * dashboard and click through it).
   */
  frameAncestors?: readonly string[];
}

/** Sets the security headers on a response (call it before anything is written). */
export type SecurityHeaders = (req: IncomingMessage, res: ServerResponse) => void;

/** The origin of `o`, or a TypeError when `o` is not exactly an http(s) origin. */
function originOf(o: unknown): string {
  let u: URL | undefined;
  try {
    u = new URL(String(o));
  } catch {
    u = undefined;
  }
  if (typeof o !== 'string' || !u || !/^https?:$/.test(u.protocol) || u.origin !== o.replace(/\/$/, ''))
    throw new TypeError(`createSecurityHeaders: frameAncestors needs origins like https://portal.example.com, got ${JSON.stringify(o)}`);
  return u.origin;
}

/**
 * Creates the security headers of every answer (pages, JSON, the stream), from `helmet`:
 * a Content-Security-Policy the dashboard passes (scripts, styles, fetches and streams from the
 * server's own origin only; no inline script, no plugin, no `<base>`), `frame-ancestors 'none'`
 * and `X-Frame-Options: DENY` (no clickjacking) unless `frameAncestors` names the origins that
 * may frame it, `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
 * `Cross-Origin-Opener-Policy` and `Cross-Origin-Resource-Policy: same-origin`. No
 * `Strict-Transport-Security`: the server speaks plain HTTP; the TLS proxy in front sets it.
 * A node-style `(req, res)` hook: the dispatcher calls it first, so answers written without
 * Express (the stream, the guard's 403) carry the headers too.
 *
 * ## Example
 * ```ts
 * const headers = createSecurityHeaders({ frameAncestors: ['https://portal.example.com'] });
 * http.createServer((req, res) => {
 *   headers(req, res);
 *   app(req, res);
 * });
 * ```
 */
export function createSecurityHeaders(options: SecurityHeadersOptions = {}): SecurityHeaders {
  if (options.frameAncestors !== undefined && !Array.isArray(options.frameAncestors))
    throw new TypeError('createSecurityHeaders: frameAncestors must be an array of origins');
  const ancestors = (options.frameAncestors ?? []).map(originOf);
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ancestors.length > 0 ? ancestors : ["'none'"],
      },
    },
    // X-Frame-Options cannot name origins: with allowed ancestors, frame-ancestors alone decides.
    xFrameOptions: ancestors.length > 0 ? false : { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
  });
  return (req, res) => {
    // helmet's middleware only sets headers and calls `next` synchronously.
    middleware(req, res, () => undefined);
  };
}
