import { createControlServer } from '../../src/server/create-control-server';
import { createAgentStreamRouter } from '../../src/server/create-agent-stream-router';
import { createAgentRegistry } from '../../src/agent/create-agent-registry';
import { fileEvent } from '../helpers/kilo-builders';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';
import { openSse, ticketFor } from '../helpers/sse-client';

let t: TestControlServer;
afterEach(() => t.close());

describe('control server routes', () => {
  it('lists agents and shows one with its viewers and last id', async () => {
    t = await startTestControlServer();
    t.upstream.next(fileEvent(1));
    const v = await openSse(await ticketFor(t.url, 'a1'));
    await v.waitFor((x) => x.events().length >= 2);
    const one = {
      id: 'a1',
      sessionId: 'ses_test',
      state: 'starting',
      activeTools: [],
      viewers: 1,
      lastEventId: 1,
      actionable: false,
      watchOnly: true,
      waiting: 0,
      waitingSince: null,
    };
    expect(await (await fetch(`${t.url}/agents`)).json()).toEqual({ agents: [one] });
    expect(await (await fetch(`${t.url}/agents/a1`)).json()).toEqual(one);
    const missing = await fetch(`${t.url}/agents/zz`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('agent_not_found');
    v.close();
  });

  it('stops an agent with 202, and again 202 doing nothing', async () => {
    t = await startTestControlServer();
    const r = await fetch(`${t.url}/agents/a1/stop`, { method: 'POST' });
    expect(r.status).toBe(202);
    expect(t.agent.exited).toEqual({ reason: 'stopped' });
    const again = await fetch(`${t.url}/agents/a1/stop`, { method: 'POST' });
    expect(again.status).toBe(202);
    expect(t.agent.history.latestSeq).toBe(2);
    expect((await fetch(`${t.url}/agents/zz/stop`, { method: 'POST' })).status).toBe(404);
  });

  it('cuts every open stream of an agent on POST /agents/:agentId/disconnect-viewers', async () => {
    t = await startTestControlServer();
    const viewers = await Promise.all([0, 1].map(async () => openSse(await ticketFor(t.url, 'a1'))));
    await Promise.all(viewers.map((v) => v.waitFor((x) => x.events().length >= 1)));
    const r = await fetch(`${t.url}/agents/a1/disconnect-viewers`, { method: 'POST' });
    expect(r.status).toBe(202);
    expect(await r.json()).toEqual({ disconnected: 2 });
    await Promise.all(viewers.map((v) => v.waitForEnd()));
    expect(t.server.broadcasts.viewerCount('a1')).toBe(0);
    expect(t.agent.exited).toBeNull();
  });

  it('serves /healthz, Prometheus /metrics and the dashboard page', async () => {
    t = await startTestControlServer();
    expect(await (await fetch(`${t.url}/healthz`)).json()).toMatchObject({ ok: true, agents: 1 });
    await ticketFor(t.url, 'a1');
    const m = await fetch(`${t.url}/metrics`);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await m.text();
    for (const name of [
      'agent_stream_viewers_total',
      'agent_stream_events_forwarded_total',
      'agent_stream_events_dropped_total',
      'agent_stream_tickets_issued_total 1',
      'agent_stream_tickets_rejected_total',
      'agent_stream_upstream_reconnects_total',
      'agent_stream_slow_consumer_disconnects_total',
    ])
      expect(text).toContain(name);
    const page = await fetch(`${t.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('answers any other path or method with the JSON error shape, never HTML', async () => {
    t = await startTestControlServer();
    for (const [method, path, status, code] of [
      ['GET', '/nope', 404, 'not_found'],
      ['DELETE', '/agents', 405, 'method_not_allowed'],
      ['PUT', '/agents/a1', 405, 'method_not_allowed'],
      ['GET', '/agents/a1/stop', 405, 'method_not_allowed'],
      ['POST', '/healthz', 405, 'method_not_allowed'],
      ['POST', '/agents/a1/stream', 405, 'method_not_allowed'],
    ] as const) {
      const r = await fetch(`${t.url}${path}`, { method });
      expect([method, path, r.status]).toEqual([method, path, status]);
      expect(r.headers.get('content-type')).toMatch(/application\/json/);
      expect((await r.json()).error.code).toBe(code);
    }
    const badJson = await fetch(`${t.url}/agents/a1/stop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).error.code).toBe('bad_request');
  });

  it('answers client errors on the stream path with 4xx, the same through the server as through the app', async () => {
    t = await startTestControlServer();
    const app = t.server.app.listen(0, '127.0.0.1');
    await new Promise((r) => app.once('listening', r));
    const viaApp = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
    try {
      for (const [path, status, code] of [
        ['/agents/%ZZ/stream?ticket=2c6c2b4e-4f8e-4a59-9a0c-5d5b8f0e9a11', 400, 'bad_request'],
        ['/agents/a1/stream', 400, 'ticket_missing'],
        ['/agents/a1/stream?ticket=x', 400, 'ticket_malformed'],
        ['/agents/nope/stream?ticket=2c6c2b4e-4f8e-4a59-9a0c-5d5b8f0e9a11', 401, 'ticket_invalid'],
      ] as const) {
        for (const base of [t.url, viaApp]) {
          const r = await fetch(`${base}${path}`);
          expect([base === t.url ? 'server' : 'app', path, r.status, (await r.json()).error.code]).toEqual([
            base === t.url ? 'server' : 'app',
            path,
            status,
            code,
          ]);
        }
      }
    } finally {
      app.close();
    }
  });

  it('shuts down gracefully: exit/shutdown to every stream, then closed within 2 s', async () => {
    t = await startTestControlServer();
    const viewers = await Promise.all([0, 1, 2].map(async () => openSse(await ticketFor(t.url, 'a1'))));
    await Promise.all(viewers.map((v) => v.waitFor((x) => x.events().length >= 1)));
    const started = Date.now();
    await t.server.close();
    expect(Date.now() - started).toBeLessThan(2000);
    for (const v of viewers) {
      await v.waitForEnd();
      expect(v.events().at(-1)).toMatchObject({ event: 'exit', data: '{"reason":"shutdown"}' });
    }
    await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
  });
});

describe('options are validated eagerly', () => {
  it('rejects nonsense with clear errors', () => {
    expect(() => createControlServer({ port: 70000 })).toThrow(RangeError);
    expect(() => createAgentStreamRouter({ registry: createAgentRegistry(), keepaliveMs: 0 })).toThrow(/keepaliveMs/);
    expect(() => createAgentStreamRouter({} as never)).toThrow(/registry/);
  });
});
