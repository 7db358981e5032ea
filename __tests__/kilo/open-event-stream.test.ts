import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openEventStream, type EventStreamError, type FetchLike } from '../../src/kilo/open-event-stream';

/** A one-route server: `handler` answers every request; the request headers are kept. */
async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/event`);
  return {
    url,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

/** Opens a stream and collects what its handlers get until it fails or `settled` resolves. */
function collect(url: URL, options: Parameters<typeof openEventStream>[1] = {}) {
  const got = { opened: 0, data: [] as string[], error: undefined as EventStreamError | undefined };
  let failed!: () => void;
  const ended = new Promise<void>((r) => (failed = r));
  const stream = openEventStream(url, options, {
    onOpen: () => got.opened++,
    onData: (d) => got.data.push(d),
    onError: (e) => {
      got.error = e;
      failed();
    },
  });
  return { got, ended, stream };
}

const until = async (pred: () => boolean) => {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('openEventStream', () => {
  let close: (() => Promise<unknown>) | undefined;
  afterEach(() => close?.());

  it('reads the messages off node:http, sends the headers, and reports the end of the body', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: {"n":1}\n\ndata: {"n"');
      setTimeout(() => res.end(':2}\n\n'), 20);
    });
    close = s.close;
    const { got, ended } = collect(s.url, { headers: { Authorization: 'Basic eDp5' } });
    await ended;
    expect(got).toEqual({ opened: 1, data: ['{"n":1}', '{"n":2}'], error: { message: 'the stream ended' } });
    expect(s.seen[0]).toMatchObject({ accept: 'text/event-stream', authorization: 'Basic eDp5' });
  });

  it.each([
    ['a non-200 status', 503, 'text/event-stream', { message: 'Non-200 status code (503)', code: 503 }],
    ['another content type', 200, 'application/json', { message: 'Invalid content type, expected "text/event-stream"', code: 200 }],
  ])('fails on %s without opening', async (_what, status, type, error) => {
    const s = await serve((_req, res) => res.writeHead(status, { 'Content-Type': type }).end('{}'));
    close = s.close;
    const { got, ended } = collect(s.url);
    await ended;
    expect(got).toEqual({ opened: 0, data: [], error });
  });

  it('fails when nothing listens', async () => {
    const s = await serve(() => undefined);
    await s.close();
    const { got, ended } = collect(s.url);
    await ended;
    expect(got.error?.message).toMatch(/ECONNREFUSED/);
  });

  it('calls nothing after close() and closes the connection', async () => {
    let closed = false;
    const s = await serve((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).write('data: 1\n\n');
      req.socket.on('close', () => (closed = true));
    });
    close = s.close;
    const { got, stream } = collect(s.url);
    await until(() => got.data.length === 1);
    stream.close();
    await until(() => closed);
    expect(closed).toBe(true);
    expect(got.error).toBeUndefined();
  });

  it('reads through a given fetch instead, with its web stream', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
      res.end('data: via fetch\n\n');
    });
    close = s.close;
    const calls: unknown[] = [];
    const viaFetch: FetchLike = (url, init) => {
      calls.push(init.headers);
      return fetch(url, init);
    };
    const { got, ended } = collect(s.url, { fetch: viaFetch, headers: { Authorization: 'Basic eDp5' } });
    await ended;
    expect(got).toEqual({ opened: 1, data: ['via fetch'], error: { message: 'the stream ended' } });
    expect(calls).toEqual([expect.objectContaining({ Accept: 'text/event-stream', Authorization: 'Basic eDp5' })]);
  });
});
