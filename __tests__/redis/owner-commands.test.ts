// The owners' command streams against a real redis-server: commands sent while nobody owns an
// agent run when an owner starts; a dead owner's unacknowledged commands are claimed by the next
// one; a claimed action that already took effect is not published again; a command is
// acknowledged only after it took effect; garbage is reported and dropped.
import type { ManagedAgent } from '../../src/agent/create-managed-agent';
import type { ActionData } from '../../src/protocol/agent-event';
import { consumeOwnerCommands, OWNER_GROUP, type OwnerCommandConsumer } from '../../src/redis/consume-owner-commands';
import { createOwnerCommands } from '../../src/redis/create-owner-commands';
import { createRedisDiagnostics, type RedisInvalidEntry } from '../../src/redis/create-redis-diagnostics';
import { command, connectRedis, type RedisConnection } from '../../src/redis/redis-connection';
import { redisKeys } from '../../src/redis/redis-keys';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(30_000);

let server: RedisServer;
const clients: RedisConnection[] = [];
const consumers: OwnerCommandConsumer[] = [];
const connect = async () => {
  const c = await connectRedis(server.url, () => undefined);
  clients.push(c);
  return c;
};
let n = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(() => {
  for (const c of consumers.splice(0)) c.close();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await server.stop();
});

/** An upstream that records what it was asked. */
function fakeUpstream() {
  const seen = { recorded: [] as ActionData[], notes: [] as [string, string | undefined][], stops: [] as string[] };
  const up = {
    record: (a: ActionData) => seen.recorded.push(a),
    noteActor: (r: string, by: string | undefined) => seen.notes.push([r, by]),
    stop: (reason: string) => seen.stops.push(reason),
  } as unknown as ManagedAgent;
  return { up, seen };
}

const action = (text: string): ActionData => ({ kind: 'prompt', by: 'ann', at: '2026-12-04T10:00:00.000Z', text });

async function setup() {
  const keys = redisKeys(`oc${++n}:`);
  const redis = await connect();
  const diagnostics: RedisInvalidEntry[] = [];
  const diag = createRedisDiagnostics({ onDiagnostic: (d) => diagnostics.push(d) });
  const sender = createOwnerCommands({
    redis,
    keys,
    nodeId: 'sender',
    owned: () => [],
    upstreamOf: () => undefined,
    onError: () => undefined,
    diagnostics: diag,
  });
  const owner = (name: string, upstreamOf: (id: string) => ManagedAgent | undefined, owned = () => ['a1']) => {
    const c = consumeOwnerCommands({
      redis,
      keys,
      consumer: name,
      owned,
      upstreamOf,
      onError: () => undefined,
      diagnostics: diag,
      blockMs: 200,
    });
    consumers.push(c);
    return c;
  };
  const pending = async () => Number(((await command(redis, ['XPENDING', keys.commands('a1'), OWNER_GROUP])) as unknown[])[0]);
  const length = async () => Number(await command(redis, ['XLEN', keys.commands('a1')]));
  return { keys, redis, diagnostics, sender, owner, pending, length };
}

describe('owner commands over a Redis stream with a consumer group', () => {
  it('commands sent while nobody owns the agent run, in order and once, when an owner starts; then acknowledged and deleted', async () => {
    const { keys, redis, sender, owner, pending, length } = await setup();
    const ch = sender.channel('a1');
    ch.record(action('one'));
    ch.noteActor('per_1', 'bob');
    ch.record(action('two'));
    ch.stop('stopped');
    await until('the four commands stored', async () => (await length()) === 4);
    const { up, seen } = fakeUpstream();
    owner('b', () => up);
    await until('all applied', () => seen.stops.length === 1);
    expect(seen.recorded).toEqual([action('one'), action('two')]);
    expect(seen.notes).toEqual([['per_1', 'bob']]);
    expect(seen.stops).toEqual(['stopped']);
    await until('acknowledged and deleted', async () => (await length()) === 0 && (await pending()) === 0);
    // The stream (and its group) expires when no command comes for a day, like every key of an agent.
    const ttl = Number(await command(redis, ['PTTL', keys.commands('a1')]));
    expect(ttl).toBeGreaterThan(23 * 3600_000);
    // Later commands arrive live (the blocking read).
    ch.record(action('three'));
    await until('the live one', () => seen.recorded.length === 3);
    await sleep(500);
    expect(seen.recorded.map((a) => a.text)).toEqual(['one', 'two', 'three']);
  });

  it("a dead owner's unacknowledged commands are claimed by the next owner; an action it had published is not published again", async () => {
    const { keys, redis, sender, owner, pending } = await setup();
    const ch = sender.channel('a1');
    ch.record(action('applied before the crash'));
    ch.record(action('read, not applied'));
    // The dead owner read both (delivered, never acknowledged) and had published the first one's action.
    await command(redis, ['XGROUP', 'CREATE', keys.commands('a1'), OWNER_GROUP, '0', 'MKSTREAM']).catch(() => undefined);
    await until('both sent', async () => Number(await command(redis, ['XLEN', keys.commands('a1')])) === 2);
    await command(redis, ['XREADGROUP', 'GROUP', OWNER_GROUP, 'dead', 'COUNT', 10, 'STREAMS', keys.commands('a1'), '>']);
    expect(await pending()).toBe(2);
    const published = { type: 'action', data: action('applied before the crash') };
    await command(redis, ['XADD', keys.events('a1'), '5000-0', 'e', JSON.stringify(published), 'p', '0']);
    ch.record(action('sent while nobody owned it'));
    const { up, seen } = fakeUpstream();
    owner('next', () => up);
    await until('the next owner applied what was left', () => seen.recorded.length === 2);
    await sleep(500);
    expect(seen.recorded.map((a) => a.text)).toEqual(['read, not applied', 'sent while nobody owned it']);
    await until('nothing pending', async () => (await pending()) === 0);
  });

  it('a command is acknowledged only after it took effect: an owner that lost the agent leaves it pending for the next', async () => {
    const { sender, owner, pending } = await setup();
    let owns = true;
    const first = fakeUpstream();
    owner('first', () => (owns ? first.up : undefined));
    await sleep(300);
    owns = false; // lost the lease: still listed as owned for a moment, but no upstream
    sender.channel('a1').record(action('during the handover'));
    await until('read and left pending', async () => (await pending()) === 1);
    expect(first.seen.recorded).toEqual([]);
    const next = fakeUpstream();
    owner('second', () => next.up);
    await until('the next owner applied it', () => next.seen.recorded.length === 1);
    await until('acknowledged', async () => (await pending()) === 0);
    expect(first.seen.recorded).toEqual([]);
  });

  it('an entry that is not a command (or names another agent) is reported, dropped, and the stream goes on', async () => {
    const { keys, redis, sender, owner, diagnostics, length } = await setup();
    const key = keys.commands('a1');
    await command(redis, ['XADD', key, '*', 'c', '{not json']);
    await command(redis, ['XADD', key, '*', 'c', JSON.stringify({ agentId: 'a1', op: 'eval' })]);
    await command(redis, [
      'XADD',
      key,
      '*',
      'c',
      JSON.stringify({ agentId: 'a1', op: 'record', action: { kind: 'prompt', by: 'x', at: 'yesterday' } }),
    ]);
    await command(redis, ['XADD', key, '*', 'c', JSON.stringify({ agentId: 'other', op: 'stop' })]);
    await command(redis, ['XADD', key, '*', 'x', 'no c field']);
    sender.channel('a1').record(action('valid'));
    const { up, seen } = fakeUpstream();
    owner('b', () => up);
    await until('the valid one applied', () => seen.recorded.length === 1);
    await until('all dropped', async () => (await length()) === 0);
    expect(seen.stops).toEqual([]);
    expect(diagnostics.map((d) => d.kind)).toEqual(Array(5).fill('command'));
    expect(diagnostics.every((d) => d.key.startsWith(key) && !d.issue.includes('yesterday'))).toBe(true);
  });
});
