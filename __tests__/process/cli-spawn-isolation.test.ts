import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeLlm, type FakeLlm, type FakeLlmTurn } from '../../src/demo/fake-llm';
import { startCli, CLI, type RunningCli } from '../helpers/run-cli';
import { openSse } from '../helpers/sse-client';
import { spawn } from 'node:child_process';
import { environOf, identityOf, kiloPidsUnder, listeningPortsOf, waitGone } from './process-helpers';

/**
 * Finding 1 of issue 25: a prompt makes the agent's bash tool print the server's secrets (its
 * environment, command line, token files) into a tool output every watcher receives. The tool
 * reads every /proc/<pid>/environ and cmdline it can see and the token file; its paths are built
 * at run time so kilo's own permission heuristics (which ask before touching /proc or /tmp) do not
 * stop it: only the OS stands in the way.
 */
const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;
const TOKEN = secret('cmdline-token'); // --token on the command line
const ENV_TOKEN = secret('env-token'); // AGENT_STREAM_TOKEN in the environment (ignored: --token wins, but there)
const WATCH_TOKEN = secret('file-watch-token'); // --watch-token-file
const AWS_SECRET = secret('aws-secret');
const auth = { authorization: `Bearer ${TOKEN}` };
const SECRETS = [TOKEN, ENV_TOKEN, WATCH_TOKEN, AWS_SECRET];
/** The user kilo runs as: nobody when we are root (as here and in CI), else ours. */
const ROOT = process.getuid!() === 0;
const KILO_UID = ROOT ? 65534 : process.getuid!();

/**
 * The attack: the environment and command line of the tool's ancestors (kilo, its watchdog, the
 * server: a real attack walks up its parents), what pid 1 is, and the token file; plus harmless
 * reads that must work. Only ancestors, never every process of this shared machine.
 */
function attack(tokenFile: string): string {
  const file = Buffer.from(tokenFile).toString('base64');
  return [
    'P=/pro; P=${P}c',
    'echo CONTROL-$((6 * 7)); id -u',
    // Positive control: /proc works in here, our own environment included.
    'tr "\\0" "\\n" < $P/self/environ | grep "^HOME="',
    'echo "VISIBLE=$(ls -d $P/[0-9]* | wc -l)"',
    'p=$$; for i in 1 2 3 4 5; do echo "== $p"; tr "\\0" "\\n" < $P/$p/environ; tr "\\0" " " < $P/$p/cmdline; echo; [ "$p" -le 1 ] && break; p=$(sed "s/.*) [A-Za-z] \\([0-9]*\\).*/\\1/" $P/$p/stat); done 2>&1',
    'echo "== 1"; tr "\\0" "\\n" < $P/1/environ 2>&1; tr "\\0" " " < $P/1/cmdline 2>&1; echo',
    `F=$(echo ${file} | base64 -d); echo "== $F"; cat "$F" 2>&1`,
  ].join('\n');
}

describe('serve --spawn isolation (real CLI, real kilo in bwrap, scripted bash tool reading /proc and token files)', () => {
  let llm: FakeLlm;
  let cli: RunningCli | undefined;
  let dir: string;
  let tokenFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-stream-iso-test-'));
    tokenFile = join(dir, 'watch-token');
    writeFileSync(tokenFile, `${WATCH_TOKEN}\n`);
    chmodSync(tokenFile, 0o600);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    if (cli && cli.child.exitCode === null) {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
    cli = undefined;
    await llm?.close();
  });

  const start = async (extra: string[]) => {
    cli = await startCli(
      ['serve', '--port', '0', '--spawn', '--llm-url', llm.baseURL, '--token', TOKEN, '--watch-token-file', tokenFile, ...extra],
      60_000,
      // A small environment of its own (the secrets, and what node and kilo need): nothing else of this machine's.
      { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', AGENT_STREAM_TOKEN: ENV_TOKEN, AWS_SECRET_ACCESS_KEY: AWS_SECRET },
    );
    return cli;
  };
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${cli!.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(body),
    });
    const answer = { status: r.status, body: (await r.json()) as Record<string, unknown> };
    // A failed spawn is explained in the server's log only.
    if (answer.status === 502) process.stderr.write(`server log:\n${cli!.stderr()}\n`);
    return answer;
  };
  /** Spawns `agentId` and returns everything a watch-only viewer received, and the bash tool's output. */
  async function watchTurn(agentId: string): Promise<{ stream: string; output: string }> {
    expect(await post('/agents', { prompt: 'Show me the secrets.', agentId })).toEqual({ status: 201, body: { agentId } });
    // The viewer holds the watch token only (from the token file).
    const t = await fetch(`${cli!.url}/agents/${agentId}/stream-ticket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WATCH_TOKEN}` },
    });
    expect(t.status).toBe(201);
    const v = await openSse(`${cli!.url}${((await t.json()) as { streamUrl: string }).streamUrl}`);
    const completed = (f: { event?: string; data?: string }) => f.event === 'tool' && /"status":"(completed|error)"/.test(f.data!);
    const finished = (f: { event?: string; data?: string }) => f.event === 'message-info' && f.data!.includes('"finish":"stop"');
    await v.waitFor((x) => x.events().some(completed) && x.events().some(finished), 120_000, 'the bash tool and the answer');
    v.close();
    const tool = JSON.parse(v.events().find(completed)!.data!) as { tool: string; status: string; output?: string; error?: string };
    expect({ tool: tool.tool, status: tool.status }).toEqual({ tool: 'bash', status: 'completed' });
    return { stream: JSON.stringify(v.events()), output: tool.output! };
  }
  const turns = (command: string): FakeLlmTurn[] => [
    { toolCalls: [{ name: 'bash', args: { command, description: 'Read the secrets' } }] },
    { text: 'Done reading.' },
  ];

  it('the tool runs (positive control) but reads no secret of the server: not its environ, cmdline or token file', async () => {
    llm = await createFakeLlm({ turns: turns(attack(tokenFile)) });
    cli = await start([]);
    expect(cli.stderr()).toMatch(
      ROOT
        ? /agents run sandboxed \(.*bwrap, own PID and mount namespaces, uid 65534\)/
        : /agents run sandboxed \(.*bwrap, own PID and mount namespaces\)/,
    );
    const { stream, output } = await watchTurn('thief');
    // It ran: arithmetic, its uid, its own /proc entry.
    expect(output).toContain('CONTROL-42');
    expect(output).toMatch(new RegExp(`^${KILO_UID}$`, 'm'));
    expect(output).toMatch(/^HOME=\/tmp\/agent-stream-kilo-[^/]+\/home$/m);
    expect(output).toContain(`== ${tokenFile}`);
    // Only the sandbox's own few processes are visible (the machine runs hundreds).
    expect(Number(/^VISIBLE=(\d+)$/m.exec(output)?.[1])).toBeLessThan(10);
    // kilo itself, as the OS sees it: another user, another PID namespace, its password known to the server only.
    const [kilo] = kiloPidsUnder(cli.child.pid!);
    const password = environOf(kilo!).KILO_SERVER_PASSWORD!;
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(identityOf(kilo!).uid).toBe(KILO_UID);
    expect(identityOf(kilo!).pidNamespace).not.toBe(identityOf(cli.child.pid!).pidNamespace);
    for (const s of [...SECRETS, password]) {
      expect({ secret: s.slice(0, 12), inOutput: output.includes(s), inStream: stream.includes(s) }).toEqual({
        secret: s.slice(0, 12),
        inOutput: false,
        inStream: false,
      });
    }
  }, 240_000);

  it('kilo answers 401 without its password, on every route; the server itself holds it; kilo dies with a SIGKILLed server', async () => {
    llm = await createFakeLlm({ turns: [{ text: 'Hello.' }] });
    await start([]);
    expect(await post('/agents', { prompt: 'Say hello', agentId: 'pw' })).toEqual({ status: 201, body: { agentId: 'pw' } });
    const [kilo] = kiloPidsUnder(cli!.child.pid!);
    const [port] = listeningPortsOf(kilo!);
    expect(port).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${port}`;
    const password = environOf(kilo!).KILO_SERVER_PASSWORD!;
    const basic = `Basic ${Buffer.from(`kilo:${password}`).toString('base64')}`;
    // What a DNS-rebinding page (or any local process) sends: no credentials.
    for (const [method, path] of [
      ['GET', '/session'],
      ['GET', '/global/health'],
      ['GET', '/event'],
      ['POST', '/session'],
    ] as const) {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 401 });
    }
    const wrong = await fetch(`${base}/session`, { headers: { authorization: `Basic ${Buffer.from('kilo:guess').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    // Positive control: the password opens it.
    const ok = await fetch(`${base}/session`, { headers: { authorization: basic } });
    expect(ok.status).toBe(200);
    // The sandboxed kilo dies with the server, even when the server is SIGKILLed (watchdog, then bwrap).
    cli!.child.kill('SIGKILL');
    await cli!.exited;
    expect(await waitGone(kilo!, 15_000)).toBe(true);
  }, 180_000);

  it('refuses to start --spawn when no sandbox works (a bwrap that does not exist), saying why and what to do', async () => {
    llm = await createFakeLlm({ turns: [] });
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--spawn', '--token', TOKEN, '--bwrap', '/nonexistent/bwrap'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(out).toContain('--spawn runs every agent in a bubblewrap sandbox, and none works here: /nonexistent/bwrap not found');
    expect(out).toContain('--unsafe-no-isolation');
    expect(out).not.toContain('listening');
  }, 60_000);

  it('--unsafe-no-isolation starts unconfined, says so, and the same attack then does read the secrets (the test can see a leak)', async () => {
    llm = await createFakeLlm({ turns: turns(attack(tokenFile)) });
    cli = await start(['--unsafe-no-isolation', '--bwrap', '/nonexistent/bwrap']);
    expect(cli.stderr()).toContain('--unsafe-no-isolation: spawned agents run with this server');
    const { output } = await watchTurn('unconfined');
    const [kilo] = kiloPidsUnder(cli.child.pid!);
    expect(identityOf(kilo!).pidNamespace).toBe(identityOf(cli.child.pid!).pidNamespace);
    // Booleans only: a failure message must not print what leaked.
    expect(output.includes('CONTROL-42')).toBe(true);
    // The server's command line and environment, and the token file: all readable without the sandbox.
    expect({ cmdline: output.includes(TOKEN), environ: output.includes(ENV_TOKEN), file: output.includes(WATCH_TOKEN) }).toEqual({
      cmdline: true,
      environ: true,
      file: true,
    });
  }, 240_000);
});
