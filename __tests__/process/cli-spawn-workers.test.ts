// `serve --spawn --workers 2` (issue 24): POST /agents on a worker starts the kilo in the primary
// (which owns every upstream), the agent streams from every worker, and SIGTERM leaves no kilo.
import http from 'node:http';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { openSse } from '../helpers/sse-client';
import { descendantsOf, kiloPidsUnder, waitGone } from './process-helpers';

const TOKEN = 'cli-spawn-workers-token-0123456789';

/** One request on its own connection (consecutive ones land on different workers). */
function call(base: string, path: string, body?: unknown) {
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = { authorization: `Bearer ${TOKEN}`, ...(data ? { 'content-type': 'application/json' } : {}) };
    const req = http.request(
      `${base}${path}`,
      { method: data || path.endsWith('ticket') ? 'POST' : 'GET', agent: false, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('agent-stream serve --spawn --workers 2 (built-in offline LLM, real kilo)', () => {
  let cli: RunningCli | undefined;
  afterEach(() => {
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL');
  });

  it('a worker passes POST /agents to the primary; the agent streams from both workers; SIGTERM leaves no kilo', async () => {
    cli = await startCli(['serve', '--port', '0', '--spawn', '--token', TOKEN, '--workers', '2'], 30_000);
    const created = await call(cli.url, '/agents', { prompt: 'Say hello', agentId: 'w1' });
    expect(created.status).toBe(201);
    expect((await call(cli.url, '/agents', { prompt: 'again', agentId: 'w1' })).status).toBe(409);
    // Two viewers, their streams on the two workers (a ticket and its stream alternate).
    const viewers = [];
    for (let i = 0; i < 2; i++) {
      if (i === 1) await call(cli.url, '/healthz');
      const { json } = await call(cli.url, '/agents/w1/stream-ticket');
      viewers.push(await openSse(`${cli.url}${json.streamUrl}`));
    }
    for (const v of viewers)
      await v.waitFor(
        (x) => x.events().some((f) => f.event === 'message-info' && f.data!.includes('"finish":"stop"')),
        60_000,
        'a finished answer',
      );
    const kilos = kiloPidsUnder(cli.child.pid!);
    expect(kilos).toHaveLength(1);
    // The kilo is the primary's child's, not a worker's.
    const workers = descendantsOf(cli.child.pid!).filter((p) => p.ppid === cli!.child.pid && /agent-stream\.js serve/.test(p.args));
    expect(workers).toHaveLength(2);
    for (const w of workers) expect(kiloPidsUnder(w.pid)).toHaveLength(0);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    for (const v of viewers) {
      await v.waitForEnd();
      expect(v.events().at(-1)).toMatchObject({ event: 'exit', data: '{"reason":"shutdown"}' });
    }
    expect(await waitGone(kilos[0]!, 5000)).toBe(true);
  }, 120_000);
});
