// Agents pinned to the node holding their kilo (spawned, demo), against a real redis-server with
// cluster nodes in one process and fake upstreams: only that node consumes; others act through
// it; a stop from another node reaches it; when it is gone exactly one survivor ends the agent
// (`node_lost`); a node that was only silent stops its kilo without publishing more; a node
// restarted under the same id ends its earlier run's agents; a node leaving ends its agents.
import { Subject, firstValueFrom } from 'rxjs';
import type { AgentActions, ManagedAgent } from '../../src/agent/create-managed-agent';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { ExitReason } from '../../src/protocol/agent-event';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createActionRelay, RelayedActionError } from '../../src/redis/create-action-relay';
import { createRedisAgentCluster } from '../../src/redis/create-redis-agent-cluster';
import { endLostAgent } from '../../src/redis/end-lost-agent';
import { command, connectRedis, type RedisConnection, type RedisReply } from '../../src/redis/redis-connection';
import { redisKeys } from '../../src/redis/redis-keys';
import { leaseEpochKey } from '../../src/redis/redis-lease';
import type { UpstreamFactory } from '../../src/server/agent-cluster';
import { delta, status, textPart } from '../helpers/kilo-builders';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(60_000);

let server: RedisServer;
const clients: RedisConnection[] = [];
const connect = async () => {
  const c = await connectRedis(server.url, () => undefined);
  clients.push(c);
  return c;
};
let n = 0;
const prefix = () => `p${++n}:`;
const clusters: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await server.stop();
});

/** Upstreams made by a lease (a pinned agent must never get one). */
const made: string[] = [];
const factory: UpstreamFactory = (record, firstId) => {
  made.push(record.id);
  return createManagedAgent({ agentId: record.id, events: new Subject<KiloEvent>(), firstId });
};

async function node(nodeId: string, p: string, redis?: RedisConnection) {
  const c = createRedisAgentCluster({
    redis: redis ?? (await connect()),
    prefix: p,
    nodeId,
    pollMs: 100,
    snapshotMs: 100,
    nodeLeaseMs: 600,
    relayTimeoutMs: 3000,
  });
  c.start(factory);
  clusters.push(c);
  return c;
}

/** A fake spawned agent: its kilo events, the actions it ran, the stops asked of it. */
function spawned(agentId: string) {
  const source = new Subject<KiloEvent>();
  const ran: string[] = [];
  const stops: ExitReason[] = [];
  const actions: AgentActions = {
    prompt: async (text) => void ran.push(`prompt ${text}`),
    abort: async () => void ran.push('abort'),
    replyPermission: async () => {
      throw Object.assign(new Error('no such request'), { status: 404 });
    },
    replyQuestion: async (id, answers) => void ran.push(`question ${id} ${JSON.stringify(answers)}`),
    rejectQuestion: async (id) => void ran.push(`reject ${id}`),
  };
  const agent: ManagedAgent = createManagedAgent({ agentId, sessionId: 'ses_test', events: source, actions, onStop: (r) => stops.push(r) });
  return { agent, source, ran, stops };
}

const exitReason = async (agent: ManagedAgent | undefined) => (await firstValueFrom(agent!.exit$)).reason;

describe('pinned agents on a Redis cluster', () => {
  it('only the holding node consumes; another node sees the same events, acts and stops through it', async () => {
    const p = prefix();
    const [a, b] = [await node('a', p), await node('b', p)];
    const s = spawned('p1');
    // Events given out before it was registered reach the stream too.
    s.source.next(status('busy'));
    s.source.next(textPart('t1', 'Hello'));
    await a.adopt({ id: 'p1', url: 'http://127.0.0.1:9', sessionId: 'ses_test' }, s.agent);
    for (let i = 0; i < 200; i++) s.source.next(delta('t1', ` w${i}`));
    await until('b to replicate p1', () => b.registry.get('p1')?.history.latestSeq === s.agent.history.latestSeq, 20_000);
    const rb = b.registry.get('p1')!;
    expect(rb.firstId).toBe(s.agent.firstId);
    expect(rb.history.since().events.map((e) => e.seq)).toEqual(s.agent.history.since().events.map((e) => e.seq));
    expect(a.owns('p1')).toBe(true);
    expect(b.owns('p1')).toBe(false);

    // Acting from b runs on a's agent (b has neither kilo's URL in its policy nor its password).
    await rb.actions!.prompt('from b');
    await rb.actions!.replyQuestion('que_1', [['yes']]);
    await rb.actions!.abort();
    expect(s.ran).toEqual(['prompt from b', 'question que_1 [["yes"]]', 'abort']);
    const refused = await rb.actions!.replyPermission('per_1', 'once').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RelayedActionError);
    expect(refused).toMatchObject({ status: 404 });
    // A record naming a loopback kilo is not refused by b's URL policy: b never calls it.
    expect(b.diagnostics.invalidEntries.get('kilo_url') ?? 0).toBe(0);

    // Stopped from b: a stops its agent; every node gets the exit.
    rb.stop('stopped');
    expect(await exitReason(rb)).toBe('stopped');
    expect(s.stops).toEqual(['stopped']);
    expect(made).not.toContain('p1');
  });

  it('the relay ignores (and counts) what is not a relay message; an action for an agent its node does not hold is refused', async () => {
    const p = prefix();
    const [a, b] = [await node('a', p), await node('b', p)];
    const r = await connect();
    const subscribed = async () => Number(((await command(r, ['PUBSUB', 'NUMSUB', redisKeys(p).relay])) as RedisReply[])[1]);
    await until('both relays subscribed', async () => (await subscribed()) >= 2, 10_000);
    for (const bad of [
      'nope',
      '{"kind":"act","id":"x","from":"b","to":"a","agentId":"../x","act":{"op":"abort"}}',
      '{"kind":"reply","id":"x"}',
    ])
      await command(r, ['PUBLISH', redisKeys(p).relay, bad]);
    await until('a to count them', () => (a.diagnostics.invalidEntries.get('command') ?? 0) >= 3, 10_000);
    // Another node asks a for an agent a does not hold: a answers with a refusal at once (not the timeout).
    const asker = createActionRelay({
      redis: await connect(),
      keys: redisKeys(p),
      nodeId: 'c',
      local: () => undefined,
      timeoutMs: 20_000,
      onError: () => undefined,
      diagnostics: b.diagnostics,
    });
    await asker.start();
    try {
      const started = Date.now();
      const refused = await asker
        .actionsOf('ghost', 'a')
        .abort()
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RelayedActionError);
      expect((refused as Error).message).toBe('agent ghost is not held by node a');
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      asker.close();
    }
  });

  it('a second adopt of a taken id is refused (agent_exists)', async () => {
    const p = prefix();
    const [a, b] = [await node('a', p), await node('b', p)];
    await a.adopt({ id: 'dup', url: 'http://127.0.0.1:9' }, spawned('dup').agent);
    await expect(b.adopt({ id: 'dup', url: 'http://127.0.0.1:9' }, spawned('dup').agent)).rejects.toMatchObject({ code: 'agent_exists' });
  });

  it('an adopt Redis cannot answer fails as itself, not as agent_exists (the spawn route answers 502, not 409)', async () => {
    const p = prefix();
    const a = await node('a', p);
    const admin = await connect();
    await command(admin, ['CONFIG', 'SET', 'maxmemory', '1']); // every write now refused (OOM)
    try {
      const failed = await a.adopt({ id: 'oom', url: 'http://127.0.0.1:9' }, spawned('oom').agent).then(
        () => undefined,
        (e: unknown) => e as { code?: unknown; message?: string },
      );
      expect(failed).toBeDefined();
      expect(failed!.code).not.toBe('agent_exists');
      expect(String(failed!.message)).toMatch(/OOM|maxmemory/i);
    } finally {
      await command(admin, ['CONFIG', 'SET', 'maxmemory', '0']);
    }
    // Redis answers again: the same id is free (the failed adopt left nothing behind).
    await a.adopt({ id: 'oom', url: 'http://127.0.0.1:9' }, spawned('oom').agent);
    expect(a.registry.get('oom')).toBeDefined();
  });

  it('when the holding node dies, exactly one of the survivors ends its agent with node_lost', async () => {
    const p = prefix();
    const aRedis = await connect();
    const a = await node('a', p, aRedis);
    const [b, c, d] = [await node('b', p), await node('c', p), await node('d', p)];
    const s = spawned('p2');
    await a.adopt({ id: 'p2', url: 'http://127.0.0.1:9', sessionId: 'ses_test' }, s.agent);
    s.source.next(status('busy'));
    await until('every survivor to know p2', () => [b, c, d].every((x) => (x.registry.get('p2')?.history.latestSeq ?? 0) > 0), 20_000);
    // a dies: its connection is gone (no heartbeat, no write), its liveness key expires.
    aRedis.destroy();
    const reasons = await Promise.all([b, c, d].map((x) => exitReason(x.registry.get('p2'))));
    expect(reasons).toEqual(['node_lost', 'node_lost', 'node_lost']);
    const keys = redisKeys(p);
    const entries = (await command(await connect(), ['XRANGE', keys.events('p2'), '-', '+'])) as Array<[string, string[]]>;
    expect(entries.filter(([, f]) => f[1]!.includes('"type":"exit"'))).toHaveLength(1);
    expect(b.registry.get('p2')!.status().state).toBe('failed');
    expect(made).not.toContain('p2');
    // Every key the agent left expires with the retention, the lease's epoch counter too.
    const admin = await connect();
    for (const key of [keys.record('p2'), keys.events('p2'), leaseEpochKey(keys.lease('p2'))]) {
      expect([key, await command(admin, ['PTTL', key])]).toEqual([key, expect.any(Number)]);
      expect(Number(await command(admin, ['PTTL', key]))).toBeGreaterThan(0);
    }
  });

  it('endLostAgent publishes once when several nodes race, never while the node is alive', async () => {
    const keys = redisKeys(prefix());
    const r = await connect();
    const record = { id: 'x1', url: 'http://127.0.0.1:9', firstId: 1000, node: 'gone' };
    const text = JSON.stringify(record);
    await command(r, ['SET', keys.record('x1'), text]);
    const status = { agentId: 'x1', sessionId: null, state: 'busy' as const, activeTools: ['bash'] };
    const exit = { reason: 'node_lost' as const };
    const options = {
      agentId: 'x1',
      recordText: text,
      exitedText: JSON.stringify({ ...record, exit }),
      node: 'gone',
      latestSeq: 1500,
      status,
      exit,
      retentionMs: 60_000,
    };
    await command(r, ['SET', keys.node('gone'), '1']);
    expect(await endLostAgent(r, keys, options)).toBe(false);
    await command(r, ['DEL', keys.node('gone')]);
    const racers = await Promise.all([connect(), connect(), connect(), connect()]);
    const results = await Promise.all(racers.map((x) => endLostAgent(x, keys, options)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const entries = (await command(r, ['XRANGE', keys.events('x1'), '-', '+'])) as Array<[string, string[]]>;
    expect(entries.map(([id]) => id)).toEqual(['1501-0', '1502-0']);
    expect(JSON.parse(entries[0]![1][1]!)).toMatchObject({ type: 'status', seq: 1501, data: { state: 'failed', activeTools: [] } });
    expect(JSON.parse(entries[1]![1][1]!)).toEqual({ type: 'exit', seq: 1502, data: { reason: 'node_lost' } });
    expect(Number(await command(r, ['PTTL', keys.record('x1')]))).toBeGreaterThan(0);
  });

  it('a node that finds its agent ended elsewhere (it was silent) stops it and publishes nothing more', async () => {
    const p = prefix();
    const keys = redisKeys(p);
    const [a, b] = [await node('a', p), await node('b', p)];
    const s = spawned('p3');
    await a.adopt({ id: 'p3', url: 'http://127.0.0.1:9', sessionId: 'ses_test' }, s.agent);
    s.source.next(status('busy'));
    await until('b to know p3', () => (b.registry.get('p3')?.history.latestSeq ?? 0) > 0, 20_000);
    // Another node ended it while a was starved (here: without the liveness check).
    const r = await connect();
    const text = (await command(r, ['GET', keys.record('p3')])) as string;
    const exit = { reason: 'node_lost' as const };
    const rb = b.registry.get('p3')!;
    await expect(
      endLostAgent(r, keys, {
        agentId: 'p3',
        recordText: text,
        exitedText: JSON.stringify({ ...JSON.parse(text), exited: exit }),
        latestSeq: rb.history.latestSeq,
        status: rb.status(),
        exit,
        retentionMs: 60_000,
      }),
    ).resolves.toBe(true);
    await until('a to stop its agent', () => s.stops.length > 0, 20_000);
    expect(s.stops).toEqual(['shutdown']);
    s.source.next(textPart('t9', 'too late'));
    await new Promise((res) => setTimeout(res, 300));
    const last = (await command(r, ['XREVRANGE', keys.events('p3'), '+', '-', 'COUNT', 1])) as Array<[string, string[]]>;
    expect(JSON.parse(last[0]![1][1]!)).toMatchObject({ type: 'exit', data: { reason: 'node_lost' } });
  });

  it('a node restarted under the same id ends the agents of its earlier run; a node leaving ends its agents with shutdown', async () => {
    const p = prefix();
    const oldRedis = await connect();
    const old = await node('a', p, oldRedis);
    const b = await node('b', p);
    await old.adopt({ id: 'p4', url: 'http://127.0.0.1:9', sessionId: 'ses_test' }, spawned('p4').agent);
    await until('b to know p4', () => b.registry.get('p4') !== undefined, 20_000);
    oldRedis.destroy();
    const again = await node('a', p);
    expect(await exitReason(b.registry.get('p4'))).toBe('node_lost');

    const s = spawned('p5');
    await again.adopt({ id: 'p5', url: 'http://127.0.0.1:9', sessionId: 'ses_test' }, s.agent);
    await until('b to know p5', () => b.registry.get('p5') !== undefined, 20_000);
    // Left once it consumes p5 (a node leaving before its first lease step has not published anything to end).
    await until('again to consume p5', () => again.owns('p5'), 20_000);
    await again.close();
    expect(await exitReason(b.registry.get('p5'))).toBe('shutdown');
    expect(s.stops).toEqual(['shutdown']);
  });
});
