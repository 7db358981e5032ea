// `serve --spawn --redis-url` on two real CLI processes sharing a real redis-server, with real
// `kilo serve` agents driven by the built-in offline LLM: an agent spawned on node A is listed,
// watched, prompted, aborted and stopped from node B (its kilo lives on A; B acts through A);
// SIGKILL of A ends A's agents on B with `node_lost`, no stream left hanging, no kilo left behind.
import { agentRecordSchema, jsonText } from '../../src/redis/redis-schemas';
import { command, connectRedis } from '../../src/redis/redis-connection';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { openSse, type RawSseViewer } from '../helpers/sse-client';
import { waitUntil } from '../helpers/wait-until';
import { kiloPidsUnder, waitGone } from './process-helpers';

jest.setTimeout(420_000);

const TOKEN = 'cli-spawn-cluster-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json', ...auth };
/** The cluster's defaults (createRedisAgentCluster): liveness key TTL, sync period. */
const NODE_LEASE_MS = 5000;
const POLL_MS = 1000;

interface AgentView {
  id: string;
  state: string;
}

const post = (url: string, body?: unknown) =>
  fetch(url, { method: 'POST', headers: body === undefined ? auth : json, body: body === undefined ? undefined : JSON.stringify(body) });
const agents = async (base: string) =>
  ((await (await fetch(`${base}/agents`, { headers: auth })).json()) as { agents: AgentView[] }).agents;

async function watch(base: string, agentId: string): Promise<RawSseViewer> {
  const r = await post(`${base}/agents/${agentId}/stream-ticket`);
  if (r.status !== 201) throw new Error(`ticket: HTTP ${r.status} ${await r.text()}`);
  return openSse(`${base}${((await r.json()) as { streamUrl: string }).streamUrl}`);
}

const finished = (v: RawSseViewer) => v.events().filter((f) => f.event === 'message-info' && f.data!.includes('"finish":"stop"')).length;
const exitOf = (v: RawSseViewer) => v.events().find((f) => f.event === 'exit')?.data;

describe('serve --spawn --redis-url: agents spawned on one node, used from another', () => {
  let redis: RedisServer;
  let a: RunningCli;
  let b: RunningCli;
  const viewers: RawSseViewer[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const node = (id: string) =>
      startCli(['serve', '--port', '0', '--spawn', '--token', TOKEN, '--redis-url', redis.url, '--node-id', id], 30_000);
    [a, b] = await Promise.all([node('a'), node('b')]);
  });
  afterAll(async () => {
    for (const v of viewers) v.close();
    for (const c of [a, b]) if (c && c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await redis?.stop();
  });

  it('lists, watches, prompts, aborts and stops from B an agent spawned on A; SIGKILL of A ends its agents on B with node_lost', async () => {
    // A fresh kilo migrates its database first: 16-27 s measured on a busy 2-core machine (spawn-routes.ts).
    const created = await post(`${a.url}/agents`, { prompt: 'Say hello', agentId: 's1' });
    expect(created.status).toBe(201);
    const kilos = kiloPidsUnder(a.child.pid!);
    expect(kilos).toHaveLength(1);
    expect(kiloPidsUnder(b.child.pid!)).toHaveLength(0);

    // B lists it within its sync period (records are read every POLL_MS); the time it took is the bound's measure.
    const listStart = Date.now();
    await waitUntil('B lists s1', async () => (await agents(b.url)).some((x) => x.id === 's1'), 60_000);
    const listedMs = Date.now() - listStart;
    // Its record names the node holding its kilo, and keeps kilo's password on that node (B acts through A:
    // B could not reach kilo itself, every request to it needs the password).
    const client = await connectRedis(redis.url, () => undefined);
    const record = jsonText(agentRecordSchema).parse(await command(client, ['GET', 'agent-stream:agent:s1']));
    client.destroy();
    expect(record).toMatchObject({ id: 's1', node: 'a' });
    expect(record.password).toBeUndefined();

    // Watched from B: the first turn (a shell tool call, then an answer) comes through Redis.
    const v1 = await watch(b.url, 's1');
    viewers.push(v1);
    await v1.waitFor(
      (x) => x.events().some((f) => f.event === 'tool' && f.data!.includes('"status":"completed"')) && finished(x) >= 1,
      90_000,
      'the first turn on B',
    );

    // Prompted from B: kilo on A gets it (relayed through A), the action row and the second turn reach B's viewer.
    const prompted = await post(`${b.url}/agents/s1/prompt`, { text: 'Once more, from node B' });
    expect(prompted.status).toBe(202);
    await v1.waitFor(
      (x) => x.events().some((f) => f.event === 'action' && f.data!.includes('Once more, from node B')) && finished(x) >= 2,
      90_000,
      'the action row and the second turn on B',
    );
    // The spawn routes' own prompt works from B too; an abort from B is relayed and recorded.
    expect((await post(`${b.url}/agents/s1/message`, { prompt: 'A third time' })).status).toBe(202);
    await v1.waitFor((x) => finished(x) >= 3, 90_000, 'the third turn on B');
    expect((await post(`${b.url}/agents/s1/abort`, {})).status).toBe(202);
    await v1.waitFor((x) => x.events().some((f) => f.event === 'action' && f.data!.includes('"kind":"abort"')), 30_000, 'the abort row');

    // A second agent on A, watched from B, for the node's death.
    expect((await post(`${a.url}/agents`, { prompt: 'Say hello', agentId: 's2' })).status).toBe(201);
    await waitUntil('B lists s2', async () => (await agents(b.url)).some((x) => x.id === 's2'), 60_000);
    const v2 = await watch(b.url, 's2');
    viewers.push(v2);
    await v2.waitFor((x) => finished(x) >= 1, 90_000, 's2 first turn on B');
    const kilo2 = kiloPidsUnder(a.child.pid!).find((p) => !kilos.includes(p));
    expect(kilo2).toBeDefined();

    // Stopped from B: A stops s1's kilo process gracefully; every viewer gets exit `stopped`.
    expect((await post(`${b.url}/agents/s1/stop`)).status).toBe(202);
    await v1.waitForEnd(30_000);
    expect(JSON.parse(exitOf(v1)!)).toEqual({ reason: 'stopped' });
    expect(await waitGone(kilos[0]!, 15_000)).toBe(true);
    expect(kiloPidsUnder(a.child.pid!)).toEqual([kilo2]);

    // A dies. Its liveness key expires (NODE_LEASE_MS), B waits its grace (2 polls), then ends s2 once.
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await a.exited;
    // The bound: the liveness TTL + grace + a sync period, plus B's own measured latency to see a record change, twice.
    const bound = NODE_LEASE_MS + 2 * POLL_MS + POLL_MS + 2 * Math.max(listedMs, POLL_MS) + 5000;
    await v2.waitForEnd(bound);
    const endedMs = Date.now() - killedAt;
    const exit = JSON.parse(exitOf(v2)!) as { reason: string; error?: { message: string } };
    expect(exit).toMatchObject({ reason: 'node_lost', error: { message: 'node a is gone' } });
    expect(
      v2
        .events()
        .filter((f) => f.event === 'status')
        .at(-1)!.data,
    ).toContain('"state":"failed"');
    // No kilo of A's is left behind (its watchdog ends it with A).
    expect(await waitGone(kilo2!, 15_000)).toBe(true);
    // B shows it ended; a new viewer on B replays to the exit and its stream ends (nothing hangs).
    expect((await agents(b.url)).find((x) => x.id === 's2')).toMatchObject({ state: 'failed' });
    const late = await watch(b.url, 's2');
    viewers.push(late);
    await late.waitForEnd(10_000);
    expect(JSON.parse(exitOf(late)!)).toMatchObject({ reason: 'node_lost' });
    // Acting on it answers the documented 409.
    expect((await post(`${b.url}/agents/s2/prompt`, { text: 'hello?' })).status).toBe(409);
    console.log(`node_lost on B ${endedMs} ms after SIGKILL of A (bound ${bound} ms; B listed a new agent in ${listedMs} ms)`);
  });
});
