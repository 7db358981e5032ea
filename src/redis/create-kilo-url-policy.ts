/** Which kilo URLs a node may act on when a record read from Redis names one. */
export interface KiloUrlPolicy {
  /** Whether `url` is under one of the allowed URLs (same scheme, host and port; path at or below). */
  allows(url: string): boolean;
  /** Allows `url` too (a kilo this node was itself told about, e.g. by `cluster.attach`). */
  add(url: string): void;
  /** The allowed URLs, normalized. */
  readonly allowed: readonly string[];
}

interface Allowed {
  origin: string;
  path: string;
}

const parse = (url: string): Allowed | undefined => {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || u.search || u.hash) return undefined;
  return { origin: u.origin, path: u.pathname.replace(/\/+$/, '') };
};

/**
 * The kilo URLs a node of a Redis cluster may send requests (and kilo's credentials) to: those it
 * was configured with (`allowKiloUrls`, `--allow-kilo-url`) and those it attached itself. A
 * record in Redis naming any other URL is refused: whoever can write to Redis cannot point the
 * nodes at another host. Matching is by origin (scheme, host, port; `localhost` and
 * `127.0.0.1` are different hosts) and path prefix.
 *
 * ## Example
 * ```ts
 * const policy = createKiloUrlPolicy(['http://10.0.0.5:4096']);
 * policy.allows('http://10.0.0.5:4096/'); // true
 * policy.allows('http://10.0.0.6:4096'); // false
 * ```
 */
export function createKiloUrlPolicy(urls: readonly string[] = []): KiloUrlPolicy {
  if (!Array.isArray(urls)) throw new TypeError('allowKiloUrls must be an array of http(s) URLs');
  const allowed: Allowed[] = [];
  const add = (url: string) => {
    const a = typeof url === 'string' ? parse(url) : undefined;
    if (!a) throw new TypeError(`allowKiloUrls: ${JSON.stringify(url)} is not an http(s) URL without credentials, query or fragment`);
    if (!allowed.some((b) => b.origin === a.origin && b.path === a.path)) allowed.push(a);
  };
  for (const url of urls) add(url);
  return {
    allows(url) {
      const u = parse(url);
      return u !== undefined && allowed.some((a) => a.origin === u.origin && (u.path === a.path || u.path.startsWith(`${a.path}/`)));
    },
    add,
    get allowed() {
      return allowed.map((a) => a.origin + a.path);
    },
  };
}
