import type { ConnectionOptions } from 'node:tls';
import { createClient } from 'redis';
import { createSentinelConnection, isSentinelUrl } from './connect-redis-sentinel';

/** A node-redis client (the `redis` package), as agent-stream uses it: raw commands, subscribe, duplicate. */
export interface RedisConnection {
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(): RedisConnection;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Waits for pending replies, then closes. */
  close(): Promise<unknown>;
  /** Closes at once, failing pending commands. */
  destroy(): void;
  readonly isReady: boolean;
}

/** A Redis reply as `sendCommand` gives it (RESP2: strings, numbers, nulls and arrays of them). */
export type RedisReply = string | number | null | RedisReply[];

/** Sends one raw command; the reply typed loosely, for the caller to narrow. */
export function command(redis: RedisConnection, args: (string | number)[]): Promise<RedisReply> {
  return redis.sendCommand(args.map(String)) as Promise<RedisReply>;
}

/** TLS settings of a `rediss://` connection (Node's `tls.connect` options); e.g. `ca` for a private CA. */
export type RedisTlsOptions = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized' | 'minVersion'>;

export interface ConnectRedisOptions {
  /** With a `rediss://` URL: how to verify the server (and to present a client certificate). Default: Node's CAs. */
  tls?: RedisTlsOptions;
}

/**
 * Thrown when Redis refuses this client for good: wrong credentials (`redis_auth`: WRONGPASS,
 * NOAUTH, NOPERM) or a server certificate that does not verify (`redis_tls`). Retrying would not
 * help, so connecting stops instead of retrying forever.
 */
export class RedisConnectError extends Error {
  override readonly name = 'RedisConnectError';
  constructor(
    readonly code: 'redis_auth' | 'redis_tls',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `url` with its password hidden, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(not a URL)';
  }
}

/** The refusal `error` is when it is one retrying cannot fix. */
function refusal(error: Error): RedisConnectError | undefined {
  const code = (error as Error & { code?: unknown }).code;
  if (/^(WRONGPASS|NOAUTH|NOPERM)\b/.test(error.message))
    return new RedisConnectError('redis_auth', `redis refused the credentials: ${error.message}`, { cause: error });
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code))
    return new RedisConnectError('redis_tls', `redis's TLS certificate does not verify: ${error.message} (${code})`, { cause: error });
  return undefined;
}

/** Connects `client`; a refusal (see {@link RedisConnectError}) rejects at once, other errors go to `onError` (node-redis retries). */
function connectOnce(client: RedisConnection, onError: (error: Error) => void): Promise<RedisConnection> {
  return new Promise((resolve, reject) => {
    let settled = false;
    client.on('error', (error) => {
      const refused = settled ? undefined : refusal(error);
      if (!refused) return onError(error);
      settled = true;
      client.destroy();
      reject(refused);
    });
    client.connect().then(
      () => {
        if (settled) return;
        settled = true;
        resolve(client);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(error);
      },
    );
  });
}

/**
 * Connects a node-redis client to `url` that reconnects forever (a short pause, doubling to 2 s)
 * and reports errors to `onError` instead of crashing the process (node-redis emits `error` on
 * every failed reconnect). `redis://user:password@host:port` authenticates (Redis AUTH, ACL
 * users); `rediss://` connects over TLS (`options.tls` for a private CA or client certificate).
 * Credentials refused or a certificate that does not verify reject with {@link RedisConnectError}
 * instead of retrying forever. Every duplicate (blocking readers, subscriptions) connects alike.
 * `redis+sentinel://[user:password@]host:port[,host:port…]/master-name` connects through Redis
 * Sentinel (node-redis's `createSentinel`) and follows a failover to the promoted replica.
 *
 * ## Example
 * ```ts
 * const redis = await connectRedis('rediss://agent-stream:secret@redis.internal:6380', (err) => logger.warn('redis', err), {
 *   tls: { ca: readFileSync('/etc/agent-stream/redis-ca.pem') },
 * });
 * await command(redis, ['PING']); // 'PONG'
 * ```
 */
export async function connectRedis(
  url: string,
  onError: (error: Error) => void,
  options: ConnectRedisOptions = {},
): Promise<RedisConnection> {
  if (typeof url !== 'string' || !/^(rediss?|redis\+sentinel):\/\//.test(url))
    throw new TypeError(`connectRedis: url must be redis://[user:password@]host:port or rediss://…, got ${redactRedisUrl(String(url))}`);
  if (isSentinelUrl(url)) {
    if (options.tls) throw new TypeError('connectRedis: tls options go with a rediss:// URL, not redis+sentinel://');
    return checked(await connectOnce(createSentinelConnection(url), onError));
  }
  const tls = url.startsWith('rediss:');
  if (options.tls && !tls) throw new TypeError('connectRedis: tls options go with a rediss:// URL');
  const client = createClient({
    url,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000), ...(tls ? { tls: true, ...options.tls } : {}) },
  });
  return checked(await connectOnce(client as unknown as RedisConnection, onError));
}

/** `connection` once a PING passed: a server that wants credentials none were given for answers NOAUTH only now. */
async function checked(connection: RedisConnection): Promise<RedisConnection> {
  try {
    await command(connection, ['PING']);
  } catch (err) {
    const refused = err instanceof Error ? refusal(err) : undefined;
    connection.destroy();
    throw refused ?? err;
  }
  return connection;
}

/** A second connection of the same client (same URL, credentials and TLS; for blocking reads and subscriptions), connected, errors reported. */
export async function duplicateRedis(redis: RedisConnection, onError: (error: Error) => void): Promise<RedisConnection> {
  return connectOnce(redis.duplicate(), onError);
}
