import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Subject } from 'rxjs';
import express from 'express';
import { createAgentRegistry } from '../../src/agent/create-agent-registry';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createAgentStreamRouter } from '../../src/server/create-agent-stream-router';
import { fileEdited } from '../helpers/kilo-builders';
import { openSse } from '../helpers/sse-client';

/** `format` through the real route (docs/interop.md): the router's defaultFormat, the query's format, the 400s that consume no ticket. */
describe('the stream route with format', () => {
  let server: http.Server;
  let base: string;
  const upstream = new Subject<KiloEvent>();
  beforeAll(async () => {
    const registry = createAgentRegistry();
    registry.add(createManagedAgent({ agentId: 'f1', events: upstream, firstId: 1 }));
    const app = express();
    app.use(createAgentStreamRouter({ registry, keepaliveMs: 60_000, defaultFormat: 'ag-ui', flushIntervalMs: 0 }));
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    upstream.complete();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const ticket = async () => {
    const r = await fetch(`${base}/agents/f1/stream-ticket`, { method: 'POST' });
    return ((await r.json()) as { streamUrl: string }).streamUrl;
  };

  it('a query without format gets the router default (AG-UI); format=native and format=ai-sdk get theirs', async () => {
    const agUi = await openSse(`${base}${await ticket()}`);
    const native = await openSse(`${base}${await ticket()}&format=native`);
    const aiSdk = await openSse(`${base}${await ticket()}&format=ai-sdk`);
    upstream.next(fileEdited('/formats'));
    await agUi.waitFor((v) => v.body.includes('"name":"file.edited"'));
    await native.waitFor((v) => v.events().some((f) => f.event === 'file' && f.data === '{"path":"/formats"}'));
    await aiSdk.waitFor((v) => v.body.includes('"type":"data-file"'));
    expect(agUi.events()[0]!.data).toContain('"type":"RUN_STARTED"');
    expect(aiSdk.headers['x-vercel-ai-ui-message-stream']).toBe('v1');
    expect(native.headers['x-vercel-ai-ui-message-stream']).toBeUndefined();
    for (const v of [agUi, native, aiSdk]) v.close();
  });

  it('an unknown format, or types with a non-native format (the default included), is a 400 bad_query that consumes nothing', async () => {
    const url = await ticket();
    for (const query of ['&format=xml', '&types=file', '&format=ai-sdk&types=file']) {
      const r = await fetch(`${base}${url}${query}`);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('bad_query');
    }
    const ok = await openSse(`${base}${url}&format=native&types=file`);
    expect(ok.status).toBe(200);
    ok.close();
  });

  it('refuses an unknown defaultFormat at creation', () => {
    expect(() => createAgentStreamRouter({ registry: createAgentRegistry(), defaultFormat: 'xml' as 'ag-ui' })).toThrow(TypeError);
  });
});
