import { spawnSync } from 'node:child_process';
import { CLI, startCli, type RunningCli } from '../helpers/run-cli';
import { openSse, ticketFor } from '../helpers/sse-client';
import { startSseTestServer } from '../helpers/sse-test-server';

let cli: RunningCli | undefined;
afterEach(() => {
  if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL');
  cli = undefined;
});

describe('agent-stream serve (the built CLI as a real process)', () => {
  it('runs the demo agent by default and streams its recorded session', async () => {
    cli = await startCli(['serve', '--port', '0', '--keepalive-ms', '1000']);
    expect(cli.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { agents } = await (await fetch(`${cli.url}/agents`)).json();
    expect(agents.map((a: { id: string }) => a.id)).toEqual(['demo']);
    const v = await openSse(await ticketFor(cli.url, 'demo'));
    await v.waitFor((x) => x.events().some((f) => f.event === 'tool') && x.events().some((f) => f.event === 'text'), 8000, 'tool and text');
    v.close();
  });

  it('never writes a stream ticket to its output, whatever happens to the ticket', async () => {
    cli = await startCli(['serve', '--port', '0']);
    const r = await fetch(`${cli.url}/agents/demo/stream-ticket`, { method: 'POST' });
    const { ticket, streamUrl } = (await r.json()) as { ticket: string; streamUrl: string };
    expect((await fetch(`${cli.url}${streamUrl}&types=bogus`)).status).toBe(400);
    const v = await openSse(`${cli.url}${streamUrl}`);
    await v.waitFor((x) => x.events().length >= 1);
    expect((await fetch(`${cli.url}${streamUrl}`)).status).toBe(401); // used
    v.close();
    cli.child.kill('SIGTERM');
    await cli.exited;
    expect(cli.stderr()).not.toContain(ticket);
    expect(cli.stdout()).not.toContain(ticket);
  });

  it('ends every stream with exit/shutdown on SIGTERM and exits 0 within 2 s', async () => {
    cli = await startCli(['serve', '--port', '0']);
    const viewers = await Promise.all([0, 1].map(async () => openSse(await ticketFor(cli!.url, 'demo'))));
    await Promise.all(viewers.map((v) => v.waitFor((x) => x.events().length >= 1)));
    const started = Date.now();
    cli.child.kill('SIGTERM');
    const { code } = await cli.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
    for (const v of viewers) {
      await v.waitForEnd();
      expect(v.events().at(-1)).toMatchObject({ event: 'exit', data: '{"reason":"shutdown"}' });
    }
  });

  it('attaches to a running kilo serve with --kilo-url, naming the agent', async () => {
    const upstream = await startSseTestServer();
    try {
      cli = await startCli(['serve', '--port=0', '--kilo-url', upstream.url, '--session', 'ses_k', '--agent-id', 'builder']);
      await upstream.waitForClients(1);
      const agent = await (await fetch(`${cli.url}/agents/builder`)).json();
      expect(agent).toMatchObject({ id: 'builder', sessionId: 'ses_k' });
      const v = await openSse(await ticketFor(cli.url, 'builder'));
      upstream.send('{"type":"file.edited","properties":{"file":"/k"}}');
      await v.waitFor((x) => x.events().some((f) => f.data === '{"path":"/k"}'));
      v.close();
    } finally {
      cli?.child.kill('SIGTERM');
      await cli?.exited;
      await upstream.close();
    }
  });

  it.each([
    [['serve', '--port', 'abc']],
    [['serve', '--bogus']],
    [['serve', '--demo', '--kilo-url', 'http://127.0.0.1:1']],
    [['serve', '--kilo-url', 'not a url']],
    [['serve', '--kilo-url', 'http://127.0.0.1:1', '--agent-id=']],
    [['launch']],
  ])('rejects %j with the usage and exit code 2', (args) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: agent-stream serve');
  });
});
