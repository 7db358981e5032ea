// The protocol through the real CLI, with one process and with `--workers 2` (issue 24): every
// request goes on a fresh connection, so with two workers consecutive requests land on
// different workers (node's cluster hands connections out round-robin). Tickets, resume,
// acting, claims, limits, the agent list and shutdown must not tell one process from two.
import http from 'node:http';
import net from 'node:net';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { openSse, type RawSseViewer } from '../helpers/sse-client';
import { startSseTestServer, type SseTestServer } from '../helpers/sse-test-server';
import { permissionAsked, SES, status } from '../helpers/kilo-builders';
import { waitUntil } from '../helpers/wait-until';

jest.setTimeout(60_000);

const TOKEN = 'workers-full-token-0123456789';
const WATCH = 'workers-watch-token-012345678';

/** One request on its own connection: `{status, body, headers}`. */
function call(base: string, path: string, o: { method?: string; token?: string; body?: unknown } = {}) {
  return new Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const data = o.body === undefined ? undefined : JSON.stringify(o.body);
    const req = http.request(
      `${base}${path}`,
      {
        method: o.method ?? 'GET',
        agent: false,
        headers: {
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(data ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const ticket = async (base: string, agent: string, token?: string) => {
  const r = await call(base, `/agents/${agent}/stream-ticket`, { method: 'POST', token });
  expect(r.status).toBe(201);
  return r.body as { ticket: string; streamUrl: string };
};

describe.each([1, 2])('serve --workers %i (the contract through the real CLI)', (workers) => {
  let cli: RunningCli | undefined;
  let kilo: SseTestServer | undefined;
  const viewers: RawSseViewer[] = [];
  const open = async (url: string) => {
    const v = await openSse(url);
    viewers.push(v);
    return v;
  };

  beforeAll(async () => {
    kilo = await startSseTestServer({ actionStatus: () => 200 });
    cli = await startCli(
      [
        'serve',
        '--port',
        '0',
        '--kilo-url',
        kilo.url,
        '--session',
        SES,
        '--agent-id',
        'k',
        '--max-connections-per-address',
        '12',
        '--workers',
        String(workers),
      ],
      30_000,
      { ...process.env, AGENT_STREAM_TOKEN: TOKEN, AGENT_STREAM_WATCH_TOKEN: WATCH },
    );
    await kilo.waitForClients(1, 20_000);
  });
  afterEach(() => {
    for (const v of viewers.splice(0)) v.close();
  });
  afterAll(async () => {
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await kilo?.close();
  });

  it('a ticket works once, on whichever worker the stream lands', async () => {
    for (let i = 0; i < 4; i++) {
      const { streamUrl } = await ticket(cli!.url, 'k', WATCH);
      const v = await open(`${cli!.url}${streamUrl}`);
      expect(v.status).toBe(200);
      expect((await call(cli!.url, streamUrl)).status).toBe(401);
      expect((await call(cli!.url, streamUrl)).status).toBe(401);
    }
  });

  it('GET /agents counts the viewers of every worker, the same on each; /healthz only its own', async () => {
    for (let i = 0; i < 4; i++) await open(`${cli!.url}${(await ticket(cli!.url, 'k', WATCH)).streamUrl}`);
    await waitUntil('4 viewers on every worker', async () => {
      const lists = await Promise.all([0, 1, 2, 3].map(() => call(cli!.url, '/agents', { token: WATCH })));
      return lists.every((l) => l.body.agents[0].viewers === 4);
    });
    // /healthz counts the answering worker's own streams: over a few connections (round-robin)
    // both workers answer, and their counts add up to the 4.
    // (A connection's close may still be counting down on one worker: asked again until it holds.)
    await waitUntil('each worker counts its own, adding up to 4', async () => {
      const local = new Set<number>();
      for (let i = 0; i < 8; i++) local.add((await call(cli!.url, '/healthz')).body.viewers);
      return workers === 1 ? [...local].join() === '4' : [...local].every((n) => local.has(4 - n));
    });
  });

  it('resumes after Last-Event-ID on another connection: the rest, nothing twice', async () => {
    const first = await open(`${cli!.url}${(await ticket(cli!.url, 'k', WATCH)).streamUrl}`);
    for (let i = 0; i < 30; i++) kilo!.send({ type: 'file.edited', properties: { file: `/r${i}` } });
    await first.waitFor((v) => v.events().some((f) => f.data === '{"path":"/r9"}'), 10_000, 'r9');
    const last = first.events().find((f) => f.data === '{"path":"/r9"}')!.id!;
    first.close();
    await first.waitFor((v) => v.events().some((f) => f.data === '{"path":"/r29"}') || v.ended, 10_000);
    const resumed = await openSse(`${cli!.url}${(await ticket(cli!.url, 'k', WATCH)).streamUrl}`, { 'Last-Event-ID': last });
    viewers.push(resumed);
    await resumed.waitFor((v) => v.events().some((f) => f.data === '{"path":"/r29"}'), 10_000, 'r29');
    const paths = resumed
      .events()
      .map((f) => /"path":"\/r(\d+)"/.exec(f.data ?? '')?.[1])
      .filter((p) => p !== undefined)
      .map(Number);
    expect(paths).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
  });

  it('acts on the agent from any worker: one answer of two at once wins (202, 409), roles hold (401, 403)', async () => {
    kilo!.send(status('busy'));
    kilo!.send(permissionAsked('per_w1'));
    await waitUntil('the request on every worker', async () => {
      const lists = await Promise.all([0, 1].map(() => call(cli!.url, '/agents/k', { token: TOKEN })));
      return lists.every((l) => l.body.waiting === 1);
    });
    const answers = await Promise.all(
      [0, 1, 2, 3].map(() => call(cli!.url, '/agents/k/permissions/per_w1', { method: 'POST', token: TOKEN, body: { response: 'once' } })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409, 409]);
    expect(kilo!.requests.filter((r) => r === 'POST /permission/per_w1/reply')).toHaveLength(1);
    const prompt = await call(cli!.url, '/agents/k/prompt', { method: 'POST', token: TOKEN, body: { text: 'hi' } });
    expect(prompt.status).toBe(202);
    expect(kilo!.requests).toContain(`POST /session/${SES}/prompt_async`);
    expect((await call(cli!.url, '/agents/k/prompt', { method: 'POST', token: WATCH, body: { text: 'hi' } })).status).toBe(403);
    expect((await call(cli!.url, '/agents/k/prompt', { method: 'POST', body: { text: 'hi' } })).status).toBe(401);
    expect((await call(cli!.url, '/agents', {})).status).toBe(401);
  });

  it('the ticket rate, failed tokens and open connections are counted per address over all workers; stop is admin-only; SIGTERM ends streams and processes', async () => {
    const kept = await Promise.all([0, 1].map(async () => openSse(`${cli!.url}${(await ticket(cli!.url, 'k', WATCH)).streamUrl}`)));
    await Promise.all(kept.map((v) => v.waitFor((x) => x.events().length >= 1)));
    // Earlier tests took some of the 20; the bucket refills 1/s: ask until refused, count the run.
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    const t0 = Date.now();
    for (let i = 0; i < 45 && !refused; i++) {
      const answer = await call(cli!.url, '/agents/k/stream-ticket', { method: 'POST', token: WATCH });
      statuses.push(answer.status);
      if (answer.status === 429) refused = answer;
    }
    expect(statuses.at(-1)).toBe(429);
    // 20 at most, plus one per second the run took (on a busy machine the bucket refills meanwhile).
    expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(20 + Math.ceil((Date.now() - t0) / 1000));
    expect(refused!.body.error.code).toBe('rate_limited');
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    expect((await call(cli!.url, '/agents/k/stop', { method: 'POST', token: WATCH })).status).toBe(403);
    // Wrong tokens: 10 failed attempts per address (createTokenAuth's default), then 429 for
    // everything from it, counted over all workers (a block in flight lets at most one more
    // through per worker).
    const tries: number[] = [];
    for (let i = 0; i < 25 && tries.at(-1) !== 429; i++)
      tries.push((await call(cli!.url, '/agents', { token: 'wrong-token-0123456789abc' })).status);
    expect(tries.at(-1)).toBe(429);
    const failed = tries.filter((s) => s === 401).length;
    expect(failed).toBeGreaterThanOrEqual(10);
    expect(failed).toBeLessThanOrEqual(10 + workers - 1);
    for (let i = 0; i < 2; i++) expect((await call(cli!.url, '/agents', { token: TOKEN })).status).toBe(429);

    // The per-address connection cap (12) counts every worker: the 2 streams and 10 idle
    // connections hold it; each further connection is cut unserved; one closed frees a slot.
    const port = Number(new URL(cli!.url).port);
    const alive = (s: net.Socket) => !s.destroyed && !s.readableEnded;
    const connect = () =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', reject);
        s.on('end', () => s.destroy());
      });
    let idle: net.Socket[] = [];
    try {
      // One cut because an earlier socket still counted (its close not yet seen) is replaced.
      for (let round = 0; round < 10 && (idle.length < 10 || !idle.every(alive)); round++) {
        idle = idle.filter(alive);
        idle.push(...(await Promise.all(Array.from({ length: 10 - idle.length }, connect))));
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(idle.filter(alive)).toHaveLength(10);
      for (let i = 0; i < 4; i++) await expect(call(cli!.url, '/healthz')).rejects.toThrow();
      idle.pop()!.destroy();
      await waitUntil(
        'a slot again',
        () =>
          call(cli!.url, '/healthz').then(
            (r) => r.status === 200,
            () => false,
          ),
        10_000,
      );
    } finally {
      for (const s of idle) s.destroy();
    }

    cli!.child.kill('SIGTERM');
    const { code } = await cli!.exited;
    // With what it logged when it did not exit cleanly.
    expect({ code, stderr: code === 0 ? '' : cli!.stderr() }).toEqual({ code: 0, stderr: '' });
    for (const v of kept) {
      await v.waitForEnd(5000);
      expect(v.events().at(-1)).toMatchObject({ event: 'exit', data: '{"reason":"shutdown"}' });
    }
    await expect(call(cli!.url, '/healthz')).rejects.toThrow();
  });
});
