import { startCli, type RunningCli } from '../helpers/run-cli';
import { openSse, ticketFor } from '../helpers/sse-client';
import { waitGone } from './process-helpers';
import { execFileSync } from 'node:child_process';

/** Pids of kilo binaries whose parent chain leads to `root`. */
function kiloPidsUnder(root: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const rows = out
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
      return { pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! };
    });
  const parent = new Map(rows.map((r) => [r.pid, r.ppid]));
  const under = (pid: number) => {
    for (let p: number | undefined = pid, i = 0; p && i < 20; p = parent.get(p), i++) if (p === root) return true;
    return false;
  };
  return rows.filter((r) => /cli-linux-x64\/bin\/kilo serve/.test(r.args) && under(r.pid)).map((r) => r.pid);
}

describe('agent-stream serve --spawn (built-in offline LLM, real kilo)', () => {
  let cli: RunningCli | undefined;
  afterEach(() => {
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL');
  });

  it('spawns a kilo agent on POST /agents, streams its turn, and leaves no kilo behind on SIGTERM', async () => {
    cli = await startCli(['serve', '--port', '0', '--spawn']);
    const created = await fetch(`${cli.url}/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Say hello', agentId: 'cli1' }),
    });
    expect(created.status).toBe(201);
    const v = await openSse(await ticketFor(cli.url, 'cli1'));
    await v.waitFor(
      (x) =>
        x.events().some((f) => f.event === 'tool' && f.data!.includes('"status":"completed"')) &&
        x.events().some((f) => f.event === 'message' && f.data!.includes('"finish":"stop"')),
      30_000,
      'a completed tool and a finished answer',
    );
    const kilos = kiloPidsUnder(cli.child.pid!);
    expect(kilos).toHaveLength(1);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    await v.waitForEnd();
    expect(v.events().at(-1)).toMatchObject({ event: 'exit', data: '{"reason":"shutdown"}' });
    expect(await waitGone(kilos[0]!, 5000)).toBe(true);
  }, 60_000);
});
