import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createFakeLlm, type FakeLlm } from '../../src/demo/fake-llm';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { openSse } from '../helpers/sse-client';
import { waitUntil } from '../helpers/wait-until';
import { kiloPidsUnder } from './process-helpers';

const TOKEN = 'concurrent-spawn-token-0123456789';
const ANSWER = 'Hello from the scripted LLM, one agent of four.';
const IDS = ['c1', 'c2', 'c3', 'c4'];

/** Opens `n` TCP connections to `url` and resolves once every one is connected. */
const connectAll = (url: URL, n: number) =>
  Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(Number(url.port), url.hostname, () => resolve(s));
          s.once('error', reject);
        }),
    ),
  );

/** Reads one `Connection: close` HTTP answer off `socket`: its status and JSON body. */
const answerOf = (socket: net.Socket) =>
  new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.once('error', reject);
    socket.once('end', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body: body ? JSON.parse(body) : undefined });
    });
  });

const spawnRequest = (agentId: string) => {
  const body = JSON.stringify({ prompt: 'Say hello.', agentId });
  return (
    `POST /agents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
};

describe('four spawns at the same instant on a busy machine (real CLI, real kilo, scripted LLM)', () => {
  let llm: FakeLlm;
  let cli: RunningCli | undefined;
  const busy: ChildProcess[] = [];
  beforeAll(async () => {
    llm = await createFakeLlm({ turns: Array.from({ length: 5 }, () => ({ text: ANSWER, chunkBy: 'word' as const })) });
  });
  afterAll(async () => {
    for (const b of busy.splice(0)) b.kill('SIGKILL');
    if (cli && cli.child.exitCode === null) {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
    await llm.close();
  });

  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${cli!.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  /** Resolves once `agentId`'s stream shows its first answer finished. */
  async function firstAnswerOf(agentId: string, timeoutMs: number): Promise<void> {
    const ticket = await post(`/agents/${agentId}/stream-ticket`, {});
    expect(ticket.status).toBe(201);
    const v = await openSse(`${cli!.url}${ticket.body.streamUrl as string}`);
    const has = (s: string) => v.events().some((f) => f.data?.includes(s));
    await v.waitFor(() => has(ANSWER) && has('"finish":"stop"'), timeoutMs, `${agentId}'s first answer`);
    v.close();
  }

  it('all four get 201 and their first answer; together within six times what one spawn alone measured', async () => {
    // Two busy processes beside the test, as a shared CI machine has (killed in afterAll).
    for (let i = 0; i < 2; i++) busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    cli = await startCli(['serve', '--port', '0', '--spawn', '--llm-url', llm.baseURL, '--token', TOKEN, '--max-agents', '5'], 30_000);

    // The baseline on this machine, now: one spawn alone, then stopped and gone (its slot may be
    // released a moment after its process is gone: a fifth slot).
    let t0 = performance.now();
    expect(await post('/agents', { prompt: 'Say hello.', agentId: 'solo' })).toEqual({ status: 201, body: { agentId: 'solo' } });
    const solo = performance.now() - t0;
    await firstAnswerOf('solo', 4 * solo);
    expect((await post('/agents/solo/stop', {})).status).toBe(202);
    await waitUntil('the solo kilo is gone', () => kiloPidsUnder(cli!.child.pid!).length === 0, 4 * solo);

    // Four requests on four open connections, written in the same tick.
    const sockets = await connectAll(new URL(cli.url), IDS.length);
    const answers = sockets.map(answerOf);
    t0 = performance.now();
    sockets.forEach((s, i) => s.write(spawnRequest(IDS[i]!)));
    const got = await Promise.all(answers);
    const together = performance.now() - t0;
    expect(got).toEqual(IDS.map((agentId) => ({ status: 201, body: { agentId } })));
    expect(kiloPidsUnder(cli.child.pid!)).toHaveLength(4);
    // Four kilos sharing the CPUs take at most as long as four spawned one after another (the
    // CPU is the only thing they share), with half again for the cost of sharing it.
    expect(together).toBeLessThanOrEqual(6 * solo);
    await Promise.all(IDS.map((id) => firstAnswerOf(id, 6 * solo)));
    expect(llm.requests.filter((r) => r.kind === 'turn')).toHaveLength(5);
  }, 300_000);
});
