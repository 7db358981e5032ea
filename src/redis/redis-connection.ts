import { createClient } from 'redis';

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

/**
 * Connects a node-redis client to `url` that reconnects forever (a short pause, doubling to 2 s)
 * and reports errors to `onError` instead of crashing the process (node-redis emits `error` on
 * every failed reconnect).
 *
 * ## Example
 * ```ts
 * const redis = await connectRedis('redis://127.0.0.1:6379', (err) => logger.warn('redis', err));
 * await command(redis, ['PING']); // 'PONG'
 * ```
 */
export async function connectRedis(url: string, onError: (error: Error) => void): Promise<RedisConnection> {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url))
    throw new TypeError(`connectRedis: url must be redis://host:port, got ${String(url)}`);
  const client = createClient({ url, socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) } });
  const connection = client as unknown as RedisConnection;
  connection.on('error', onError);
  await connection.connect();
  return connection;
}

/** A second connection of the same client (for blocking reads and subscriptions), connected, errors reported. */
export async function duplicateRedis(redis: RedisConnection, onError: (error: Error) => void): Promise<RedisConnection> {
  const copy = redis.duplicate();
  copy.on('error', onError);
  await copy.connect();
  return copy;
}
