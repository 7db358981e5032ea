import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** What a session grants: every action (`operator`) or watching only (`watcher`). */
export type SessionRole = 'operator' | 'watcher';

export interface SessionCookiesOptions {
  /**
   * The secrets the signing key is derived from (the CLI's token and watch token). Any server
   * given the same secrets accepts the same cookies; changing any of them invalidates every
   * cookie signed before.
   */
  secrets: readonly string[];
  /** Lifetime of a session. Default 12 h. */
  ttlMs?: number;
  /** Wall clock in ms (expiry must mean the same on every node). Default `Date.now`. */
  now?: () => number;
}

/** Stateless, signed session values: nothing kept in memory, nothing to evict. */
export interface SessionCookies {
  /** A signed session value for `role`, valid `ttlMs`. */
  mint(role: SessionRole): { value: string; maxAgeSeconds: number; expiresAt: Date };
  /** The role of a session value signed with this key and not expired; null otherwise. */
  verify(value: string | undefined): SessionRole | null;
  /** The key id (8 characters; public: it names the key, it reveals nothing of it). */
  readonly keyId: string;
}

const VERSION = 'v1';
const ROLE_CODE: Record<SessionRole, string> = { operator: 'o', watcher: 'w' };
const ROLE_OF: Record<string, SessionRole> = { o: 'operator', w: 'watcher' };

/**
 * Creates the dashboard's session cookies: `v1.<keyId>.<role>.<expiry>.<mac>`, where `mac` is
 * HMAC-SHA256 over the rest with a key derived by HKDF-SHA256 from the secrets (the tokens),
 * compared in constant time. No server-side table: every node with the same tokens accepts the
 * cookie, a restart keeps it, and no number of sign-ins can push another session out. Revocation
 * is by key: change a token and every cookie signed before is refused.
 *
 * ## Example
 * ```ts
 * const sessions = createSessionCookies({ secrets: [process.env.AGENT_STREAM_TOKEN!] });
 * const { value } = sessions.mint('operator');
 * sessions.verify(value); // 'operator'
 * sessions.verify(value.slice(0, -1) + 'x'); // null
 * ```
 */
export function createSessionCookies(options: SessionCookiesOptions): SessionCookies {
  const { secrets } = options;
  if (!Array.isArray(secrets) || secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 16))
    throw new TypeError('createSessionCookies: secrets must be strings of at least 16 characters');
  const ttlMs = options.ttlMs ?? 12 * 3_600_000;
  if (!Number.isInteger(ttlMs) || ttlMs < 1000) throw new RangeError('createSessionCookies: ttlMs must be an integer ≥ 1000');
  const now = options.now ?? Date.now;
  // Length-prefixed, so ['ab', 'c'] and ['a', 'bc'] give different keys.
  const ikm = secrets.map((s) => `${Buffer.byteLength(s)}:${s}`).join('\n');
  const key = Buffer.from(hkdfSync('sha256', ikm, 'agent-stream session cookie', 'v1 hmac-sha256', 32));
  const keyId = createHash('sha256').update(key).digest('base64url').slice(0, 8);
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

  return {
    keyId,
    mint(role) {
      const expires = Math.floor((now() + ttlMs) / 1000);
      const payload = `${VERSION}.${keyId}.${ROLE_CODE[role]}.${expires}`;
      return {
        value: `${payload}.${mac(payload)}`,
        maxAgeSeconds: Math.floor(ttlMs / 1000),
        expiresAt: new Date(expires * 1000),
      };
    },
    verify(value) {
      if (typeof value !== 'string' || value.length > 200) return null;
      const parts = value.split('.');
      if (parts.length !== 5) return null;
      const [version, kid, role, expires, tag] = parts as [string, string, string, string, string];
      if (version !== VERSION || kid !== keyId || !(role in ROLE_OF) || !/^\d{1,12}$/.test(expires)) return null;
      // Compared as text: base64url decoding would let two spellings of one tag through.
      const expected = Buffer.from(mac(`${version}.${kid}.${role}.${expires}`));
      const given = Buffer.from(tag);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      if (Number(expires) * 1000 <= now()) return null;
      return ROLE_OF[role]!;
    },
  };
}
