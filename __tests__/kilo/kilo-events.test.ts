import { firstValueFrom, take, toArray } from 'rxjs';
import { kiloEvents, type KiloDiagnostic } from '../../src/kilo/kilo-events';
import { KiloUpstreamError } from '../../src/kilo/kilo-upstream-error';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { startSseTestServer, type SseTestServer } from '../helpers/sse-test-server';

let server: SseTestServer;
afterEach(async () => {
  await server?.close();
});

const nextEvents = (events: KiloEvent[], n: number, timeoutMs = 5000) =>
  new Promise<KiloEvent[]>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`only ${events.length} events`)), timeoutMs);
    const poll = setInterval(() => {
      if (events.length >= n) {
        clearInterval(poll);
        clearTimeout(t);
        resolve(events);
      }
    }, 5);
  });

describe('kiloEvents against a real loopback SSE server', () => {
  it('connects and receives typed events, dropping sync copies and skipping malformed frames', async () => {
    server = await startSseTestServer({
      onConnect: (res) => {
        res.write('data: {"type":"sync","syncEvent":{}}\n\n');
        res.write('data: this is not json\n\n');
        res.write('data: {"type":"file.edited","properties":{"file":"/a"}}\n\n');
        res.write('data: {"type":"plugin.added","properties":{"id":"p"}}\n\n');
      },
    });
    const diags: KiloDiagnostic[] = [];
    const events = await firstValueFrom(kiloEvents(server.url, { onDiagnostic: (d) => diags.push(d) }).pipe(take(3), toArray()));
    expect(events.map((e) => e.type)).toEqual(['server.connected', 'file.edited', 'unknown']);
    expect(diags.map((d) => d.type)).toEqual(['open', 'malformed', 'unknown']);
  });

  it('reconnects after the server drops the connection and goes on with live events', async () => {
    server = await startSseTestServer();
    const events: KiloEvent[] = [];
    const diags: KiloDiagnostic[] = [];
    const sub = kiloEvents(server.url, { initialDelayMs: 20, onDiagnostic: (d) => diags.push(d) }).subscribe((e) => events.push(e));
    await server.waitForClients(1);
    server.send('{"type":"file.edited","properties":{"file":"/before"}}');
    await nextEvents(events, 2);
    server.drop();
    await server.waitForClients(0);
    await server.waitForClients(1);
    server.send('{"type":"file.edited","properties":{"file":"/after"}}');
    await nextEvents(events, 4);
    sub.unsubscribe();
    expect(events.map((e) => (e.type === 'file.edited' ? e.properties.file : e.type))).toEqual([
      'server.connected',
      '/before',
      'server.connected',
      '/after',
    ]);
    expect(server.connections).toBe(2);
    expect(diags.filter((d) => d.type === 'reconnecting')).toHaveLength(1);
  });

  it('closes the socket when the subscriber unsubscribes', async () => {
    server = await startSseTestServer();
    const sub = kiloEvents(server.url).subscribe();
    await server.waitForClients(1);
    sub.unsubscribe();
    await server.waitForClients(0);
    expect(server.clients).toHaveLength(0);
  });

  it('errors with a typed upstream_lost once the retry policy gives up', async () => {
    server = await startSseTestServer({ status: () => 503 });
    const started = Date.now();
    const err = await firstValueFrom(kiloEvents(server.url, { initialDelayMs: 10, maxDelayMs: 40, giveUpAfterMs: 300 })).catch((e) => e);
    expect(err).toBeInstanceOf(KiloUpstreamError);
    expect(err.code).toBe('upstream_lost');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(server.connections).toBeGreaterThan(3);
  });

  it('rejects misuse eagerly: TypeError / RangeError saying what to pass (typed errors are for runtime failures)', () => {
    expect(() => kiloEvents('not a url')).toThrow(TypeError);
    expect(() => kiloEvents('not a url')).toThrow(/baseUrl must be a URL/);
    expect(() => kiloEvents('http://127.0.0.1:1', { maxDelayMs: -1 })).toThrow(RangeError);
    expect(() => kiloEvents('http://127.0.0.1:1', { maxDelayMs: -1 })).toThrow('kiloEvents: maxDelayMs must be a number > 0, got -1');
  });
});

describe('kiloEvents idle watchdog', () => {
  it('reconnects a connection that stays silent past idleTimeoutMs (a half-open socket)', async () => {
    server = await startSseTestServer();
    const diags: KiloDiagnostic[] = [];
    const sub = kiloEvents(server.url, { idleTimeoutMs: 200, initialDelayMs: 10, onDiagnostic: (d) => diags.push(d) }).subscribe();
    const deadline = Date.now() + 3000;
    while (server.connections < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    sub.unsubscribe();
    expect(server.connections).toBeGreaterThanOrEqual(2);
    expect(diags.find((d) => d.type === 'reconnecting')).toMatchObject({ reason: expect.stringMatching(/^no event for \d+ ms$/) });
  });

  it('keeps a connection that receives events', async () => {
    server = await startSseTestServer();
    const sub = kiloEvents(server.url, { idleTimeoutMs: 150 }).subscribe();
    await server.waitForClients(1);
    for (let i = 0; i < 8; i++) {
      server.send({ type: 'server.heartbeat', properties: {} });
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(server.connections).toBe(1);
    sub.unsubscribe();
  });
});
