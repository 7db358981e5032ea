// Beyond one machine (docs/deploy.md): two control-server processes sharing one redis-server,
// behind a real nginx (round robin, no sticky sessions), in front of the real kilo binary driven
// by the fake LLM. 200 viewers spread over both nodes; a ticket crossing nodes; a resume on the
// other node; SIGKILL of the node that owns the upstream mid-turn; a restart of redis-server.
import http from 'node:http';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeLlm, type FakeLlm } from '../../src/demo/fake-llm';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { createKiloSessionClient, type KiloSessionClient } from '../../src/kilo/kilo-session-client';
import { launchKilo, type KiloProcess } from '../../src/kilo/launch-kilo';
import { clusterNodeArgs } from '../helpers/cluster-node-args';
import { createFrameFolder, foldFrames, kiloView, sameView, viewDiff, type ComparableView } from '../helpers/kilo-view';
import { startNginx, type Nginx } from '../helpers/nginx';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { createSseBlockReader, type IdFrame } from '../helpers/sse-block-reader';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(240_000);

const AGENT = 'm1';
const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i} `);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POST (or GET) from a chosen loopback source address, so nginx sees distinct clients. */
function request(url: string, method: string, localAddress: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, localAddress, agent: false, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A viewer as the browser client behaves: on a cut, a fresh ticket and `lastEventId`, through the same base URL. */
function startViewer(base: string, localAddress: string) {
  const frames: IdFrame[] = [];
  // Folded as frames arrive: checking 200 viewers costs 200 small objects, not every frame again.
  const folder = createFrameFolder();
  let last = 0;
  let closed = false;
  let current: http.ClientRequest | undefined;
  let connections = 0;
  let live = false;
  const connect = async (): Promise<void> => {
    if (closed) return;
    try {
      const t = await request(`${base}/agents/${AGENT}/stream-ticket`, 'POST', localAddress);
      if (t.status !== 201) throw new Error(`ticket ${t.status} ${t.text}`);
      const { streamUrl } = JSON.parse(t.text) as { streamUrl: string };
      const url = new URL(streamUrl, `${base}/`).href + (last ? `&lastEventId=${last}` : '');
      await new Promise<void>((resolve, reject) => {
        current = http.get(url, { localAddress, agent: false }, (res) => {
          if (res.statusCode !== 200) return reject(new Error(`stream ${res.statusCode}`));
          connections++;
          live = true;
          resolve();
          res.setEncoding('utf8');
          res.on(
            'data',
            createSseBlockReader((f) => {
              if (f.id !== undefined) last = f.id;
              frames.push(f);
              folder.add(f);
            }),
          );
          const end = () => {
            if (!live) return;
            live = false;
            if (!closed) setTimeout(() => void connect(), 100 + Math.random() * 400);
          };
          res.on('close', end);
          res.on('error', end);
        });
        current.on('error', reject);
      });
    } catch {
      live = false;
      if (!closed) setTimeout(() => void connect(), 300 + Math.random() * 500);
    }
  };
  return {
    frames,
    view: () => folder.view(),
    connect,
    get last() {
      return last;
    },
    get connections() {
      return connections;
    },
    get live() {
      return live;
    },
    close() {
      closed = true;
      current?.destroy();
    },
  };
}
type Viewer = ReturnType<typeof startViewer>;

describe('two control servers, redis-server and nginx, with the real kilo binary', () => {
  let root: string;
  let llm: FakeLlm;
  let kilo: KiloProcess;
  let client: KiloSessionClient;
  let redis: RedisServer;
  let nodes: RunningCli[] = [];
  let nginx: Nginx | undefined;
  let viewers: Viewer[] = [];
  let sessionId: string;

  const idle = async () => !(sessionId in (await client.status()));
  const prompt = async (base: string, text: string) => {
    const r = await request(`${base}/agents/${AGENT}/prompt`, 'POST', '127.0.0.1', JSON.stringify({ text }));
    expect(r.status).toBe(202);
  };
  /** Prompts through `base`, waits for kilo's turn to end, then for every viewer to fold kilo's state; returns it. */
  const turnConverges = async (base: string, text: string) => {
    const turns0 = llm.remainingTurns();
    await prompt(base, text);
    await until('the turn to start', () => llm.remainingTurns() < turns0);
    await until('kilo idle', idle, 60_000);
    const truth = await kiloView(kilo.url, sessionId);
    const t0 = Date.now();
    await until('every viewer folded kilo’s state', () => converged(truth), convergeBound()).catch(divergence(truth));
    measured.converge.push(Date.now() - t0);
    return truth;
  };
  /**
   * What this run measured on this machine, now: how long the 200 viewers took to connect and
   * how long they took to fold a turn once kilo was idle. The bounds after a fault follow from it.
   */
  const measured = { connect: 0, converge: [] as number[] };
  /** A cut viewer reconnects (ticket, stream, resume) and folds: at most three connects of all 200 and twice the slowest fold, 20 s at least. */
  const convergeBound = () => Math.max(20_000, 3 * measured.connect + 2 * Math.max(0, ...measured.converge));
  const converged = (truth: ComparableView) => viewers.every((v) => sameView(v.view(), truth));
  /** On a timeout: how many viewers converged, and what the first one that did not has. */
  const divergence = (truth: ComparableView) => (e: Error) => {
    const behind = viewers.filter((v) => !sameView(v.view(), truth));
    const v = behind[0]!;
    throw new Error(
      `${e.message}: ${behind.length} of ${viewers.length} behind; the first: live ${v.live}, ${v.connections} connections, last id ${v.last} ` +
        `(max ${Math.max(...viewers.map((x) => x.last))}); differs: ${viewDiff(v.view(), truth).join(' | ')}`,
    );
  };
  const running = (n: RunningCli) => n.child.exitCode === null && n.child.signalCode === null;
  const ownerOf = () => nodes.findIndex((n) => /consumes its upstream/.test(n.stderr()) && running(n));

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'multi-node-')));
    llm = await createFakeLlm({
      turns: [
        { text: words('one', 60), chunkDelayMs: 15 },
        {
          text: words('twoa', 80),
          chunkDelayMs: 40,
          toolCalls: [{ name: 'bash', args: { command: 'sleep 1 && echo slept', description: 'Wait a little' } }],
        },
        { text: words('twob', 60), chunkDelayMs: 40 },
        { text: words('three', 60), chunkDelayMs: 15 },
      ],
    });
    kilo = await launchKilo({ config: kiloConfigFor({ baseURL: llm.baseURL }), tempParent: root });
    client = createKiloSessionClient({ baseUrl: kilo.url });
    sessionId = (await client.createSession({ title: 'multi-node' })).id;
    redis = await startRedisServer();
    // Each node on its own loopback address: once a node is killed, nginx keeps trying its
    // address, which no other test's server (on 127.0.0.1) can then be given.
    const args = (node: string) =>
      clusterNodeArgs({
        ...{ kiloUrl: kilo.url, sessionId, agentId: AGENT, redisUrl: redis.url, nodeId: node },
        ...{ host: `127.0.0.${node === 'n1' ? 11 : 12}`, extra: ['--trust-proxy', '127.0.0.1'] },
      });
    nodes = await Promise.all([startCli(args('n1'), 20_000), startCli(args('n2'), 20_000)]);
    nginx = await startNginx(nodes.map((n) => new URL(n.url).host));
  }, 60_000);

  afterAll(async () => {
    viewers.forEach((v) => v.close());
    for (const n of nodes) if (running(n)) n.child.kill('SIGKILL');
    await nginx?.stop();
    await redis?.stop();
    await kilo?.stop();
    await llm?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('200 viewers through nginx land on both nodes and see the same ids and the same turn; tickets and resumes cross nodes', async () => {
    const base = nginx!.url;
    await until('an owner', () => ownerOf() >= 0);
    // 20 source addresses, 10 viewers each: nginx names each in X-Forwarded-For (--trust-proxy).
    viewers = Array.from({ length: 200 }, (_, i) => startViewer(base, `127.0.0.${2 + (i % 20)}`));
    const t0 = Date.now();
    await Promise.all(viewers.map((v) => v.connect()));
    await until('200 live viewers', () => viewers.every((v) => v.live && v.frames.length >= 1));
    measured.connect = Date.now() - t0;
    // Each node's own streams (/healthz); GET /agents/:id counts the cluster's (each node's count
    // as last published, within a poll), so both nodes come to say 200.
    const perNode = await Promise.all(
      nodes.map(async (n) => ((await (await fetch(`${n.url}/healthz`)).json()) as { viewers: number }).viewers),
    );
    const clusterWide = () =>
      Promise.all(nodes.map(async (n) => ((await (await fetch(`${n.url}/agents/${AGENT}`)).json()) as { viewers: number }).viewers));
    await until('both nodes count the 200 viewers of the cluster', async () => (await clusterWide()).every((c) => c === 200), 10_000);
    process.stdout.write(`[multi-node] viewers per node through nginx: ${perNode.join(' / ')}\n`);
    expect(perNode[0]! + perNode[1]!).toBe(200);
    expect(Math.min(...perNode)).toBeGreaterThan(10);
    const marks = viewers.map((v) => v.frames.length);

    const truth = await turnConverges(base, 'Say something.');
    // The turn itself: the same frames, ids included, on every viewer, whichever node it is on.
    const turns = viewers.map((v, i) => v.frames.slice(marks[i]).map((f) => `${f.id} ${f.event} ${f.data}`));
    expect(turns[0]!.length).toBeGreaterThan(60);
    for (const t of turns) expect(t).toEqual(turns[0]);
    const action = viewers[0]!.frames.find((f) => f.event === 'action');
    expect(JSON.parse(action!.data)).toMatchObject({ kind: 'prompt', by: expect.stringMatching(/client 127\.0\.0\.1/) });

    // A ticket issued by node 1 is consumed on node 2, once.
    const t = (await (await fetch(`${nodes[0]!.url}/agents/${AGENT}/stream-ticket`, { method: 'POST' })).json()) as { ticket: string };
    const other = await fetch(`${nodes[1]!.url}/agents/${AGENT}/stream?ticket=${t.ticket}&lastEventId=${viewers[0]!.last}`);
    expect(other.status).toBe(200);
    await other.body?.cancel();
    expect((await fetch(`${nodes[0]!.url}/agents/${AGENT}/stream?ticket=${t.ticket}`)).status).toBe(401);

    // A viewer of node 1 resumes on node 2 from an id in the middle of the turn and converges.
    const mid = viewers[0]!.frames[marks[0]! + 20]!.id!;
    const t2 = (await (await fetch(`${nodes[0]!.url}/agents/${AGENT}/stream-ticket`, { method: 'POST' })).json()) as { ticket: string };
    const resumed = await fetch(`${nodes[1]!.url}/agents/${AGENT}/stream?ticket=${t2.ticket}&lastEventId=${mid}`);
    const reader = resumed.body!.getReader();
    let text = '';
    const deadline = Date.now() + 5000;
    while (!text.includes(`id: ${viewers[0]!.last}\n`) && Date.now() < deadline)
      text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const tail = text
      .split('\n\n')
      .filter((b) => b.includes('data: '))
      .map((b) => ({
        id: /^id: (\d+)$/m.exec(b)?.[1] ? Number(/^id: (\d+)$/m.exec(b)![1]) : undefined,
        event: /^event: (.*)$/m.exec(b)![1]!,
        data: /^data: (.*)$/m.exec(b)![1]!,
      }));
    const upToMid = viewers[0]!.frames.filter((f) => f.id === undefined || f.id <= mid);
    expect(foldFrames([...upToMid, ...tail])).toEqual(truth);
  });

  it('SIGKILL of the owner mid-turn: the other node takes the upstream within 5 s; every viewer resumes and converges on kilo’s state', async () => {
    const base = nginx!.url;
    const owner = ownerOf();
    expect(owner).toBeGreaterThanOrEqual(0);
    const survivor = nodes[1 - owner]!;
    await prompt(base, 'Talk, wait, talk.');
    await until('streaming text', () => viewers[0]!.frames.filter((f) => f.data.includes('twoa1')).length > 0, 20_000);
    const killedAt = Date.now();
    nodes[owner]!.child.kill('SIGKILL');
    await until('the survivor to take the upstream', () => /consumes its upstream/.test(survivor.stderr()), 10_000);
    const takeover = Date.now() - killedAt;
    process.stdout.write(`[multi-node] upstream taken over ${takeover} ms after SIGKILL of its owner\n`);
    expect(takeover).toBeLessThan(5000);
    await until('kilo idle', idle, 60_000);
    const truth = await kiloView(kilo.url, sessionId);
    expect(Object.keys(truth.tools)).toHaveLength(1);
    const t0 = Date.now();
    await until('every viewer folded kilo’s state', () => converged(truth), convergeBound()).catch(divergence(truth));
    process.stdout.write(
      `[multi-node] after SIGKILL every viewer converged ${Date.now() - t0} ms after kilo was idle (bound ${convergeBound()} ms: ` +
        `connect ${measured.connect} ms, folds ${measured.converge.join(', ')} ms)\n`,
    );
    expect(viewers.filter((v) => v.connections > 1).length).toBeGreaterThan(0);
  });

  it('a restart of redis-server: the nodes reconnect and streams go on (no crash, no hang); viewers converge', async () => {
    const base = nginx!.url;
    const alive = nodes.filter(running);
    await redis.stop();
    await sleep(1500);
    await redis.start();
    let seen = '';
    await until('the agent listed again', async () => {
      const r = await fetch(`${alive[0]!.url}/agents`).catch((e: Error) => ({ status: 0, text: async () => e.message }));
      seen = `${r.status} ${await r.text()} ${alive[0]!.stderr().slice(-2000)}`;
      return r.status === 200 && /"id":"m1"/.test(seen);
    }).catch((e: Error) => {
      throw new Error(`${e.message}: ${seen}`);
    });
    await sleep(2500);
    await turnConverges(base, 'Once more.');
    expect(alive.every(running)).toBe(true);
  });
});
