// Partitions (issue 22): two real CLI nodes, each reaching a real redis-server through its own TCP
// proxy that the test cuts, in front of the real kilo binary driven by the fake LLM. Mid-turn the
// owner's link is cut for 10 s: the other node takes the upstream after the lease; the cut node
// stops consuming on its own clock (it cannot reach Redis); no id is ever served with two
// different frames (fencing); after the heal there is one owner and every viewer of both nodes
// converges on kilo's state with ids increasing. Then the same with the non-owner's link cut.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { createFakeLlm, type FakeLlm } from '../../src/demo/fake-llm';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { createKiloSessionClient, type KiloSessionClient } from '../../src/kilo/kilo-session-client';
import { launchKilo, type KiloProcess } from '../../src/kilo/launch-kilo';
import { clusterNodeArgs } from '../helpers/cluster-node-args';
import { kiloView, sameView, type ComparableView } from '../helpers/kilo-view';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { explainLag, startPinnedViewer, tallyFailures as tally, type PinnedViewer } from '../helpers/pinned-viewer';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(240_000);

const AGENT = 'p1';
const CUT_MS = 10_000;
const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i} `);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Viewer = PinnedViewer;

describe('a node cut from Redis by a TCP proxy, real CLI nodes, redis-server and kilo', () => {
  let root: string;
  let llm: FakeLlm;
  let kilo: KiloProcess;
  let client: KiloSessionClient;
  let redis: RedisServer;
  let proxies: TcpProxy[] = [];
  let nodes: RunningCli[] = [];
  let viewers: Viewer[][] = [];
  let sessionId: string;

  const running = (n: RunningCli) => n.child.exitCode === null && n.child.signalCode === null;
  const lines = (n: RunningCli) => n.stderr().match(/this node \(\S+\) (consumes|stops consuming) its upstream/g) ?? [];
  /** Whether the node's last word about the agent is that it consumes it. */
  const consumes = (n: RunningCli) => /consumes/.test(lines(n).at(-1) ?? '');
  const owner = () => nodes.findIndex(consumes);
  const idle = async () => !(sessionId in (await client.status()));
  const all = () => viewers.flat();
  const converged = (truth: ComparableView) => all().every((v) => sameView(v.view(), truth));
  const leaseHolder = async () => {
    const c = createClient({ url: redis.url });
    await c.connect();
    try {
      return String(await c.sendCommand(['GET', `agent-stream:agent:${AGENT}:lease`]));
    } finally {
      await c.quit();
    }
  };

  /**
   * Every id is served with the same frame on every viewer of every node — or, for a text part, a
   * replay of the retained state: the part's whole text under the id of its last delta — and ids
   * only increase per viewer (but after a `reset`). Two owners' ids colliding would break this.
   */
  const checkIds = () => {
    const byId = new Map<number, string>();
    const same = (a: string, b: string) => {
      if (a === b) return true;
      const [ea, da] = [a.slice(0, a.indexOf(' ')), JSON.parse(a.slice(a.indexOf(' ') + 1)) as Record<string, unknown>];
      const [eb, db] = [b.slice(0, b.indexOf(' ')), JSON.parse(b.slice(b.indexOf(' ') + 1)) as Record<string, unknown>];
      if (ea !== eb || da.partId === undefined || da.partId !== db.partId) return false;
      const whole = (typeof da.text === 'string' ? da.text : db.text) as string | undefined;
      const delta = (typeof da.delta === 'string' ? da.delta : db.delta) as string | undefined;
      return whole !== undefined && delta !== undefined && whole.endsWith(delta);
    };
    for (const v of all()) {
      let prev = 0;
      let afterReset = false;
      for (const f of v.frames) {
        if (f.event === 'reset') afterReset = true;
        if (f.id === undefined) continue;
        if (!afterReset) expect(f.id).toBeGreaterThan(prev);
        afterReset = false;
        prev = f.id;
        const seen = byId.get(f.id);
        const frame = `${f.event} ${f.data}`;
        if (seen === undefined) byId.set(f.id, frame);
        else if (!same(frame, seen)) expect(frame).toBe(seen);
      }
    }
  };

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'partition-')));
    llm = await createFakeLlm({
      turns: [
        { text: words('warm', 20), chunkDelayMs: 10 },
        { text: words('cutowner', 300), chunkDelayMs: 40 },
        { text: words('cutother', 300), chunkDelayMs: 40 },
      ],
    });
    kilo = await launchKilo({ config: kiloConfigFor({ baseURL: llm.baseURL }), tempParent: root });
    client = createKiloSessionClient({ baseUrl: kilo.url });
    sessionId = (await client.createSession({ title: 'partition' })).id;
    redis = await startRedisServer();
    proxies = await Promise.all([startTcpProxy(`127.0.0.1:${redis.port}`), startTcpProxy(`127.0.0.1:${redis.port}`)]);
    const args = (i: number) =>
      clusterNodeArgs({ kiloUrl: kilo.url, sessionId, agentId: AGENT, redisUrl: `redis://127.0.0.1:${proxies[i]!.port}`, nodeId: `n${i}` });
    nodes = await Promise.all([startCli(args(0), 20_000), startCli(args(1), 20_000)]);
    await until('an owner', () => owner() >= 0, 20_000);
    viewers = nodes.map((n, i) => Array.from({ length: 20 }, (_, j) => startPinnedViewer(n.url, AGENT, `127.0.1.${1 + 20 * i + j}`)));
    const opened = Date.now();
    await Promise.all(all().map((v) => v.connect()));
    await until('every viewer streaming', () => all().every((v) => v.frames.length > 0), 20_000).catch(explainLag(all()));
    process.stdout.write(
      `[partition] every viewer streaming ${Date.now() - opened} ms after opening; failures meanwhile: ${JSON.stringify(tally(all()))}\n`,
    );
    await prompt('Warm up.');
    await until('kilo idle', idle, 60_000);
    const truth = await kiloView(kilo.url, sessionId);
    await until('every viewer folded the warm-up', () => converged(truth), 20_000).catch(explainLag(all(), truth));
  }, 120_000);

  afterAll(async () => {
    all().forEach((v) => v.close());
    for (const n of nodes) if (running(n)) n.child.kill('SIGKILL');
    await Promise.all(proxies.map((p) => p.close()));
    await redis?.stop();
    await kilo?.stop();
    await llm?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const prompt = async (text: string) => {
    const r = await fetch(`${nodes[0]!.url}/agents/${AGENT}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(r.status).toBe(202);
  };

  /**
   * Prompts, cuts the owner's (`which`) link to Redis for 10 s a second into the turn, heals;
   * returns the owner at the cut and what each node's log said during the cut.
   */
  const cutMidTurn = async (which: 'owner' | 'other', text: string, marker: string) => {
    await prompt(text);
    await until('streaming text', () => all()[0]!.frames.some((f) => f.data.includes(`${marker}3 `)), 30_000);
    const first = owner();
    expect(first).toBeGreaterThanOrEqual(0);
    const cut = which === 'owner' ? first : 1 - first;
    const before = nodes.map((n) => lines(n).length);
    const cutAt = Date.now();
    proxies[cut]!.cut();
    await sleep(CUT_MS);
    const during = nodes.map((n, i) => lines(n).slice(before[i]));
    proxies[cut]!.restore();
    process.stdout.write(
      `[partition] cut n${cut} (${which}) for ${Date.now() - cutAt} ms; the nodes said meanwhile: ${JSON.stringify(during)}\n`,
    );
    await until('kilo idle', idle, 60_000);
    const truth = await kiloView(kilo.url, sessionId);
    expect(Object.values(truth.parts).some((t) => t.includes(`${marker}299`))).toBe(true);
    const t0 = Date.now();
    await until('every viewer on both nodes folded kilo’s state', () => converged(truth), 30_000).catch(explainLag(all(), truth));
    process.stdout.write(`[partition] every viewer converged ${Date.now() - t0} ms after kilo was idle\n`);
    // One owner, and it is the node the lease names.
    // (On a busy machine an owner whose renewals were starved stops and takes its agent again: the
    // end state is checked until it holds, not at one instant.)
    await until(
      'one node consumes, and the lease names it',
      async () => nodes.filter(consumes).length === 1 && new RegExp(`^\\d+:n${owner()}$`).test(await leaseHolder()),
      15_000,
    );
    checkIds();
    return { first, cut, during };
  };

  it('the owner cut off for 10 s mid-turn: the other node takes over, the cut node stops on its own; after the heal one owner, every viewer converges', async () => {
    const { first, during } = await cutMidTurn('owner', 'Talk for a while.', 'cutowner');
    // The cut node said it stopped (it could not renew) and never that it consumes; the other took over.
    expect(during[first]!.some((l) => /stops consuming/.test(l))).toBe(true);
    expect(during[first]!.some((l) => /consumes/.test(l))).toBe(false);
    expect(during[1 - first]!.some((l) => /consumes/.test(l))).toBe(true);
    expect(nodes.every(running)).toBe(true);
  });

  it('the non-owner cut off for 10 s mid-turn: it never takes the agent while cut; after the heal one owner, every viewer converges', async () => {
    const { cut, during } = await cutMidTurn('other', 'Talk some more.', 'cutother');
    expect(during[cut]!.some((l) => /consumes/.test(l))).toBe(false);
    expect(nodes.every(running)).toBe(true);
  });
});
