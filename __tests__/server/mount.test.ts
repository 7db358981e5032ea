import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Subject } from 'rxjs';
import express5 from 'express';
import express4 from 'express4';
import { createAgentRegistry } from '../../src/agent/create-agent-registry';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createAgentStreamRouter } from '../../src/server/create-agent-stream-router';
import { fileEdited } from '../helpers/kilo-builders';
import { openSse } from '../helpers/sse-client';

describe.each([
  ['Express 5', express5 as unknown as typeof express5],
  ['Express 4', express4 as unknown as typeof express5],
])('the router mounted under a prefix in %s', (_name, express) => {
  let server: http.Server;
  let base: string;
  const upstream = new Subject<KiloEvent>();
  beforeAll(async () => {
    const registry = createAgentRegistry();
    registry.add(createManagedAgent({ agentId: 'm1', events: upstream, firstId: 1 }));
    const app = express();
    app.use('/api/v1', createAgentStreamRouter({ registry, keepaliveMs: 60_000 }));
    app.use((_req, res) => res.status(404).json({ error: { code: 'not_found', message: 'app 404' } }));
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('issues a ticket whose streamUrl carries the prefix, and streams', async () => {
    const r = await fetch(`${base}/agents/m1/stream-ticket`, { method: 'POST' });
    expect(r.status).toBe(201);
    const { ticket, streamUrl } = await r.json();
    expect(streamUrl).toBe(`/api/v1/agents/m1/stream?ticket=${ticket}`);
    const v = await openSse(`${new URL(base).origin}${streamUrl}&types=file`);
    expect(v.status).toBe(200);
    upstream.next(fileEdited('/mounted'));
    await v.waitFor((x) => x.events().some((f) => f.data === '{"path":"/mounted"}'));
    v.close();
  });

  it('answers its errors with the JSON shape, and leaves other paths to the app', async () => {
    const bad = await fetch(`${base}/agents/m1/stream?ticket=nope`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'ticket_malformed', message: expect.any(String) } });
    const repeated = await fetch(
      `${base}/agents/m1/stream?ticket=2c6c2b4e-4f8e-4a59-9a0c-5d5b8f0e9a11&ticket=2c6c2b4e-4f8e-4a59-9a0c-5d5b8f0e9a11`,
    );
    expect((await repeated.json()).error.code).toBe('bad_query');
    const other = await fetch(`${base}/elsewhere`);
    expect(await other.json()).toEqual({ error: { code: 'not_found', message: 'app 404' } });
  });
});

describe('the router on a bare node:http server (how the control server serves streams)', () => {
  it('issues tickets, streams and answers errors without an Express app around it', async () => {
    const registry = createAgentRegistry();
    const upstream = new Subject<KiloEvent>();
    registry.add(createManagedAgent({ agentId: 'b1', events: upstream, firstId: 1 }));
    const router = createAgentStreamRouter({ registry });
    const server = http.createServer((req, res) =>
      router(req as never, res as never, () => {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"code":"not_found","message":"outside"}}');
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const r = await fetch(`${base}/agents/b1/stream-ticket`, { method: 'POST' });
      expect(r.status).toBe(201);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const { ticket, streamUrl } = await r.json();
      expect(streamUrl).toBe(`/agents/b1/stream?ticket=${ticket}`);
      const v = await openSse(`${base}${streamUrl}`, { 'Last-Event-ID': '0' });
      upstream.next(fileEdited('/bare'));
      await v.waitFor((x) => x.events().some((f) => f.data === '{"path":"/bare"}'));
      v.close();
      const bad = await fetch(`${base}/agents/b1/stream?ticket=${ticket}`);
      expect(await bad.json()).toEqual({ error: { code: 'ticket_invalid', message: expect.any(String) } });
      expect((await (await fetch(`${base}/elsewhere`)).json()).error.message).toBe('outside');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe.each([
  ['Express 5', express5 as unknown as typeof express5],
  ['Express 4', express4 as unknown as typeof express5],
])('every route of the router behind an app login in %s', (_name, express) => {
  let server: http.Server;
  let base: string;
  const upstream = new Subject<KiloEvent>();
  const seen: string[] = [];
  beforeAll(async () => {
    const registry = createAgentRegistry();
    registry.add(createManagedAgent({ agentId: 'm1', events: upstream, firstId: 1 }));
    type Req = express5.Request & { user?: string };
    const agents = createAgentStreamRouter({
      registry,
      keepaliveMs: 60_000,
      maxBodyBytes: 1024,
      authorize: (req: Req, action, agentId) => {
        seen.push(`${action}:${agentId ?? '-'}`);
        return req.user === 'operator' || action === 'watch';
      },
    });
    const app = express();
    // The app's login: only requests with its header get through, the way EventSource never can.
    const requireLogin: express5.RequestHandler = (req, res, next) => {
      const user = req.headers['x-user'];
      if (typeof user !== 'string') return void res.status(401).json({ error: { code: 'unauthenticated', message: 'login' } });
      (req as Req).user = user;
      next();
    };
    app.use('/api', agents.streams);
    app.use('/api', requireLogin, agents);
    app.use((_req, res) => res.status(404).json({ error: { code: 'not_found', message: 'app 404' } }));
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const as = (user: string, init: RequestInit = {}) => ({
    ...init,
    headers: { 'x-user': user, 'content-type': 'application/json', ...init.headers },
  });

  it('serves the list, tickets, acting, stop, each through authorize, and the stream by ticket alone', async () => {
    expect((await fetch(`${base}/agents`)).status).toBe(401);
    const list = await (await fetch(`${base}/agents`, as('viewer'))).json();
    expect(list.agents).toEqual([expect.objectContaining({ id: 'm1', actionable: false, viewers: 0 })]);
    expect((await (await fetch(`${base}/agents/m1`, as('operator'))).json()).actionable).toBe(false); // no actions: watch-only
    const ticket = await (await fetch(`${base}/agents/m1/stream-ticket`, as('viewer', { method: 'POST' }))).json();
    const v = await openSse(`${new URL(base).origin}${ticket.streamUrl}`); // no x-user header
    expect(v.status).toBe(200);
    upstream.next(fileEdited('/behind-login'));
    await v.waitFor((x) => x.events().some((f) => f.data === '{"path":"/behind-login"}'));
    const forbidden = await fetch(`${base}/agents/m1/prompt`, as('viewer', { method: 'POST', body: '{"text":"hi"}' }));
    expect([forbidden.status, (await forbidden.json()).error.code]).toEqual([403, 'forbidden']);
    const watchOnly = await fetch(`${base}/agents/m1/prompt`, as('operator', { method: 'POST', body: '{"text":"hi"}' }));
    expect([watchOnly.status, (await watchOnly.json()).error.code]).toEqual([501, 'not_supported']);
    const disconnected = await fetch(`${base}/agents/m1/disconnect-viewers`, as('operator', { method: 'POST' }));
    expect(await disconnected.json()).toEqual({ disconnected: 1 });
    v.close();
    expect(seen).toEqual(expect.arrayContaining(['watch:m1', 'act:m1', 'admin:m1', 'watch:-']));
  });

  it('answers every error under it as JSON, Express own ones included, and leaves other paths to the app', async () => {
    const cases: Array<[string, RequestInit, number, string]> = [
      ['/agents/m1/prompt', as('operator', { method: 'POST', body: '{nope' }), 400, 'bad_request'],
      ['/agents/m1/prompt', as('operator', { method: 'POST', body: JSON.stringify({ text: 'x'.repeat(4000) }) }), 413, 'payload_too_large'],
      ['/agents/%E0%A4%A/stream-ticket', as('viewer', { method: 'POST' }), 400, 'bad_request'],
      ['/agents/%E0%A4%A', as('viewer'), 400, 'bad_request'],
      ['/agents/m1/nothing/here', as('viewer'), 404, 'not_found'],
      ['/agents/nobody', as('viewer'), 404, 'agent_not_found'],
      ['/agents/m1', as('viewer', { method: 'DELETE' }), 405, 'method_not_allowed'],
      ['/agents/m1/stream', { method: 'GET' }, 400, 'ticket_missing'],
    ];
    for (const [path, init, status, code] of cases) {
      const r = await fetch(`${base}${path}`, init);
      expect([path, r.status, r.headers.get('content-type')]).toEqual([path, status, expect.stringMatching(/^application\/json/)]);
      expect((await r.json()).error.code).toBe(code);
    }
    const other = await fetch(`${base}/elsewhere`, as('viewer'));
    expect(await other.json()).toEqual({ error: { code: 'not_found', message: 'app 404' } });
  });
});
