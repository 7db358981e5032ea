// Leases with epochs and fenced appends, against a real redis-server: every take has a higher
// epoch; an owner whose token is no longer in the lease appends nothing; a node cut from Redis
// (a TCP proxy) stops consuming on its own clock before its lease could expire, and another node
// takes over after the lease.
import { Subject, concatMap, from, map, timer } from 'rxjs';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import type { SequencedAgentEvent } from '../../src/protocol/agent-event';
import { publishAgentEvents } from '../../src/redis/publish-agent-events';
import { createRedisAgentCluster } from '../../src/redis/create-redis-agent-cluster';
import { command, connectRedis, type RedisConnection } from '../../src/redis/redis-connection';
import { redisKeys } from '../../src/redis/redis-keys';
import { holdLease, leaseEpoch, releaseLease } from '../../src/redis/redis-lease';
import type { UpstreamFactory } from '../../src/server/agent-cluster';
import { fileEdited, textPart } from '../helpers/kilo-builders';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { startTcpProxy } from '../helpers/tcp-proxy';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(30_000);

let server: RedisServer;
const clients: RedisConnection[] = [];
const connect = async (url = server.url) => {
  const c = await connectRedis(url, () => undefined);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await server.stop();
});

const event = (seq: number): SequencedAgentEvent => ({ type: 'status', seq, status: 'busy' }) as unknown as SequencedAgentEvent;

describe('holdLease', () => {
  it('renews with the same token, refuses another, and every take has a higher epoch', async () => {
    const redis = await connect();
    const key = 'f1:lease';
    const a = await holdLease(redis, key, 'a', 500);
    expect(a).toMatchObject({ step: 'taken', token: expect.stringMatching(/^\d+:a$/) });
    const token = (a as { token: string }).token;
    expect(await holdLease(redis, key, 'a', 500, token)).toEqual({ step: 'renewed', token });
    // Same node name, without the token (a restarted process): held elsewhere, with its time left.
    const other = await holdLease(redis, key, 'a', 500);
    expect(other.step).toBe('held_elsewhere');
    expect((other as { pttl: number }).pttl).toBeGreaterThan(0);
    expect((other as { pttl: number }).pttl).toBeLessThanOrEqual(500);
    await releaseLease(redis, key, token);
    const epochs = [leaseEpoch(token)];
    for (const node of ['b', 'c', 'a']) {
      const s = await holdLease(redis, key, node, 500);
      expect(s.step).toBe('taken');
      epochs.push(leaseEpoch((s as { token: string }).token));
      await releaseLease(redis, key, (s as { token: string }).token);
    }
    expect(epochs).toEqual([...epochs].sort((x, y) => x - y));
    expect(new Set(epochs).size).toBe(epochs.length);
  });
});

describe('publishAgentEvents with a fence', () => {
  it('appends while the lease holds the token; once another holder took it, appends nothing and says so once', async () => {
    const redis = await connect();
    const lease = 'f2:lease';
    const key = 'f2:events';
    const s = await holdLease(redis, lease, 'old', 60_000);
    const token = (s as { token: string }).token;
    const events = new Subject<SequencedAgentEvent>();
    let fenced = 0;
    publishAgentEvents({ redis, key, events, after: 0, fence: { lease, token }, onFenced: () => fenced++ });
    for (let i = 1; i <= 100; i++) events.next(event(i));
    await until('100 entries', async () => Number(await command(redis, ['XLEN', key])) === 100);
    // The lease passes to a new holder (its old one expired): the old owner's next appends are refused.
    await command(redis, ['DEL', lease]);
    const next = await holdLease(redis, lease, 'new', 60_000);
    expect(leaseEpoch((next as { token: string }).token)).toBeGreaterThan(leaseEpoch(token));
    for (let i = 101; i <= 200; i++) events.next(event(i));
    await until('fenced', () => fenced === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(Number(await command(redis, ['XLEN', key]))).toBe(100);
    expect(fenced).toBe(1);
    expect(events.observed).toBe(false);
  });
});

describe('a node cut from Redis', () => {
  it('stops consuming before its lease could expire, on its own clock; the other node takes over after the lease', async () => {
    const proxy = await startTcpProxy(server.url.replace('redis://', ''));
    const p = 'f3:';
    const keys = redisKeys(p);
    const made: { node: string; at: number }[] = [];
    const stopped: { node: string; at: number }[] = [];
    const factory =
      (node: string): UpstreamFactory =>
      (record, firstId) => {
        made.push({ node, at: Date.now() });
        const agent = createManagedAgent({ agentId: record.id, sessionId: record.sessionId, events: new Subject<KiloEvent>(), firstId });
        agent.exit$.subscribe(() => stopped.push({ node, at: Date.now() }));
        return agent;
      };
    const LEASE = 800;
    const cut = createRedisAgentCluster({
      redis: await connect(proxy.url.replace('http://', 'redis://')),
      prefix: p,
      nodeId: 'cut',
      allowKiloUrls: ['http://127.0.0.1:9'],
      leaseMs: LEASE,
    });
    const other = createRedisAgentCluster({
      redis: await connect(),
      prefix: p,
      nodeId: 'other',
      allowKiloUrls: ['http://127.0.0.1:9'],
      leaseMs: LEASE,
    });
    try {
      await cut.attach({ id: 'a1', url: 'http://127.0.0.1:9', sessionId: 'ses_1' });
      cut.start(factory('cut'));
      await until('the cut node to own', () => cut.owns('a1'));
      other.start(factory('other'));
      await until('the other node to know it', () => other.registry.get('a1') !== undefined);
      await new Promise((r) => setTimeout(r, 500));
      expect(other.owns('a1')).toBe(false);
      const cutAt = Date.now();
      proxy.cut();
      await until('the cut node to stop consuming', () => !cut.owns('a1'), 5000);
      const selfFenced = Date.now() - cutAt;
      await until('the other node to take over', () => other.owns('a1'), 5000);
      const takeover = Date.now() - cutAt;
      process.stdout.write(`[fencing] cut node stopped ${selfFenced} ms after the cut; the other took over at ${takeover} ms\n`);
      // It stopped on its own (it could not reach Redis), and before the other node could take the lease.
      expect(stopped.some((s) => s.node === 'cut')).toBe(true);
      expect(takeover).toBeGreaterThanOrEqual(selfFenced);
      // Healed: the lease stays with the new owner, exactly one owner.
      proxy.restore();
      await new Promise((r) => setTimeout(r, 3 * LEASE));
      expect([cut.owns('a1'), other.owns('a1')]).toEqual([false, true]);
      expect(made.map((m) => m.node)).toEqual(['cut', 'other']);
      expect(await command(clients[0]!, ['GET', keys.lease('a1')])).toMatch(/^\d+:other$/);
    } finally {
      await cut.close();
      await other.close();
      await proxy.close();
    }
  });
});

describe('an owner whose start outlasts its lease', () => {
  it('is dropped, not kept, when its lease could have expired while it started (Redis cut meanwhile): the watchdog had already run', async () => {
    const p = 'f4:';
    const keys = redisKeys(p);
    const real = await connect();
    let cut = false;
    let slowStart = true;
    const made: string[] = [];
    const dropped: string[] = [];
    // The owner's first command (XREVRANGE of the stream) answers after 1.5 s, and Redis is cut
    // (every command refused) from the first lease step's answer on: the start completes after
    // the lease could have expired and after the watchdog ran.
    const redis = new Proxy(real, {
      get(target, key) {
        const v = Reflect.get(target, key) as unknown;
        if (key !== 'sendCommand') return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        return async (args: string[]) => {
          // (sent as the lease step's answer came: it gets through, slowly)
          if (args[0] === 'XREVRANGE' && args[1] === keys.events('s1') && slowStart) {
            slowStart = false;
            const reply = await target.sendCommand(args);
            await new Promise((r) => setTimeout(r, 1500));
            return reply;
          }
          if (cut) throw new Error('connection refused (cut)');
          const reply = await target.sendCommand(args);
          if (args[0] === 'EVAL' && args.includes(keys.lease('s1'))) cut = true;
          return reply;
        };
      },
    });
    const node = createRedisAgentCluster({ redis, prefix: p, nodeId: 'slow', allowKiloUrls: ['http://127.0.0.1:9'], leaseMs: 800 });
    try {
      await command(real, ['SET', keys.record('s1'), JSON.stringify({ id: 's1', url: 'http://127.0.0.1:9', firstId: 1 })]);
      await command(real, ['SADD', keys.agents, 's1']);
      node.start((record, firstId) => {
        made.push(record.id);
        const agent = createManagedAgent({ agentId: record.id, events: new Subject<KiloEvent>(), firstId });
        agent.exit$.subscribe({ complete: () => dropped.push(record.id) });
        return agent;
      });
      await until('the slow start to complete', () => made.length === 1, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(node.owns('s1')).toBe(false);
    } finally {
      cut = false;
      await node.close();
    }
  });
});

describe('a watchdog that fires before its time', () => {
  it('looks again and stops the cut owner (libuv counts whole milliseconds: a timer can fire ms early on performance.now())', async () => {
    const real = await connect();
    let cut = false;
    const redis = new Proxy(real, {
      get(target, key) {
        const v = Reflect.get(target, key) as unknown;
        if (key !== 'sendCommand') return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        return async (args: string[]) => {
          if (cut) throw new Error('connection refused (cut)');
          return target.sendCommand(args);
        };
      },
    });
    // From the cut on, performance.now() reads 50 ms behind: the watchdog armed by the last
    // renewal fires when, on that clock, the lease still holds, as a timer that fired early would.
    const realNow = performance.now.bind(performance);
    let skew = 0;
    const clock = jest.spyOn(performance, 'now').mockImplementation(() => realNow() - skew);
    const node = createRedisAgentCluster({ redis, prefix: 'f5:', nodeId: 'early', allowKiloUrls: ['http://127.0.0.1:9'], leaseMs: 800 });
    try {
      await node.attach({ id: 'a1', url: 'http://127.0.0.1:9', sessionId: 'ses_1' });
      node.start((record, firstId) => createManagedAgent({ agentId: record.id, events: new Subject<KiloEvent>(), firstId }));
      await until('the node to own', () => node.owns('a1'));
      await new Promise((r) => setTimeout(r, 300));
      cut = true;
      skew = 50;
      await until('the cut node to stop consuming', () => !node.owns('a1'), 3000);
    } finally {
      clock.mockRestore();
      cut = false;
      await node.close();
    }
  });
});

describe('an append that fails', () => {
  it('stops that owner; a fresh one (kilo’s log again) puts the lost state back in the stream', async () => {
    const p = 'f6:';
    const keys = redisKeys(p);
    const real = await connect();
    // The owner's second append fails (as one in flight when a Sentinel failover cut the connection).
    let appends = 0;
    const redis = new Proxy(real, {
      get(target, key) {
        const v = Reflect.get(target, key) as unknown;
        if (key !== 'sendCommand') return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        return async (args: string[]) => {
          if (args[0] === 'EVAL' && args.includes(keys.events('s6')) && ++appends === 2) throw new Error('connection lost mid-append');
          return target.sendCommand(args);
        };
      },
    });
    const made: number[] = [];
    const node = createRedisAgentCluster({ redis, prefix: p, nodeId: 'n', allowKiloUrls: ['http://127.0.0.1:9'], leaseMs: 800 });
    try {
      await node.attach({ id: 's6', url: 'http://127.0.0.1:9', sessionId: 'ses_test' });
      // Each upstream gives the session's whole state, as kilo's log does to a new owner: a file, then a finished text part.
      node.start((record, firstId) => {
        made.push(firstId);
        const state = from([fileEdited('/a'), textPart('prt_1', 'the whole answer'), fileEdited('/b')]).pipe(
          concatMap((e) => timer(20).pipe(map(() => e))),
        );
        return createManagedAgent({ agentId: record.id, sessionId: 'ses_test', events: state, firstId });
      });
      const stream = async () =>
        ((await command(real, ['XRANGE', keys.events('s6'), '-', '+'])) as Array<[string, string[]]>).map(
          ([, f]) => JSON.parse(f[1]!) as { type: string; data: Record<string, unknown> },
        );
      await until(
        'the whole answer in the stream',
        async () => (await stream()).some((e) => e.type === 'text' && e.data.text === 'the whole answer'),
        5000,
      );
      expect(made.length).toBe(2);
    } finally {
      await node.close();
    }
  });
});
