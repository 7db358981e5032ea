// A connection through Redis Sentinel runs its commands in the order they are sent (an owner's
// appends depend on it), against a real redis-server and redis-sentinel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, connectRedis, type RedisConnection } from '../../src/redis/redis-connection';
import { startRedisSentinel, type RedisSentinel } from '../helpers/redis-sentinel';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

jest.setTimeout(30_000);

let dir: string;
let server: RedisServer;
let sentinel: RedisSentinel;
let conn: RedisConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-order-'));
  server = await startRedisServer();
  sentinel = await startRedisSentinel({ dir, masterName: 'm', masterPort: server.port, quorum: 1 });
  conn = await connectRedis(`redis+sentinel://127.0.0.1:${sentinel.port}/m`, () => undefined);
});
afterAll(async () => {
  conn?.destroy();
  await sentinel?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('commands sent in bursts, one event-loop turn apart, run in the order sent', async () => {
  // node-redis's Sentinel client leases its master client per burst: without a reserved client a
  // command sent while the lease was being taken ran after later bursts (seen: an owner's appends
  // refused as below the stream's top).
  const sent: Array<Promise<unknown>> = [];
  for (let burst = 0; burst < 10; burst++) {
    for (let i = 0; i < 20; i++) sent.push(command(conn, ['RPUSH', 'order', String(burst * 20 + i)]));
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(sent);
  const list = (await command(conn, ['LRANGE', 'order', '0', '-1'])) as string[];
  expect(list.map(Number)).toEqual(Array.from({ length: 200 }, (_, i) => i));
});
