// `serve --demo --redis-url` on two real CLI processes sharing a real redis-server: each node
// registers its own demo agent (`demo-<node id>`, pinned to it: its demo kilo lives in that
// process), both are listed and watched from either node, and SIGKILL of one node ends its demo
// with `node_lost` on the other while the survivor's own demo goes on.
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { openSse, type RawSseViewer } from '../helpers/sse-client';
import { waitUntil } from '../helpers/wait-until';

jest.setTimeout(120_000);

/** The cluster's defaults (createRedisAgentCluster): liveness key TTL, sync period. */
const NODE_LEASE_MS = 5000;
const POLL_MS = 1000;

const agents = async (base: string) =>
  ((await (await fetch(`${base}/agents`)).json()) as { agents: Array<{ id: string; state: string }> }).agents;

async function watch(base: string, agentId: string): Promise<RawSseViewer> {
  const r = await fetch(`${base}/agents/${agentId}/stream-ticket`, { method: 'POST' });
  if (r.status !== 201) throw new Error(`ticket: HTTP ${r.status} ${await r.text()}`);
  return openSse(`${base}${((await r.json()) as { streamUrl: string }).streamUrl}`);
}

describe('serve --demo --redis-url: one demo agent per node, on every node', () => {
  let redis: RedisServer;
  let a: RunningCli;
  let b: RunningCli;
  const viewers: RawSseViewer[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const node = (id: string) => startCli(['serve', '--port', '0', '--demo', '--redis-url', redis.url, '--node-id', id], 30_000);
    [a, b] = await Promise.all([node('a'), node('b')]);
  });
  afterAll(async () => {
    for (const v of viewers) v.close();
    for (const c of [a, b]) if (c && c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await redis?.stop();
  });

  it('lists and streams both demos from both nodes; SIGKILL of A ends demo-a on B with node_lost, demo-b goes on', async () => {
    const start = Date.now();
    for (const node of [a, b]) {
      await waitUntil(
        'both demos listed',
        async () => {
          const ids = (await agents(node.url)).map((x) => x.id);
          return ids.includes('demo-a') && ids.includes('demo-b');
        },
        60_000,
      );
    }
    const listedMs = Date.now() - start;
    // A's demo, watched from B, and B's from A: the demo's text deltas cross the nodes.
    const fromB = await watch(b.url, 'demo-a');
    const fromA = await watch(a.url, 'demo-b');
    viewers.push(fromB, fromA);
    for (const v of [fromB, fromA]) await v.waitFor((x) => x.events().filter((f) => f.event === 'text').length >= 5, 60_000, 'demo text');
    // Watch-only: nobody may act on a demo, on any node.
    expect(
      (
        await fetch(`${b.url}/agents/demo-a/prompt`, {
          method: 'POST',
          body: '{"text":"hi"}',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(501);

    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await a.exited;
    // The liveness TTL + grace + a sync period, plus B's measured time to see a record, twice, plus a margin.
    const bound = NODE_LEASE_MS + 3 * POLL_MS + 2 * Math.max(listedMs, POLL_MS) + 5000;
    await fromB.waitForEnd(bound);
    const endedMs = Date.now() - killedAt;
    expect(JSON.parse(fromB.events().find((f) => f.event === 'exit')!.data!)).toMatchObject({ reason: 'node_lost' });
    const list = await agents(b.url);
    expect(list.find((x) => x.id === 'demo-a')).toMatchObject({ state: 'failed' });
    expect(list.find((x) => x.id === 'demo-b')?.state).not.toMatch(/exited|failed/);
    // B's own demo still streams on B.
    const own = await watch(b.url, 'demo-b');
    viewers.push(own);
    const before = own.events().filter((f) => f.event === 'text').length;
    await own.waitFor((x) => x.events().filter((f) => f.event === 'text').length > before + 3, 60_000, 'demo-b going on');
    console.log(`demo-a node_lost on B ${endedMs} ms after SIGKILL of A (bound ${bound} ms)`);
  });
});
