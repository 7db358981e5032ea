import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSource } from 'eventsource';
import { createControlServer, type ControlServer } from '../../src/server/create-control-server';
import { agentSpawnRoutes } from '../../src/server/create-agent-spawn-routes';
import { spawnKiloAgent, type SpawnedKiloAgent } from '../../src/kilo/spawn-kilo-agent';
import { createFakeLlm, type FakeLlm } from '../../src/demo/fake-llm';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { AGENT_EVENT_TYPES } from '../../src/protocol/agent-event';
import { isAlive, waitGone } from './process-helpers';

const FINAL = 'The file hello.txt is written. Nothing else to do.';
const SECOND = 'Second prompt, second streamed answer.';

/** A real `eventsource` viewer of one agent: every event with its id, in order. */
interface Viewer {
  events: Array<{ id: number | null; type: string; data: Record<string, unknown> }>;
  es: EventSource;
  waitFor(pred: (e: Viewer['events'][number]) => boolean, timeoutMs?: number): Promise<void>;
}

async function watch(base: string, agentId: string): Promise<Viewer> {
  const r = await fetch(`${base}/agents/${agentId}/stream-ticket`, { method: 'POST' });
  const { streamUrl } = (await r.json()) as { streamUrl: string };
  const es = new EventSource(`${base}${streamUrl}`); // streamUrl carries ?ticket=
  const viewer: Viewer = {
    events: [],
    es,
    async waitFor(pred, timeoutMs = 25_000) {
      const deadline = Date.now() + timeoutMs;
      while (!viewer.events.some(pred)) {
        if (Date.now() > deadline) throw new Error(`timed out; saw ${viewer.events.map((e) => `${e.id}:${e.type}`).join(' ')}`);
        await new Promise((res) => setTimeout(res, 25));
      }
    },
  };
  for (const type of AGENT_EVENT_TYPES) {
    es.addEventListener(type, (ev) => {
      const m = ev as MessageEvent;
      // The agent's `error` event shares its name with EventSource's own: only it carries data.
      if (typeof m.data !== 'string') return;
      viewer.events.push({ id: m.lastEventId ? Number(m.lastEventId) : null, type, data: JSON.parse(m.data) });
      if (type === 'exit') es.close();
    });
  }
  return viewer;
}

describe('control server --spawn routes with the real kilo binary and a real eventsource viewer', () => {
  let workDir: string;
  let llm: FakeLlm;
  let server: ControlServer;
  let base: string;
  const spawned = new Map<string, SpawnedKiloAgent>();

  beforeAll(async () => {
    workDir = realpathSync(mkdtempSync(join(tmpdir(), 'spawn-e2e-')));
    llm = await createFakeLlm({
      turns: [
        { toolCalls: [{ name: 'write', args: { filePath: join(workDir, 'hello.txt'), content: 'hi\n' } }] },
        { text: FINAL, chunkDelayMs: 5 },
        { text: SECOND },
        { status: 500, errorMessage: 'the fake LLM exploded', times: 6 },
      ],
      chunkSize: 5,
    });
    server = createControlServer({
      port: 0,
      routes: agentSpawnRoutes({
        spawn: async (r) => {
          const s = await spawnKiloAgent({
            agentId: r.agentId,
            prompt: r.prompt,
            model: r.model,
            config: kiloConfigFor({ baseURL: llm.baseURL }),
            workDir,
            sessionRetryLimit: 1,
          });
          spawned.set(r.agentId, s);
          return s;
        },
      }),
    });
    base = (await server.listen()).url;
  }, 30_000);

  afterAll(async () => {
    await server.close();
    await Promise.all([...spawned.values()].map((s) => s.kilo.stop()));
    await llm.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  };

  it('validates POST /agents and /message with JSON errors', async () => {
    expect((await post('/agents', {})).body.error.code).toBe('bad_request');
    expect((await post('/agents', { prompt: 'x', agentId: 'bad id!' })).status).toBe(400);
    expect((await post('/agents', { prompt: 'x', model: 'nomodel' })).status).toBe(400);
    expect((await post('/agents/ghost/message', { prompt: 'x' })).status).toBe(404);
  });

  it('streams a real turn, a second prompt on the same connection, an LLM 500 as an error, then stop', async () => {
    const created = await post('/agents', { prompt: 'Write hello.txt please.', agentId: 'k1', model: 'fakellm/fake-model' });
    expect(created).toEqual({ status: 201, body: { agentId: 'k1' } });
    expect((await post('/agents', { prompt: 'again', agentId: 'k1' })).status).toBe(409);
    const v = await watch(base, 'k1');
    const idleAfter = (seq: number) => (e: Viewer['events'][number]) => e.type === 'status' && e.data.state === 'idle' && (e.id ?? 0) > seq;
    const busySeq = () => v.events.find((e) => e.type === 'status' && e.data.state === 'busy')?.id ?? 0;
    await v.waitFor((e) => e.type === 'message-info' && e.data.finish === 'stop');
    await v.waitFor(idleAfter(busySeq()));

    const kinds = v.events
      .filter((e) => e.id !== null)
      .map((e) => (e.type === 'status' ? `status:${e.data.state}` : e.type === 'tool' ? `tool:${e.data.tool}:${e.data.status}` : e.type));
    const at = (k: string) => kinds.indexOf(k);
    expect(at('status:busy')).toBeGreaterThanOrEqual(0);
    expect(at('tool:write:pending')).toBeGreaterThan(at('status:busy'));
    expect(at('tool:write:running')).toBeGreaterThan(at('tool:write:pending'));
    expect(at('tool:write:completed')).toBeGreaterThan(at('tool:write:running'));
    expect(v.events.find((e) => e.type === 'file')?.data.path).toBe(join(workDir, 'hello.txt'));
    const texts = v.events.filter((e) => e.type === 'text' && e.data.role === 'assistant');
    expect(texts.at(-1)!.data.text).toBe(FINAL);
    expect(texts.filter((e) => e.data.delta !== undefined).length).toBeGreaterThan(3);
    const msg = v.events.filter((e) => e.type === 'message-info').at(-1)!;
    expect(msg.data.tokens).toMatchObject({ input: 100, output: 20 });
    expect(kinds.lastIndexOf('status:idle')).toBeGreaterThan(at('tool:write:completed'));
    expect(kinds).not.toContain('exit');
    expect((await (await fetch(`${base}/agents/k1`)).json()).state).toBe('idle');

    const mark = Math.max(...v.events.map((e) => e.id ?? 0));
    expect(await post('/agents/k1/message', { prompt: 'And a second thing?' })).toEqual({ status: 202, body: { agentId: 'k1' } });
    await v.waitFor((e) => e.type === 'text' && e.data.text === SECOND && (e.id ?? 0) > mark);
    await v.waitFor(idleAfter(mark));

    const mark2 = Math.max(...v.events.map((e) => e.id ?? 0));
    expect((await post('/agents/k1/message', { prompt: 'Now fail.' })).status).toBe(202);
    await v.waitFor((e) => e.type === 'error' && (e.id ?? 0) > mark2);
    await v.waitFor(idleAfter(mark2));
    expect(v.events.filter((e) => e.type === 'error' && (e.id ?? 0) > mark2)).toHaveLength(1);
    expect((await (await fetch(`${base}/agents/k1`)).json()).state).toBe('idle');

    const ids = v.events.map((e) => e.id).filter((id): id is number => id !== null);
    // consecutive, no gaps, from the agent's first id (ids start above an earlier instance's, docs/protocol.md §3)
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => ids[0]! + i));

    const pid = spawned.get('k1')!.kilo.pid;
    expect(isAlive(pid)).toBe(true);
    expect((await post('/agents/k1/stop', {})).status).toBe(202);
    await v.waitFor((e) => e.type === 'exit');
    expect(v.events.at(-1)).toMatchObject({ type: 'exit', data: { reason: 'stopped' } });
    expect(await waitGone(pid, 5000)).toBe(true);
    expect((await post('/agents/k1/message', { prompt: 'too late' })).status).toBe(409);
  }, 90_000);

  it('SIGKILL of the kilo process gives every viewer exit with a non-zero code within 2 s', async () => {
    expect((await post('/agents', { prompt: 'Just say something.', agentId: 'k2' })).status).toBe(201);
    const viewers = await Promise.all([watch(base, 'k2'), watch(base, 'k2')]);
    await Promise.all(viewers.map((v) => v.waitFor((e) => e.type === 'status')));
    const pid = spawned.get('k2')!.kilo.pid;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await Promise.all(viewers.map((v) => v.waitFor((e) => e.type === 'exit', 2000)));
    expect(Date.now() - killedAt).toBeLessThan(2000);
    for (const v of viewers) {
      const exit = v.events.at(-1)!;
      expect(exit.type).toBe('exit');
      expect(exit.data.reason).toBe('process_exit');
      expect(exit.data.code).toBe(137);
    }
    expect((await (await fetch(`${base}/agents/k2`)).json()).state).toBe('failed');
  }, 60_000);
});
