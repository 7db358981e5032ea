import { Subject } from 'rxjs';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { ExitData } from '../../src/protocol/agent-event';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { KiloLaunchError } from '../../src/kilo/kilo-launch-error';
import { createControlServer, type ControlServer } from '../../src/server/create-control-server';
import {
  agentSpawnRoutes,
  isValidAgentId,
  type AgentSpawnRoutesOptions,
  type SpawnRequest,
  type SpawnedAgent,
} from '../../src/server/create-agent-spawn-routes';

/** A spawned agent the test ends: `exit()` is its process ending, `release()` its resources gone. */
interface FakeSpawned extends SpawnedAgent {
  exit(): void;
  release(): void;
}

function fakeSpawned(agentId: string, options: { prompt?: (text: string) => Promise<void>; withRelease?: boolean } = {}): FakeSpawned {
  const exit$ = new Subject<ExitData>();
  const agent = createManagedAgent({ agentId, sessionId: 'ses_x', events: new Subject<KiloEvent>(), exit$, firstId: 1 });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  return {
    agent,
    prompt: options.prompt ?? (async () => undefined),
    ...(options.withRelease ? { released } : {}),
    exit: () => exit$.next({ reason: 'process_exit', code: 0 }),
    release,
  };
}

/** A promise with its resolve/reject outside. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('agentSpawnRoutes hardening (library level, scripted spawn function)', () => {
  let server: ControlServer | undefined;
  let base: string;
  const logged: Array<{ message: string; rest: unknown[] }> = [];
  const logger = {
    info: () => undefined,
    warn: () => undefined,
    error: (message: string, ...rest: unknown[]) => void logged.push({ message, rest }),
  };

  async function start(options: Partial<AgentSpawnRoutesOptions> & Pick<AgentSpawnRoutesOptions, 'spawn'>) {
    logged.length = 0;
    await server?.close();
    server = createControlServer({ port: 0, routes: agentSpawnRoutes({ logger, ...options }) });
    base = (await server.listen()).url;
  }
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as { agentId?: string; error?: { code: string; message: string } } };
  };
  const until = async (pred: () => boolean | Promise<boolean>, timeoutMs = 3000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await pred())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('agent ids: 1-64 of A-Z a-z 0-9 . _ -, not only dots', async () => {
    const spawn = jest.fn(async (r: SpawnRequest) => fakeSpawned(r.agentId));
    await start({ spawn, maxAgents: 100 });
    for (const bad of ['..', '.', '...', 'a/b', 'a b', '', 'x'.repeat(65), '%2e%2e', 'ä', 'a\nb', 7, null]) {
      const r = await post('/agents', { prompt: 'hi', agentId: bad });
      expect({ bad, status: r.status, code: r.body.error?.code }).toEqual({ bad, status: 400, code: 'bad_request' });
    }
    expect(spawn).not.toHaveBeenCalled();
    for (const good of ['a', '.a', '_', '-x-', 'a..b', 'v1.2', 'x'.repeat(64)]) {
      expect(isValidAgentId(good)).toBe(true);
      expect(await post('/agents', { prompt: 'hi', agentId: good })).toEqual({ status: 201, body: { agentId: good } });
    }
    expect(isValidAgentId('..')).toBe(false);
  });

  it('a model outside allowModels answers 400 naming the allowed ones; no model uses the default', async () => {
    const spawn = jest.fn(async (r: SpawnRequest) => fakeSpawned(r.agentId));
    await start({ spawn, allowModels: ['fakellm/fake-model', 'acme/small'] });
    const refused = await post('/agents', { prompt: 'hi', model: 'openai/gpt-4o' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toEqual({ code: 'bad_request', message: '"model" must be one of: fakellm/fake-model, acme/small' });
    expect((await post('/agents', { prompt: 'hi', model: 'not-a-model' })).status).toBe(400);
    expect(spawn).not.toHaveBeenCalled();
    expect((await post('/agents', { prompt: 'hi', agentId: 'm1', model: 'acme/small' })).status).toBe(201);
    expect(spawn).toHaveBeenLastCalledWith({ agentId: 'm1', prompt: 'hi', model: { providerID: 'acme', modelID: 'small' } });
    expect((await post('/agents', { prompt: 'hi', agentId: 'm2' })).status).toBe(201);
    expect(spawn).toHaveBeenLastCalledWith({ agentId: 'm2', prompt: 'hi', model: undefined });
  });

  it('counts spawns in flight and running agents against maxAgents; an exited (and released) agent frees its slot', async () => {
    const pending = new Map<string, ReturnType<typeof deferred<SpawnedAgent>>>();
    const spawn = jest.fn((r: SpawnRequest) => {
      const d = deferred<SpawnedAgent>();
      pending.set(r.agentId, d);
      return d.promise;
    });
    await start({ spawn, maxAgents: 2 });
    const first = post('/agents', { prompt: 'hi', agentId: 'a1' });
    const second = post('/agents', { prompt: 'hi', agentId: 'a2' });
    await until(() => pending.size === 2);
    // Both in flight: the third is refused at once, and the same id twice is a conflict, not a second spawn.
    expect(await post('/agents', { prompt: 'hi', agentId: 'a3' })).toEqual({
      status: 429,
      body: { error: { code: 'agent_limit', message: 'at most 2 agents run at once; stop one first' } },
    });
    expect((await post('/agents', { prompt: 'hi', agentId: 'a1' })).status).toBe(409);
    const a1 = fakeSpawned('a1', { withRelease: true });
    const a2 = fakeSpawned('a2');
    pending.get('a1')!.resolve(a1);
    pending.get('a2')!.resolve(a2);
    expect((await first).status).toBe(201);
    expect((await second).status).toBe(201);
    expect((await post('/agents', { prompt: 'hi', agentId: 'a3' })).status).toBe(429);

    // a1 exited but its process is not gone yet: still counted.
    a1.exit();
    await until(() => a1.agent.exited !== null);
    await new Promise((r) => setTimeout(r, 20));
    expect((await post('/agents', { prompt: 'hi', agentId: 'a3' })).status).toBe(429);
    a1.release();
    const third = post('/agents', { prompt: 'hi', agentId: 'a3' });
    await until(() => pending.has('a3'));
    pending.get('a3')!.resolve(fakeSpawned('a3'));
    expect((await third).status).toBe(201);

    // Stopping through the control server frees a slot too (a2 has no release promise: its exit is enough).
    expect((await post('/agents/a2/stop', {})).status).toBe(202);
    await until(() => a2.agent.exited !== null);
    const fourth = post('/agents', { prompt: 'hi', agentId: 'a4' });
    await until(() => pending.has('a4'));
    pending.get('a4')!.reject(new Error('nope'));
    expect((await fourth).status).toBe(502);
    // A failed spawn frees its slot at once.
    const fifth = post('/agents', { prompt: 'hi', agentId: 'a5' });
    await until(() => pending.has('a5'));
    pending.get('a5')!.resolve(fakeSpawned('a5'));
    expect((await fifth).status).toBe(201);
  });

  it('a failing spawn: the caller gets 502 spawn_failed with a short message, the log gets kilo output', async () => {
    const tail = 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG\nError: EACCES /tmp/agent-stream-kilo-Ab12/home/.config/kilo';
    let fail: () => never = () => {
      throw new KiloLaunchError('early_exit', 'launchKilo: kilo exited with code 1 before it was ready', tail, 1);
    };
    await start({ spawn: async () => fail(), maxAgents: 1 });
    const r = await fetch(`${base}/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"prompt":"hi","agentId":"f1"}',
    });
    const text = await r.text();
    expect(r.status).toBe(502);
    expect(JSON.parse(text)).toEqual({ error: { code: 'spawn_failed', message: 'could not start the agent' } });
    for (const leak of ['AWS_SECRET', 'wJalr', '/tmp', 'kilo', 'EACCES']) expect(text).not.toContain(leak);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.message).toContain('f1');
    expect(String((logged[0]!.rest[0] as Error).message)).toContain('wJalrXUtnFEMI');
    expect((logged[0]!.rest[0] as KiloLaunchError).stderrTail).toBe(tail);

    // A spawn function that throws synchronously is a failed spawn too, and frees its slot.
    fail = () => {
      throw new Error('sync boom /home/secret');
    };
    const sync = await start({
      spawn: (() => fail()) as unknown as AgentSpawnRoutesOptions['spawn'],
      maxAgents: 1,
    }).then(() => post('/agents', { prompt: 'hi' }));
    expect(sync).toEqual({ status: 502, body: { error: { code: 'spawn_failed', message: 'could not start the agent' } } });
    expect((await post('/agents', { prompt: 'hi' })).status).toBe(502); // not 429: the slot was freed
    expect(logged).toHaveLength(2);
  });

  it('a prompt the agent refuses: 502 upstream_error without the upstream detail', async () => {
    await start({
      spawn: async (r) =>
        fakeSpawned(r.agentId, {
          prompt: async () => {
            throw new Error('kilo 500: {"stack":"/home/op/.secret/kilo.ts:12"}');
          },
        }),
    });
    expect((await post('/agents', { prompt: 'hi', agentId: 'p1' })).status).toBe(201);
    const r = await post('/agents/p1/message', { prompt: 'again' });
    expect(r).toEqual({ status: 502, body: { error: { code: 'upstream_error', message: 'the agent refused the prompt' } } });
    expect(logged.at(-1)!.message).toContain('p1');
    expect(String(logged.at(-1)!.rest[0])).toContain('/home/op/.secret');
  });

  it('validates its options', () => {
    const spawn = async () => fakeSpawned('x');
    expect(() => agentSpawnRoutes({ spawn, maxAgents: 0 })).toThrow(/maxAgents/);
    expect(() => agentSpawnRoutes({ spawn, maxAgents: 1.5 })).toThrow(/maxAgents/);
    expect(() => agentSpawnRoutes({ spawn, allowModels: ['nomodel'] })).toThrow(/allowModels/);
  });
  it('register: a cluster takes the agent; an id taken elsewhere answers 409 and a failed registration 502, both stop the agent and free the slot', async () => {
    const made: FakeSpawned[] = [];
    const registered: string[] = [];
    await start({
      maxAgents: 1,
      spawn: async (r: SpawnRequest) => {
        const s = fakeSpawned(r.agentId);
        made.push(s);
        return s;
      },
      register: (s, registry) => {
        if (s.agent.id === 'taken') throw Object.assign(new Error('exists'), { code: 'agent_exists' });
        if (s.agent.id === 'broken') throw new Error('redis is down');
        registered.push(s.agent.id);
        registry.add(s.agent);
      },
    });
    expect(await post('/agents', { prompt: 'hi', agentId: 'taken' })).toMatchObject({
      status: 409,
      body: { error: { code: 'agent_exists' } },
    });
    expect(made[0]!.agent.exited).toEqual({ reason: 'stopped' });
    const broken = await post('/agents', { prompt: 'hi', agentId: 'broken' });
    expect(broken).toMatchObject({ status: 502, body: { error: { code: 'spawn_failed' } } });
    expect(JSON.stringify(broken.body)).not.toContain('redis');
    expect(made[1]!.agent.exited).toEqual({ reason: 'stopped' });
    expect(logged.map((l) => l.message)).toEqual(['registering agent "broken" failed']);
    // Both slots were freed (maxAgents 1): the next spawn is registered.
    expect(await post('/agents', { prompt: 'hi', agentId: 'ok' })).toEqual({ status: 201, body: { agentId: 'ok' } });
    expect(registered).toEqual(['ok']);
  });
});
