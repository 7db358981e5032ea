import { createSentinel } from 'redis';
import type { RedisConnection } from './redis-connection';

/** A Sentinel deployment as `redis+sentinel://[user:password@]host:port[,host:port…]/master-name` names it. */
export interface SentinelUrl {
  sentinels: { host: string; port: number }[];
  /** The master's name in the sentinels' configuration (`sentinel monitor <name> …`). */
  name: string;
  username?: string;
  password?: string;
}

const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/@]+)\/([A-Za-z0-9._-]{1,64})\/?$/;

/** Whether `url` names a Sentinel deployment (`redis+sentinel://…`). */
export const isSentinelUrl = (url: string) => url.startsWith('redis+sentinel://');

/**
 * Parses `redis+sentinel://[user:password@]host:port[,host:port…]/master-name` (port default
 * 26379; the credentials are the data nodes', percent-encoded). Anything else throws a TypeError.
 *
 * ## Example
 * ```ts
 * parseSentinelUrl('redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster');
 * // { sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }], name: 'mymaster' }
 * ```
 */
export function parseSentinelUrl(url: string): SentinelUrl {
  const m = SENTINEL_URL.exec(url);
  if (!m) throw new TypeError('a Sentinel URL is redis+sentinel://[user:password@]host:port[,host:port…]/master-name');
  const sentinels = m[3]!.split(',').map((hostPort) => {
    const hp = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(hostPort);
    const port = Number(hp?.[2] ?? 26379);
    if (!hp || port < 1 || port > 65535)
      throw new TypeError(`a Sentinel URL names sentinels as host:port, got ${JSON.stringify(hostPort)}`);
    return { host: hp[1]!.replace(/^\[|\]$/g, ''), port };
  });
  const decode = (s: string | undefined) => (s ? decodeURIComponent(s) : undefined);
  return { sentinels, name: m[4]!, username: decode(m[1]), password: decode(m[2]) };
}

interface SentinelLike {
  sendCommand(isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  duplicate(): SentinelLike;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): Promise<unknown>;
  destroy(): Promise<unknown>;
  readonly isReady: boolean;
}

/** A Sentinel client as a {@link RedisConnection}: commands go to the current master. */
function asConnection(s: SentinelLike): RedisConnection {
  return {
    sendCommand: (args) => s.sendCommand(false, args),
    duplicate: () => asConnection(s.duplicate()),
    connect: () => s.connect(),
    subscribe: (channel, listener) => s.subscribe(channel, listener),
    on: (event, listener) => s.on(event, listener),
    close: () => s.close(),
    destroy: () => void s.destroy().catch(() => undefined),
    get isReady() {
      return s.isReady;
    },
  };
}

/**
 * A node-redis Sentinel client (`createSentinel`) for `url` (see {@link parseSentinelUrl}), not yet
 * connected: it asks the sentinels for the master, follows a failover to the promoted replica by
 * itself, and reconnects forever (a short pause, doubling to 2 s). Used by `connectRedis` for a
 * `redis+sentinel://` URL.
 *
 * ## Example
 * ```ts
 * const client = createSentinelConnection('redis+sentinel://s1:26379,s2:26379,s3:26379/mymaster');
 * await client.connect();
 * ```
 */
export function createSentinelConnection(url: string): RedisConnection {
  const { sentinels, name, username, password } = parseSentinelUrl(url);
  const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 2000);
  const sentinel = createSentinel({
    name,
    sentinelRootNodes: sentinels,
    nodeClientOptions: { username, password, socket: { reconnectStrategy } },
    sentinelClientOptions: { socket: { reconnectStrategy } },
    // A new master is looked for every second too (besides the sentinels' +switch-master).
    scanInterval: 1000,
    passthroughClientErrorEvents: true,
    // One master client kept for this connection, so its commands run in the order they are sent.
    // Without it each burst leases the pool's client anew and a command sent while the lease is
    // being taken runs after later ones (an owner's appends then landed out of order: refused
    // as below the stream's top, lost for every viewer; seen in the Sentinel e2e under load).
    reserveClient: true,
  });
  return asConnection(sentinel as unknown as SentinelLike);
}
