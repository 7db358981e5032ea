import http from 'node:http';
import fc from 'fast-check';
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

/** A fetch whose body gives `chunks` (as bytes, cut anywhere, even inside a UTF-8 character) and ends. */
const chunkedFetch =
  (chunks: Uint8Array[]): FetchLike =>
  async () => {
    let i = 0;
    return {
      status: 200,
      headers: { get: (name: string) => (name === 'content-type' ? 'text/event-stream' : null) },
      body: { getReader: () => ({ read: async () => (i < chunks.length ? { done: false, value: chunks[i++] } : { done: true }) }) },
    };
  };

/** The data `openEventStream` hands on for `body` delivered in `chunks` (byte offsets of the cuts). */
async function messages(body: string, cuts: number[] = []): Promise<string[]> {
  const bytes = new TextEncoder().encode(body);
  const at = [...new Set(cuts)].filter((c) => c <= bytes.length).sort((a, b) => a - b);
  const chunks = [0, ...at].map((from, i) => bytes.slice(from, at[i] ?? bytes.length));
  const { got, ended } = collect(new URL('http://127.0.0.1:1/event'), { fetch: chunkedFetch(chunks) });
  await ended;
  expect(got.error).toEqual({ message: 'the stream ended' });
  return got.data;
}

describe('openEventStream messages (EventSource onmessage rules, by eventsource-parser)', () => {
  it('hands on the data of each message; several data lines joined with LF, one leading space dropped', async () => {
    expect(await messages('data: {"a":1}\n\ndata:{"b":2}\n\n')).toEqual(['{"a":1}', '{"b":2}']);
    expect(await messages('data: one\ndata:  two\ndata\n\n')).toEqual(['one\n two\n']);
  });

  it('accepts CRLF and CR line ends, also cut between CR and LF', async () => {
    expect(await messages('data: a\r\n\r\ndata: b\r\rdata: c\r\n\r\n', [8, 21])).toEqual(['a', 'b', 'c']);
  });

  it('skips a leading BOM, comments, id, retry, unknown fields and messages without data', async () => {
    expect(await messages('\uFEFF: hello\n\nid: 7\nretry: 10\ndatabase: x\n\ndata: kept\nid: 8\n\n')).toEqual(['kept']);
    expect(await messages('\uFEFFdata: first\n\n', [1, 2])).toEqual(['first']);
  });

  it('skips an event named other than message, like onmessage', async () => {
    expect(await messages('event: ping\ndata: no\n\nevent: message\ndata: yes\n\nevent:\ndata: also\n\n')).toEqual(['yes', 'also']);
  });

  it('gives the same messages however the body is cut, inside UTF-8 characters and line ends too', async () => {
    const body = 'data: {"a":"é€😀"}\n\n: c\ndata: x\r\ndata: y\r\n\r\nevent: e\ndata: z\n\ndata: last\r\r\n';
    const whole = await messages(body);
    expect(whole).toEqual(['{"a":"é€😀"}', 'x\ny', 'last']);
    const size = new TextEncoder().encode(body).length;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(size), { maxLength: 12 }), async (cuts) => {
        expect(await messages(body, cuts)).toEqual(whole);
      }),
    );
  });
});
