import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action, Authorize } from './authorize';
import { createRateLimiter, type RateLimiter } from './create-rate-limiter';
import { socketAddress, type ClientAddress } from './client-address';

export interface TokenAuthOptions {
  /** Grants watch, act and admin. */
  token?: string;
  /** Grants watch only. */
  watchToken?: string;
  /** Refuses nothing when no token is configured (loopback, `npm start`). Default false: no token, nothing allowed. */
  openWithoutTokens?: boolean;
  /** Failed authentications per client address: burst and refill. Default 10, 1 per 5 s. */
  failures?: RateLimiter;
  /** Lifetime of a dashboard session cookie. Default 12 h. */
  sessionTtlMs?: number;
  /** Which client a request comes from (the key of `failures`; see `createClientAddress`). Default: the peer address. */
  clientAddress?: ClientAddress;
}

/** The CLI's built-in authentication: bearer tokens, and a session cookie for the dashboard. */
export interface TokenAuth {
  authorize: Authorize;
  /**
   * `GET /?token=T`: with a valid token, answers 302 to the same path without it and sets an
   * `HttpOnly; SameSite=Strict` session cookie (a random id, not the token); a wrong token 401.
   * Returns false when the request has no `token` parameter (not handled).
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
type Grant = 'all' | 'watch';
const allows = (grant: Grant, action: Action) => grant === 'all' || RANK[action] === RANK.watch;
const digest = (s: string) => createHash('sha256').update(s).digest();
/** Constant-time comparison (of digests, so the length leaks nothing either). */
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

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
 * `--watch-token` only `watch`. Tokens are compared in constant time; failed attempts are
 * rate-limited per client address. Session ids are random and kept in memory (a restart logs
 * the dashboard out: it asks for `/?token=` again).
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
  for (const [name, t] of [
    ['token', token],
    ['watchToken', watchToken],
  ] as const) {
    if (t !== undefined && (typeof t !== 'string' || t.length < 16))
      throw new TypeError(`createTokenAuth: ${name} must be a string of at least 16 characters`);
  }
  const enabled = token !== undefined || watchToken !== undefined;
  const failures = options.failures ?? createRateLimiter({ burst: 10, perSecond: 0.2 });
  const ttl = options.sessionTtlMs ?? 12 * 3_600_000;
  const sessions = new Map<string, { grant: Grant; until: number }>();

  const grantOf = (presented: string): Grant | null =>
    token !== undefined && same(presented, token) ? 'all' : watchToken !== undefined && same(presented, watchToken) ? 'watch' : null;

  const sessionGrant = (req: IncomingMessage): Grant | null => {
    const id = cookieValue(req, cookieName(req));
    if (!id) return null;
    const s = sessions.get(id);
    if (!s) return null;
    if (s.until <= performance.now()) {
      sessions.delete(id);
      return null;
    }
    return s.grant;
  };

  const authorize: Authorize = (req, action) => {
    if (!enabled) return options.openWithoutTokens === true;
    const header = req.headers.authorization;
    const bearer = typeof header === 'string' && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
    if (bearer === undefined) {
      const grant = sessionGrant(req);
      if (grant) return allows(grant, action);
      return 'unauthenticated';
    }
    const blocked = failures.peek(clientOf(req));
    if (!blocked.ok) return { retryAfterSeconds: blocked.retryAfterSeconds };
    const grant = grantOf(bearer);
    if (!grant) {
      failures.take(clientOf(req));
      return 'unauthenticated';
    }
    return allows(grant, action);
  };

  const login: TokenAuth['login'] = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const presented = url.searchParams.get('token');
    if (presented === null) return false;
    const reply = (status: number, headers: Record<string, string>, body = '') => {
      res.writeHead(status, { 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    const blocked = failures.peek(clientOf(req));
    if (!blocked.ok) {
      reply(429, { 'Retry-After': String(blocked.retryAfterSeconds) }, 'too many failed attempts');
      return true;
    }
    const grant = enabled ? grantOf(presented) : null;
    if (!grant) {
      failures.take(clientOf(req));
      reply(401, {}, 'wrong token');
      return true;
    }
    const id = randomBytes(32).toString('base64url');
    sessions.set(id, { grant, until: performance.now() + ttl });
    if (sessions.size > 10_000) sessions.delete(sessions.keys().next().value!);
    url.searchParams.delete('token');
    const location = url.pathname + (url.search === '?' ? '' : url.search);
    reply(302, {
      Location: location,
      'Set-Cookie': `${cookieName(req)}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(ttl / 1000)}`,
    });
    return true;
  };

  const identify: TokenAuth['identify'] = (req) => {
    const header = req.headers.authorization;
    const bearer = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
    const grant = bearer ? grantOf(bearer) : sessionGrant(req);
    const session = cookieValue(req, cookieName(req));
    if (!grant) return `client ${clientOf(req)}`;
    const who = grant === 'all' ? 'operator' : 'watcher';
    return bearer
      ? `${who} token`
      : `${who} session ${createHash('sha256')
          .update(session ?? '')
          .digest('hex')
          .slice(0, 6)}`;
  };

  return { authorize, login, identify, enabled };
}
