import { createFakeLlm, type FakeLlm, type FakeLlmTurn } from '../../src/demo/fake-llm';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { openSse } from '../helpers/sse-client';
import { waitUntil } from '../helpers/wait-until';
import { descendantsOf, environOf, kiloPidsUnder, waitGone } from './process-helpers';

const TOKEN = 'spawn-hardening-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const FAKE_SECRET = 'sk-secret-9f8e7d6c5b4a3210fedcba';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET';
const OPENAI_SECRET = 'sk-openai-secret-0a1b2c3d4e5f';
/** The server's environment: ours plus secrets kilo must not see (unless named with --kilo-env). */
const SECRET_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  FAKE_SECRET_API_KEY: FAKE_SECRET,
  AWS_SECRET_ACCESS_KEY: AWS_SECRET,
  OPENAI_API_KEY: OPENAI_SECRET,
};
/** What a spawned kilo (and its watchdog) may have in its environment when nothing else is named (PWD: bwrap's --chdir sets it). */
const ALLOWED = /^(PATH|LANG|LANGUAGE|LC_[A-Z_]+|TZ|HOME|TMPDIR|XDG_[A-Z_]+|KILO_[A-Z_]+|PWD)$/;

/** Every agent turn: kilo's bash tool runs `env`, then a short answer. */
const ENV_TURNS: FakeLlmTurn[] = [
  { toolCalls: [{ name: 'bash', args: { command: 'env', description: 'Print the environment' } }] },
  { text: 'That is the environment.' },
];

describe('serve --spawn hardening (real CLI, real kilo, scripted LLM running `env`)', () => {
  let llm: FakeLlm;
  let cli: RunningCli | undefined;
  beforeAll(async () => {
    llm = await createFakeLlm({ turns: Array.from({ length: 10 }, () => ENV_TURNS).flat() });
  });
  afterAll(async () => {
    await llm.close();
  });
  afterEach(async () => {
    if (cli && cli.child.exitCode === null) {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
    cli = undefined;
  });

  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${cli!.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as { agentId?: string; error?: { code: string; message: string } } };
  };

  /** Spawns `agentId` and returns the output of its completed bash tool, read from its stream. */
  async function envOutputOf(agentId: string): Promise<string> {
    const t0 = performance.now();
    expect(await post('/agents', { prompt: 'Print your environment.', agentId })).toEqual({ status: 201, body: { agentId } });
    // A turn costs kilo less than its start: the spawn just measured bounds it on this machine now.
    const spawnMs = performance.now() - t0;
    const ticket = await post(`/agents/${agentId}/stream-ticket`, {});
    expect(ticket.status).toBe(201);
    const v = await openSse(`${cli!.url}${(ticket.body as unknown as { streamUrl: string }).streamUrl}`);
    const completed = (f: { event?: string; data?: string }) => f.event === 'tool' && f.data!.includes('"status":"completed"');
    const finished = (f: { event?: string; data?: string }) => f.event === 'message-info' && f.data!.includes('"finish":"stop"');
    // The whole turn, so the next agent starts the script afresh.
    await v.waitFor(
      (x) => x.events().some(completed) && x.events().some(finished),
      Math.max(20_000, 2 * spawnMs),
      'the completed bash tool and the answer',
    );
    v.close();
    const tool = JSON.parse(v.events().find(completed)!.data!) as { tool: string; output: string };
    expect(tool.tool).toBe('bash');
    return tool.output;
  }

  it('kilo and its bash tool see no secret of the server: not in the tool output, not in /proc/<kilo pid>/environ', async () => {
    // The server's own token (from AGENT_STREAM_TOKEN) is a secret too.
    cli = await startCli(['serve', '--port', '0', '--spawn', '--llm-url', llm.baseURL], 10_000, {
      ...SECRET_ENV,
      AGENT_STREAM_TOKEN: TOKEN,
    });
    const output = await envOutputOf('envcheck');
    expect(output).toMatch(/^HOME=\/.*agent-stream-kilo-/m); // `env` ran, in kilo's isolated home
    expect(output).toMatch(/^PATH=/m);
    for (const leak of [FAKE_SECRET, AWS_SECRET, OPENAI_SECRET, TOKEN, 'FAKE_SECRET_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'OPENAI_API_KEY'])
      expect(output).not.toContain(leak);

    const kilos = kiloPidsUnder(cli.child.pid!);
    expect(kilos).toHaveLength(1);
    const env = environOf(kilos[0]!);
    expect(env.HOME).toMatch(/agent-stream-kilo-/);
    expect(env.PATH).toBe(process.env.PATH);
    expect(Object.keys(env).filter((k) => !ALLOWED.test(k))).toEqual([]);
    // Its watchdog (and anything else the server started) is allowlisted the same way.
    const all = descendantsOf(cli.child.pid!);
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const { pid } of all) {
      let text: string;
      try {
        text = JSON.stringify(environOf(pid));
      } catch {
        continue; // gone meanwhile
      }
      for (const leak of [FAKE_SECRET, AWS_SECRET, OPENAI_SECRET, TOKEN])
        expect({ pid, leaked: text.includes(leak) }).toEqual({ pid, leaked: false });
    }
  }, 180_000);

  it('--kilo-env NAME passes exactly that variable on (positive control)', async () => {
    cli = await startCli(
      ['serve', '--port', '0', '--spawn', '--llm-url', llm.baseURL, '--token', TOKEN, '--kilo-env', 'FAKE_SECRET_API_KEY'],
      10_000,
      SECRET_ENV,
    );
    const output = await envOutputOf('named');
    expect(output).toContain(`FAKE_SECRET_API_KEY=${FAKE_SECRET}`);
    expect(output).not.toContain(AWS_SECRET);
    expect(output).not.toContain(OPENAI_SECRET);
    const [kilo] = kiloPidsUnder(cli.child.pid!);
    const env = environOf(kilo!);
    expect(env.FAKE_SECRET_API_KEY).toBe(FAKE_SECRET);
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(env.OPENAI_API_KEY).toBeUndefined();
  }, 180_000);

  it('refuses bad agent ids and models outside --allow-model with 400, before starting anything', async () => {
    cli = await startCli(
      ['serve', '--port', '0', '--spawn', '--llm-url', llm.baseURL, '--token', TOKEN, '--allow-model', 'fakellm/fake-model'],
      10_000,
      SECRET_ENV,
    );
    for (const agentId of ['..', '.', 'a/b', 'x'.repeat(65), '../etc']) {
      const r = await post('/agents', { prompt: 'hi', agentId });
      expect({ agentId, status: r.status, code: r.body.error?.code }).toEqual({ agentId, status: 400, code: 'bad_request' });
    }
    const model = await post('/agents', { prompt: 'hi', model: 'openai/gpt-4o' });
    expect(model).toEqual({ status: 400, body: { error: { code: 'bad_request', message: '"model" must be one of: fakellm/fake-model' } } });
    expect(kiloPidsUnder(cli.child.pid!)).toEqual([]);
  }, 30_000);

  it('--max-agents defaults to 4: the 5th concurrent spawn gets 429 agent_limit; a stopped agent frees its slot', async () => {
    cli = await startCli(['serve', '--port', '0', '--spawn', '--token', TOKEN], 10_000, SECRET_ENV);
    const ids = ['l1', 'l2', 'l3', 'l4', 'l5'];
    const answers = await Promise.all(ids.map((agentId) => post('/agents', { prompt: 'Say hello', agentId })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 201, 429]);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.body).toEqual({ error: { code: 'agent_limit', message: 'at most 4 agents run at once; stop one first' } });
    expect(kiloPidsUnder(cli.child.pid!)).toHaveLength(4);
    expect((await post('/agents', { prompt: 'Say hello', agentId: 'l6' })).status).toBe(429);

    const running = ids.filter((_, i) => answers[i]!.status === 201);
    const before = new Set(kiloPidsUnder(cli.child.pid!));
    const t0 = performance.now();
    expect((await post(`/agents/${running[0]}/stop`, {})).status).toBe(202);
    // How long one kilo takes to stop on this machine now: the bounds below follow from it.
    await waitUntil('one kilo gone', () => kiloPidsUnder(cli!.child.pid!).length === 3, 60_000);
    const stopMs = performance.now() - t0;
    // The slot is free once that agent's kilo is gone (and its exit was read).
    const deadline = Date.now() + Math.max(5000, 2 * stopMs);
    let again = await post('/agents', { prompt: 'Say hello', agentId: 'l7' });
    while (again.status === 429 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      again = await post('/agents', { prompt: 'Say hello', agentId: 'l7' });
    }
    expect(again).toEqual({ status: 201, body: { agentId: 'l7' } });
    const after = kiloPidsUnder(cli.child.pid!);
    expect(after).toHaveLength(4);
    expect(after.filter((p) => !before.has(p))).toHaveLength(1);

    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    // Four kilos stopping at once: at most four times one alone, and a little more.
    for (const pid of after) expect(await waitGone(pid, Math.max(5000, 5 * stopMs))).toBe(true);
    // Four kilo starting at once on a busy 2-core machine (load ~15): over 120 s measured.
  }, 300_000);
});
