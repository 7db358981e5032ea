// Viewers barely notice a node's death (issue 22): 40 browser clients (createAgentStreamClient,
// the `eventsource` package, 20 source addresses) watch one agent through a real nginx configured
// as docs/deploy.md says, in front of two CLI nodes on a real redis-server, the real kilo binary
// driven by the fake LLM streaming a long answer. The node that holds some viewers but not the
// upstream is SIGKILLed mid-answer: every viewer it held must be live again (a new event from the
// agent on a new connection) within 5 s of the kill at p99, and every viewer then folds kilo's
// state. Twice: on the machine as it is, and with two busy processes spinning beside the test.
// (The owner's death adds the takeover of the upstream, measured by the takeover tests.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentStreamClient, type AgentStreamClient, type ConnectionState } from '../../src/client';
import { createFakeLlm, type FakeLlm } from '../../src/demo/fake-llm';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { createKiloSessionClient, type KiloSessionClient } from '../../src/kilo/kilo-session-client';
import { launchKilo, type KiloProcess } from '../../src/kilo/launch-kilo';
import type { AgentEvent } from '../../src/protocol/agent-event';
import { createFoldedView, foldAgentEvent } from '../../src/protocol/fold-agent-events';
import { kiloView, sameView, type ComparableView } from '../helpers/kilo-view';
import { startNginx, type Nginx } from '../helpers/nginx';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { sourceEventSource, sourceFetch } from '../helpers/source-fetch';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(300_000);

const AGENT = 'vr';
const VIEWERS = 40;
/** The bound of the issue: every viewer of a killed node live again within this, at p99. */
const RETURN_P99_MS = 5000;
const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i} `);

/** One browser client and what it saw: events in order, when each state began, its folded view. */
function startViewer(base: string, localAddress: string) {
  let view = createFoldedView();
  const events: Array<{ seq?: number; at: number }> = [];
  const states: Array<{ state: ConnectionState; at: number }> = [];
  const client: AgentStreamClient = createAgentStreamClient({
    agentId: AGENT,
    baseUrl: base,
    fetch: sourceFetch(localAddress),
    EventSource: sourceEventSource(localAddress),
    onEvent: (e) => {
      events.push({ seq: e.seq, at: Date.now() });
      if (e.type === 'reset') view = createFoldedView();
      foldAgentEvent(view, e as AgentEvent);
    },
    onState: (state) => states.push({ state, at: Date.now() }),
  });
  return {
    client,
    events,
    states,
    view: (): ComparableView => ({
      parts: Object.fromEntries(Object.entries(view.parts).map(([k, p]) => [k, p.text])),
      tools: Object.fromEntries(Object.entries(view.tools).map(([k, t]) => [k, t.status])),
    }),
    /** When this viewer was live again after `t0`: the first new event after its stream dropped; null if it never dropped, undefined while it is still away. */
    returnedAt(t0: number): number | null | undefined {
      const drop = states.find((s) => s.at >= t0 && s.state === 'reconnecting');
      if (!drop) return null;
      const back = events.find((e) => e.at >= drop.at && e.seq !== undefined);
      return back?.at;
    },
  };
}
type Viewer = ReturnType<typeof startViewer>;

/** Nearest-rank percentile. */
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)]!;

/** `n` node processes spinning for at most `ms` (bounded even if the test dies), each killed by `stop()`. */
function busyLoops(n: number, ms: number) {
  const children: ChildProcess[] = Array.from({ length: n }, () =>
    spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], { stdio: 'ignore' }),
  );
  return {
    stop: () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}

describe('viewers of a SIGKILLed node are live again within 5 s (p99), through nginx, on two CLI nodes and redis-server', () => {
  let root: string;
  let llm: FakeLlm;
  let kilo: KiloProcess;
  let client: KiloSessionClient;
  let redis: RedisServer;
  let sessionId: string;
  const nodes: RunningCli[] = [];
  const proxies: Nginx[] = [];
  let viewers: Viewer[] = [];

  const running = (n: RunningCli) => n.child.exitCode === null && n.child.signalCode === null;
  const owns = (n: RunningCli) => /consumes its upstream/.test(n.stderr()) && running(n);
  /** Each node on a loopback address of its own: a killed node's port cannot go to another test's server. */
  const startNode = (i: number) =>
    startCli(
      [
        'serve',
        ...['--kilo-url', kilo.url, '--session', sessionId, '--agent-id', AGENT],
        ...['--host', `127.0.0.${40 + i}`, '--port', '0', '--redis-url', redis.url, '--node-id', `vr${i}`],
        ...['--trust-proxy', '127.0.0.1'],
      ],
      30_000,
    );

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'viewer-return-')));
    llm = await createFakeLlm({
      turns: [
        { text: words('quiet', 900), chunkDelayMs: 20 },
        { text: words('busy', 900), chunkDelayMs: 20 },
      ],
    });
    kilo = await launchKilo({ config: kiloConfigFor({ baseURL: llm.baseURL }), tempParent: root });
    client = createKiloSessionClient({ baseUrl: kilo.url });
    sessionId = (await client.createSession({ title: 'viewer-return' })).id;
    redis = await startRedisServer();
  }, 90_000);

  afterEach(async () => {
    viewers.forEach((v) => v.client.close());
    viewers = [];
    await Promise.all(proxies.splice(0).map((p) => p.stop()));
  });

  afterAll(async () => {
    for (const n of nodes) if (running(n)) n.child.kill('SIGKILL');
    await redis?.stop();
    await kilo?.stop();
    await llm?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Two nodes (one owning the upstream), nginx, 40 viewers; a long answer; SIGKILL of the other node; the way back measured. */
  async function round(name: string) {
    while (nodes.filter(running).length < 2) nodes.push(await startNode(nodes.length + 1));
    const pair = nodes.filter(running);
    await until('an owner of the upstream', () => pair.some(owns), 30_000);
    const victim = pair.find((n) => !owns(n))!;
    const nginx = await startNginx(pair.map((n) => new URL(n.url).host));
    proxies.push(nginx);
    viewers = Array.from({ length: VIEWERS }, (_, i) => startViewer(nginx.url, `127.0.0.${2 + (i % 20)}`));
    await until(`${VIEWERS} live viewers`, () => viewers.every((v) => v.client.state === 'live'), 60_000);

    const turns0 = llm.remainingTurns();
    const r = await fetch(`${nginx.url}/agents/${AGENT}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `Talk for a while (${name}).` }),
    });
    expect(r.status).toBe(202);
    await until(
      'the answer streaming to every viewer',
      () => llm.remainingTurns() < turns0 && viewers.every((v) => v.events.length > 30),
      60_000,
    );

    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    // Viewers of the killed node drop and come back; the others never drop. Bounded well above
    // the bound asserted below, so a slow return is measured and reported, not a timeout.
    // A viewer that never dropped must show it is alive: an event a second after the kill (the
    // dead node can send nothing by then).
    await until(
      'every dropped viewer live again',
      () =>
        viewers.every((v) => {
          const back = v.returnedAt(killedAt);
          return typeof back === 'number' || (back === null && v.events.at(-1)!.at > killedAt + 1000);
        }),
      60_000,
    );
    const returns = viewers.map((v) => v.returnedAt(killedAt)).filter((t): t is number => typeof t === 'number');
    const ms = returns.map((t) => t - killedAt);
    const p50 = percentile(ms, 50);
    const p99 = percentile(ms, 99);
    process.stdout.write(
      `[viewer-return] ${name}: ${ms.length} of ${VIEWERS} viewers were on the killed node; live again after ` +
        `p50 ${p50} ms, p99 ${p99} ms, max ${Math.max(...ms)} ms (load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')})\n`,
    );
    expect(ms.length).toBeGreaterThanOrEqual(5); // round robin put a share of them on it
    expect(ms.length).toBeLessThan(VIEWERS);
    expect(p99).toBeLessThanOrEqual(RETURN_P99_MS);

    // The turn ends; every viewer, moved or not, folds kilo's state.
    await until('kilo idle', async () => !(sessionId in (await client.status())), 120_000);
    const truth = await kiloView(kilo.url, sessionId);
    expect(Object.values(truth.parts).join('')).toContain(`${name}899`);
    await until('every viewer folded kilo’s state', () => viewers.every((v) => sameView(v.view(), truth)), 60_000);
    for (const v of viewers) {
      const seqs = v.events.map((e) => e.seq).filter((s): s is number => s !== undefined);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!); // each event once, in order
    }
    return { p50, p99, moved: ms.length };
  }

  it('on the machine as it is', async () => {
    await round('quiet');
  });

  it('with two busy processes spinning beside the test', async () => {
    const busy = busyLoops(2, 240_000);
    try {
      await round('busy');
    } finally {
      busy.stop();
    }
  });
});
