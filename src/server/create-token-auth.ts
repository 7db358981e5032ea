import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action, Authorize } from './authorize';
import { createRateLimiter, type RateLimiter } from './create-rate-limiter';
import { createSessionCookies, type SessionRole } from './create-session-cookies';
import { socketAddress, type ClientAddress } from './client-address';
import { sendError, sendJson } from './http';
import { readSignInToken } from './read-sign-in-token';
import type { RequestIsHttps } from './request-is-https';

export interface TokenAuthOptions {
  /** Grants watch, act and admin. */
  token?: string;
  /** Grants watch only. */
  watchToken?: string;
  /** Refuses nothing when no token is configured (loopback, `npm start`). Default false: no token, nothing allowed. */
  openWithoutTokens?: boolean;
  /** Failed authentications per client address: burst and refill. Default 10, 1 per 5 s. */
  failures?: RateLimiter;
  /** Successful dashboard sign-ins per client address. Default 10, 1 per 10 s. */
  signIns?: RateLimiter;
  /** Lifetime of a dashboard session cookie. Default 12 h. */
  sessionTtlMs?: number;
  /** Which client a request comes from (the key of `failures` and `signIns`; see `createClientAddress`). Default: the peer address. */
  clientAddress?: ClientAddress;
  /** Whether a request came over HTTPS (the cookie is then `Secure`; see `createRequestIsHttps`). Default: a TLS socket. */
  isHttps?: RequestIsHttps;
  /** Wall clock in ms, for the session expiry (injected in tests). Default `Date.now`. */
  now?: () => number;
}

/** The CLI's built-in authentication: bearer tokens, and a signed session cookie for the dashboard. */
export interface TokenAuth {
  authorize: Authorize;
  /**
   * The dashboard's sign-in. `POST /login` with JSON `{"token":"T"}` (answers 200
   * `{role, expiresAt}`) or a form `token=T` (answers 303 to the page): sets an
   * `HttpOnly; SameSite=Strict` session cookie (`Secure` over HTTPS), signed, never the token.
   * `GET /?token=T` still works (302 to the same page without it). A wrong token 401, too many
   * attempts 429. Returns false when the request is neither (not handled).
   */
  login(req: IncomingMessage, res: ServerResponse): boolean;
  /** Who a request comes from, for the `by` of actions: `token`, `watch token`, or the dashboard session. */
  identify(req: IncomingMessage): string;
  /** True when tokens are configured. */
  readonly enabled: boolean;
}

/**
 * The session cookie's name carries the port: browsers share cookies across the ports of one
 * host, and two servers on one host must not overwrite each other's session.
 */
const cookieName = (req: IncomingMessage) => {
  const port = /:(\d+)$/.exec(req.headers.host ?? '')?.[1];
  return port ? `agent_stream_session_${port}` : 'agent_stream_session';
};
const RANK: Record<Action, number> = { watch: 0, act: 1, admin: 2 };
const allows = (role: SessionRole, action: Action) => role === 'operator' || RANK[action] === RANK.watch;
const digest = (s: string) => createHash('sha256').update(s).digest();
/** Constant-time comparison (of digests, so the length leaks nothing either). */
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));
const LOGIN_GET = /^\/(?:index\.html)?\?/;
const LOGIN_POST = /^\/login\/?(?:\?|$)/;

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * Creates the token authentication of `agent-stream serve` (docs/protocol.md §6): `Authorization:
 * Bearer <token>` or the dashboard's session cookie; `--token` grants every action,
 * `--watch-token` only `watch`. Tokens are compared in constant time; failed attempts and
 * successful sign-ins are rate-limited per client address. Sessions are stateless signed cookies
 * (`createSessionCookies`, keyed from the tokens): every node with the same tokens accepts them,
 * a restart keeps them, nothing can evict them; changing a token signs every dashboard out.
 *
 * ## Example
 * ```ts
 * const auth = createTokenAuth({ token: process.env.AGENT_STREAM_TOKEN });
 * createControlServer({ authorize: auth.authorize, login: auth.login });
 * ```
 */
export function createTokenAuth(options: TokenAuthOptions): TokenAuth {
  const { token, watchToken } = options;
  const clientOf = options.clientAddress ?? socketAddress;
  const isHttps = options.isHttps ?? ((req: IncomingMessage) => (req.socket as { encrypted?: boolean }).encrypted === true);
  for (const [name, t] of [
    ['token', token],
    ['watchToken', watchToken],
  ] as const) {
    if (t !== undefined && (typeof t !== 'string' || t.length < 16))
      throw new TypeError(`createTokenAuth: ${name} must be a string of at least 16 characters`);
  }
  const enabled = token !== undefined || watchToken !== undefined;
  const failures = options.failures ?? createRateLimiter({ burst: 10, perSecond: 0.2 });
  const signIns = options.signIns ?? createRateLimiter({ burst: 10, perSecond: 0.1 });
  const secrets = [token ?? '', watchToken ?? ''].filter(Boolean);
  const sessions = enabled ? createSessionCookies({ secrets, ttlMs: options.sessionTtlMs, now: options.now }) : null;

  const roleOf = (presented: string): SessionRole | null =>
    token !== undefined && same(presented, token) ? 'operator' : watchToken !== undefined && same(presented, watchToken) ? 'watcher' : null;
  const sessionRole = (req: IncomingMessage) => sessions?.verify(cookieValue(req, cookieName(req))) ?? null;

  const authorize: Authorize = (req, action) => {
    if (!enabled) return options.openWithoutTokens === true;
    const header = req.headers.authorization;
    const bearer = typeof header === 'string' && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
    if (bearer === undefined) {
      const role = sessionRole(req);
      return role ? allows(role, action) : 'unauthenticated';
    }
    const blocked = failures.peek(clientOf(req));
    if (!blocked.ok) return { retryAfterSeconds: blocked.retryAfterSeconds };
    const role = roleOf(bearer);
    if (!role) {
      failures.take(clientOf(req));
      return 'unauthenticated';
    }
    return allows(role, action);
  };

  /** Checks `presented` and, when right, sets the cookie; returns it, or null after answering. */
  const signIn = (req: IncomingMessage, res: ServerResponse, presented: string, plain: boolean) => {
    const refuse = (status: number, code: 'unauthenticated' | 'rate_limited', message: string, headers: Record<string, string> = {}) => {
      if (!plain) return sendError(res, status, code, message, { 'Cache-Control': 'no-store', ...headers });
      res.writeHead(status, { 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8', ...headers });
      res.end(message);
    };
    const client = clientOf(req);
    const blocked = failures.peek(client);
    if (!blocked.ok) {
      refuse(429, 'rate_limited', 'too many failed attempts', { 'Retry-After': String(blocked.retryAfterSeconds) });
      return null;
    }
    const role = roleOf(presented);
    if (!role || !sessions) {
      failures.take(client);
      refuse(401, 'unauthenticated', 'wrong token');
      return null;
    }
    const rate = signIns.take(client);
    if (!rate.ok) {
      refuse(429, 'rate_limited', 'too many sign-ins from this address', { 'Retry-After': String(rate.retryAfterSeconds) });
      return null;
    }
    const cookie = sessions.mint(role);
    const secure = isHttps(req) ? '; Secure' : '';
    res.setHeader(
      'Set-Cookie',
      `${cookieName(req)}=${cookie.value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${cookie.maxAgeSeconds}${secure}`,
    );
    res.setHeader('Cache-Control', 'no-store');
    return { ...cookie, role };
  };

  const login: TokenAuth['login'] = (req, res) => {
    const path = req.url ?? '/';
    if (LOGIN_POST.test(path)) {
      if (req.method !== 'POST') {
        sendError(res, 405, 'method_not_allowed', 'use POST', { Allow: 'POST' });
        return true;
      }
      const form = /^application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? ''));
      readSignInToken(req).then((body) => {
        if (!body.ok) return sendError(res, body.status, body.code, body.message, body.status === 413 ? { Connection: 'close' } : {});
        const cookie = signIn(req, res, body.token, false);
        if (!cookie) return;
        if (form) {
          res.writeHead(303, { Location: './' });
          res.end();
        } else sendJson(res, 200, { role: cookie.role, expiresAt: cookie.expiresAt.toISOString() });
      });
      return true;
    }
    if (req.method !== 'GET' || !LOGIN_GET.test(path)) return false;
    const url = new URL(path, 'http://local');
    const presented = url.searchParams.get('token');
    if (presented === null) return false;
    if (!signIn(req, res, presented, true)) return true;
    url.searchParams.delete('token');
    res.writeHead(302, { Location: url.pathname + (url.search === '?' ? '' : url.search), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end();
    return true;
  };

  const identify: TokenAuth['identify'] = (req) => {
    const header = req.headers.authorization;
    const bearer = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
    const role = bearer ? roleOf(bearer) : sessionRole(req);
    if (!role) return `client ${clientOf(req)}`;
    if (bearer) return `${role} token`;
    const session = cookieValue(req, cookieName(req)) ?? '';
    return `${role} session ${createHash('sha256').update(session).digest('hex').slice(0, 6)}`;
  };

  return { authorize, login, identify, enabled };
}
