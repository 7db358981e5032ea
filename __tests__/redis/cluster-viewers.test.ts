// Cluster-wide viewer counts against a real redis-server: each node's own counts are current, the
// others' as last read; a node whose key expired is not counted; garbage in Redis is reported and
// never counted.
import { createClusterViewers } from '../../src/redis/create-cluster-viewers';
import { createRedisDiagnostics, type RedisInvalidEntry } from '../../src/redis/create-redis-diagnostics';
import { command, connectRedis, type RedisConnection } from '../../src/redis/redis-connection';
import { redisKeys } from '../../src/redis/redis-keys';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(30_000);

let server: RedisServer;
let redis: RedisConnection;
beforeAll(async () => {
  server = await startRedisServer();
  redis = await connectRedis(server.url, () => undefined);
});
afterAll(async () => {
  redis.destroy();
  await server.stop();
});

it('sums the live nodes, per agent and per node; an expired node and garbage are not counted', async () => {
  const keys = redisKeys('cv:');
  const seen: RedisInvalidEntry[] = [];
  const diagnostics = createRedisDiagnostics({ onDiagnostic: (d) => seen.push(d) });
  const make = (nodeId: string) => createClusterViewers({ redis, keys, nodeId, pollMs: 100, diagnostics, onError: () => undefined });
  const a = make('a');
  const b = make('b');
  const local = {
    a: new Map([['x1', 2]]),
    b: new Map([
      ['x1', 1],
      ['x2', 4],
    ]),
  };
  a.publish(() => local.a);
  b.publish(() => local.b);
  await until('both see both', () => a.count() === 7 && b.count() === 7);
  expect(a.count('x1')).toBe(3);
  expect(Object.fromEntries(b.byAgent())).toEqual({ x1: 3, x2: 4 });
  expect([...a.byNode().keys()].sort()).toEqual(['a', 'b']);
  // Its own counts are current at once.
  local.a.set('x1', 5);
  expect(a.count('x1')).toBe(6);

  // A node that stops refreshing (dead) goes when its key expires.
  await command(redis, ['SET', keys.viewers('c'), JSON.stringify({ x1: 10 }), 'PX', 600]);
  await command(redis, ['ZADD', keys.viewerNodes, Date.now(), 'c']);
  await until('c counted', () => a.count('x1') === 16);
  await until('c gone after its TTL', () => a.count('x1') === 6);

  // Garbage: not JSON, a count that is not one, an id that is not an agent id, a node name that is not one.
  await command(redis, ['SET', keys.viewers('d'), '{not json', 'PX', 60_000]);
  await command(redis, ['SET', keys.viewers('e'), JSON.stringify({ x1: -5 }), 'PX', 60_000]);
  await command(redis, ['SET', keys.viewers('f'), JSON.stringify({ 'bad\nid': 1 }), 'PX', 60_000]);
  await command(redis, ['ZADD', keys.viewerNodes, Date.now(), 'd', Date.now(), 'e', Date.now(), 'f', Date.now(), 'bad\nnode']);
  await until('each reported', () => new Set(seen.map((d) => d.key)).size === 4);
  expect(seen.every((d) => d.kind === 'viewers' && !d.issue.includes('not json'))).toBe(true);
  expect(a.count()).toBe(10);
  expect([...a.byNode().keys()].sort()).toEqual(['a', 'b']);

  // Leaving: its counts go at once.
  await b.close();
  await until('b gone', () => a.count() === 5);
  await a.close();
});
