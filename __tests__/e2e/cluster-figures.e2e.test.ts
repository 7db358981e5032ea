// Issue 22, three parts, on real processes: three CLI nodes (one started late, from a snapshot)
// sharing one real redis-server, in front of the real kilo binary driven by the fake LLM.
// - cluster-wide viewer counts: GET /agents and /metrics on every node give the sum of every live
//   node's viewers (multiplexed streams included); a SIGKILLed node's count vanishes after its TTL;
// - replicas know their bounds: the same old resume gets the same gap (and an id of an earlier
//   agent the same reset) on all three nodes, the late one included;
// - no action lost in a handover: a prompt sent right after the owner's SIGKILL, while no node
//   owns the agent, reaches kilo once and its `action` row reaches every viewer once.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeLlm, type FakeLlm } from '../../src/demo/fake-llm';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { createKiloSessionClient } from '../../src/kilo/kilo-session-client';
import { launchKilo, type KiloProcess } from '../../src/kilo/launch-kilo';
import { clusterNodeArgs } from '../helpers/cluster-node-args';
import { kiloView } from '../helpers/kilo-view';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { openSse, ticketFor, type RawSseViewer } from '../helpers/sse-client';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(300_000);

const AGENT = 'm1';
const HISTORY_SIZE = 12;
const GAP_PROMPT = 'sent while nobody owns the agent';
const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i} `);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let root: string;
let llm: FakeLlm;
let kilo: KiloProcess;
let redis: RedisServer;
let sessionId: string;
const nodes: RunningCli[] = [];
const viewers: { node: number; v: RawSseViewer; multiplexed: boolean }[] = [];

const running = (n: RunningCli) => n.child.exitCode === null && n.child.signalCode === null;
const json = async <T>(url: string, init?: RequestInit): Promise<T> => {
  const r = await fetch(url, init);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
};
const agentOn = async (n: RunningCli) =>
  (await json<{ agents: { id: string; viewers: number; lastEventId: number; state: string }[] }>(`${n.url}/agents`)).agents.find(
    (a) => a.id === AGENT,
  );
const startNode = (i: number) =>
  startCli(
    clusterNodeArgs({
      ...{ kiloUrl: kilo.url, sessionId, agentId: AGENT, redisUrl: redis.url, nodeId: `n${i + 1}` },
      ...{ host: `127.0.0.${31 + i}`, extra: ['--history-size', String(HISTORY_SIZE)] },
    }),
    30_000,
  );
const watch = async (node: number) =>
  viewers.push({ node, v: await openSse(await ticketFor(nodes[node]!.url, AGENT)), multiplexed: false });
const watchMultiplexed = async (node: number) => {
  const t = await json<{ streamUrl: string }>(`${nodes[node]!.url}/stream-ticket`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agents: [AGENT] }),
  });
  viewers.push({ node, v: await openSse(new URL(t.streamUrl, `${nodes[node]!.url}/`).href), multiplexed: true });
};
const idle = async () => (await agentOn(nodes.find(running)!))?.state === 'idle';
const prompt = async (n: RunningCli, text: string) => {
  const r = await fetch(`${n.url}/agents/${AGENT}/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  expect(r.status).toBe(202);
};
/** The `action` rows with `text` a viewer got. */
const actionsWith = (x: { v: RawSseViewer; multiplexed: boolean }, text: string) =>
  x.v
    .events()
    .filter((f) => f.event === 'action')
    .map((f) => JSON.parse(f.data!) as { data?: { text?: string }; text?: string })
    .filter((d) => (x.multiplexed ? d.data?.text : d.text) === text).length;
/** What a viewer resuming after `last` on `n` is told first: `reset`, `gap <json>`, or `none`. */
async function resumeAnswer(n: RunningCli, last: number): Promise<string> {
  const v = await openSse(await ticketFor(n.url, AGENT, `&lastEventId=${last}`));
  try {
    await v.waitFor((x) => x.events().some((f) => f.id !== undefined), 20_000, 'the replay');
    const first = v.events().find((f) => f.event === 'gap' || f.event === 'reset');
    return first ? `${first.event} ${first.data}` : 'none';
  } finally {
    v.close();
  }
}

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'cluster-figures-')));
  llm = await createFakeLlm({
    turns: [
      { text: words('one', 30), chunkDelayMs: 5 },
      { text: words('two', 30), chunkDelayMs: 5 },
      { text: words('three', 30), chunkDelayMs: 5 },
      { text: words('gap', 30), chunkDelayMs: 5 },
    ],
  });
  kilo = await launchKilo({ config: kiloConfigFor({ baseURL: llm.baseURL }), tempParent: root });
  sessionId = (await createKiloSessionClient({ baseUrl: kilo.url }).createSession({ title: 'cluster-figures' })).id;
  redis = await startRedisServer();
  nodes.push(...(await Promise.all([startNode(0), startNode(1)])));
}, 120_000);

afterAll(async () => {
  viewers.forEach((x) => x.v.close());
  for (const n of nodes) if (running(n)) n.child.kill('SIGKILL');
  await redis?.stop();
  await kilo?.stop();
  await llm?.close();
  rmSync(root, { recursive: true, force: true });
});

it('viewer counts, resume bounds and a prompt in a handover, over three real nodes', async () => {
  // 1. Cluster-wide viewer counts: 3 viewers on n1, 2 + 1 multiplexed on n2.
  await until(
    'both nodes know the agent',
    async () => (await agentOn(nodes[0]!)) !== undefined && (await agentOn(nodes[1]!)) !== undefined,
    30_000,
  );
  for (let i = 0; i < 3; i++) await watch(0);
  for (let i = 0; i < 2; i++) await watch(1);
  await watchMultiplexed(1);
  await until(
    'every node counts every node’s viewers',
    async () => (await agentOn(nodes[0]!))?.viewers === 6 && (await agentOn(nodes[1]!))?.viewers === 6,
    20_000,
  );
  const metrics = await (await fetch(`${nodes[0]!.url}/metrics`)).text();
  expect(metrics).toMatch(/^agent_stream_cluster_viewers\{agent="m1"\} 6$/m);
  expect(metrics).toMatch(/^agent_stream_cluster_node_viewers\{node="n1"\} 3$/m);
  expect(metrics).toMatch(/^agent_stream_cluster_node_viewers\{node="n2"\} 3$/m);

  // 2. Three turns: more state than the history's bounds keep.
  for (const text of ['first', 'second', 'third']) {
    const before = llm.remainingTurns();
    await prompt(nodes[0]!, text);
    await until('the turn to start', () => llm.remainingTurns() < before, 60_000);
    await until('kilo idle', idle, 60_000);
  }
  const firstSeen = Number(viewers[0]!.v.events().find((f) => f.id !== undefined)!.id);

  // 3. A third node starts late (from the snapshot); the same resumes get the same answers everywhere.
  nodes.push(await startNode(2));
  const latest = async (n: RunningCli) => (await agentOn(n))?.lastEventId;
  await until(
    'the late node caught up',
    async () => (await latest(nodes[2]!)) !== undefined && (await latest(nodes[2]!)) === (await latest(nodes[0]!)),
    30_000,
  );
  await sleep(1500); // a snapshot after the last event (every second)
  const answers = await Promise.all(nodes.map((n) => resumeAnswer(n, firstSeen)));
  expect(answers[0]).toMatch(/^gap \{"after":\d+,"oldest":\d+\}$/);
  expect(answers).toEqual([answers[0], answers[0], answers[0]]);
  const resets = await Promise.all(nodes.map((n) => resumeAnswer(n, 5)));
  expect(resets).toEqual(['reset {}', 'reset {}', 'reset {}']);

  // 4. SIGKILL of the owner; a prompt at once through a survivor, while no node owns the agent.
  for (let i = 0; i < 2; i++) await watch(2);
  const owner = nodes.findIndex((n) => /consumes its upstream/.test(n.stderr()));
  expect(owner === 0 || owner === 1).toBe(true);
  const survivor = nodes[owner === 0 ? 1 : 0]!;
  const turnsBefore = llm.requests.filter((r) => r.kind === 'turn').length;
  const killedAt = Date.now();
  nodes[owner]!.child.kill('SIGKILL');
  await nodes[owner]!.exited;
  await prompt(survivor, GAP_PROMPT);
  const live = viewers.filter((x) => x.node !== owner);
  await until('the action row on every viewer of every surviving node', () => live.every((x) => actionsWith(x, GAP_PROMPT) >= 1), 60_000);
  const rowAfterMs = Date.now() - killedAt;
  await until('the turn of the prompt', () => llm.requests.filter((r) => r.kind === 'turn').length > turnsBefore, 60_000);
  await until('kilo idle after the prompt', idle, 60_000);
  await sleep(2000);
  expect(live.map((x) => actionsWith(x, GAP_PROMPT))).toEqual(live.map(() => 1));
  expect(llm.requests.filter((r) => r.kind === 'turn').length - turnsBefore).toBe(1);
  const truth = await kiloView(kilo.url, sessionId);
  expect(Object.values(truth.parts).filter((t) => t === GAP_PROMPT)).toHaveLength(1);

  // 5. The killed node's viewers vanish from every survivor's count after its TTL (3 polls).
  const expected = viewers.filter((x) => x.node !== owner).length;
  await until(
    'the dead node’s count gone',
    async () => (await agentOn(survivor))?.viewers === expected && (await agentOn(nodes[2]!))?.viewers === expected,
    30_000,
  );
  const goneAfterMs = Date.now() - killedAt;
  const after = await (await fetch(`${survivor.url}/metrics`)).text();
  expect(after).not.toMatch(new RegExp(`node="n${owner + 1}"`));
  console.log(`action row on every viewer ${rowAfterMs} ms after the SIGKILL; the dead node's viewers uncounted after ${goneAfterMs} ms`);
});
