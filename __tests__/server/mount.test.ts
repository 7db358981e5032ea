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
