import { startCli, type RunningCli } from '../helpers/run-cli';
import { openSse } from '../helpers/sse-client';
import { kiloPidsUnder, waitGone } from './process-helpers';

/** `--spawn` requires a token (docs/protocol.md §6); every request but the stream carries it. */
const TOKEN = 'cli-spawn-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('agent-stream serve --spawn (built-in offline LLM, real kilo)', () => {
  let cli: RunningCli | undefined;
  afterEach(() => {
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL');
  });

  it('spawns a kilo agent on POST /agents, streams its turn, and leaves no kilo behind on SIGTERM', async () => {
    cli = await startCli(['serve', '--port', '0', '--spawn', '--token', TOKEN]);
    const created = await fetch(`${cli.url}/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ prompt: 'Say hello', agentId: 'cli1' }),
    });
    expect(created.status).toBe(201);
    const ticket = await fetch(`${cli.url}/agents/cli1/stream-ticket`, { method: 'POST', headers: auth });
    expect(ticket.status).toBe(201);
    const v = await openSse(`${cli.url}${((await ticket.json()) as { streamUrl: string }).streamUrl}`);
    await v.waitFor(
      (x) =>
        x.events().some((f) => f.event === 'tool' && f.data!.includes('"status":"completed"')) &&
        x.events().some((f) => f.event === 'message-info' && f.data!.includes('"finish":"stop"')),
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
