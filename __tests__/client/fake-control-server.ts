// A tiny stand-in for the control server (SPEC §4) for browser tests: serves a built dashboard
// page, GET /agents, one-use tickets and a scripted SSE stream for agent `demo` that drops the
// first connection after event 6 and replays 5-6 by mistake on the resume. Agent `reset` is
// resumed as a new server instance would (status, `reset`, larger ids); `setDown` stops and
// restarts the whole server on the same port, as a deploy would.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SCRIPT: Array<{ type: string; data: unknown }> = [
  { type: 'status', data: { agentId: 'demo', sessionId: 'ses_1', state: 'busy', activeTools: [] } },
  { type: 'text', data: { messageId: 'm0', partId: 'p0', role: 'user', text: 'Write hello.txt' } },
  { type: 'tool', data: { messageId: 'm1', callId: 'c1', tool: 'write', status: 'pending' } },
  {
    type: 'tool',
    data: {
      messageId: 'm1',
      callId: 'c1',
      tool: 'write',
      status: 'running',
      title: 'hello.txt',
      input: { filePath: 'hello.txt', content: 'hi' },
    },
  },
  { type: 'text', data: { messageId: 'm1', partId: 'p1', role: 'assistant', text: "I'll" } },
  { type: 'text', data: { messageId: 'm1', partId: 'p1', role: 'assistant', delta: ' write the file.' } },
  {
    type: 'tool',
    data: {
      messageId: 'm1',
      callId: 'c1',
      tool: 'write',
      status: 'completed',
      title: 'hello.txt',
      input: { filePath: 'hello.txt', content: 'hi' },
      output: 'Wrote file successfully.',
    },
  },
  { type: 'file', data: { path: 'hello.txt' } },
  { type: 'text', data: { messageId: 'm1', partId: 'p2', role: 'assistant', text: 'Done.' } },
  {
    type: 'message-info',
    data: {
      messageId: 'm1',
      role: 'assistant',
      finish: 'stop',
      tokens: { input: 10, output: 5, reasoning: 0, cache: { read: 0, write: 0 } },
    },
  },
  { type: 'error', data: { name: 'APIError', message: 'rate limited' } },
  { type: 'status', data: { agentId: 'demo', sessionId: 'ses_1', state: 'idle', activeTools: [] } },
  { type: 'exit', data: { reason: 'stopped' } },
];
/** The first connection is dropped after this id. */
export const DROP_AFTER = 6;

export interface FakeControlServer {
  url: string;
  /** Every stream request: its ticket and lastEventId. */
  streams: Array<{ ticket: string | null; lastEventId: string | null; status: number }>;
  ticketsIssued: number;
  /** Sends `n` more `file` events to the open streams of agent `long` (which starts with 100). */
  pushLong(n: number): void;
  /** The `lastEventId` of every stream request of agent `reset`. */
  resetResumes: Array<string | null>;
  /** Down: stops listening and cuts every connection (requests are refused); up: listens again on the same port. */
  setDown(down: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Agent `reset`: what the first instance sent (ids 1-3), then what the new instance sends after `reset`. */
const RESET_BEFORE = [
  { type: 'text', data: { messageId: 'm1', partId: 'p1', role: 'assistant', text: 'old text' } },
  { type: 'file', data: { path: 'old.txt' } },
  { type: 'text', data: { messageId: 'm1', partId: 'p1', role: 'assistant', delta: ', more' } },
];
const RESET_AFTER = [
  { type: 'text', data: { messageId: 'm1', partId: 'p1', role: 'assistant', text: 'the whole text, rebuilt' } },
  { type: 'tool', data: { messageId: 'm1', partId: 'p2', callId: 'c9', tool: 'bash', status: 'completed', title: 'ls' } },
];
/** The first id the "new instance" gives agent `reset`: above every id the first one gave. */
export const RESET_FIRST_NEW_ID = 1001;

const frame = (seq: number) => `id: ${seq}\nevent: ${SCRIPT[seq - 1].type}\ndata: ${JSON.stringify(SCRIPT[seq - 1].data)}\n\n`;

/** `html` is the page at `/`; `assets` the files beside it (`dashboard.js`, `dashboard.css`), by name. */
export async function startFakeControlServer(html: string, assets: Record<string, string> = {}): Promise<FakeControlServer> {
  const tickets = new Map<string, boolean>(); // ticket -> used
  const sockets = new Set<import('node:net').Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const state: FakeControlServer = {
    url: '',
    streams: [],
    ticketsIssued: 0,
    pushLong: () => {},
    resetResumes: [],
    setDown: async () => {},
    close: async () => {},
  };
  const longStreams = new Set<ServerResponse>();
  let longSeq = 0;
  const longFrame = (seq: number) => `id: ${seq}\nevent: file\ndata: ${JSON.stringify({ path: `src/file-${seq}.ts` })}\n\n`;
  const pushLong = (n: number) => {
    for (let i = 0; i < n; i++) {
      longSeq++;
      for (const res of longStreams) res.write(longFrame(longSeq));
    }
  };
  pushLong(100);
  state.pushLong = pushLong;
  let exited = false;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const stream = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const ticket = url.searchParams.get('ticket');
    const lastEventId = url.searchParams.get('lastEventId');
    const entry = { ticket, lastEventId, status: 200 };
    state.streams.push(entry);
    if (ticket === null || !tickets.has(ticket) || tickets.get(ticket)) {
      entry.status = 401;
      return json(res, 401, { error: { code: 'ticket_invalid', message: 'unknown or used ticket' } });
    }
    tickets.set(ticket, true);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' });
    res.write('retry: 2000\n\n');
    const after = lastEventId === null ? 0 : Number(lastEventId);
    const latest = after === 0 ? 1 : Math.min(after, SCRIPT.length);
    res.write(
      `event: status\ndata: ${JSON.stringify({ ...(SCRIPT[latest - 1].type === 'status' ? (SCRIPT[latest - 1].data as object) : (SCRIPT[0].data as object)) })}\n\n`,
    );
    if (after === 0) {
      for (let seq = 1; seq <= DROP_AFTER; seq++) res.write(frame(seq));
      const t = setTimeout(() => {
        timers.delete(t);
        req.socket.destroy();
      }, 150); // drop mid-stream
      timers.add(t);
      return;
    }
    // the resume replays two old events by mistake; the client must drop them
    for (let seq = Math.max(1, after - 1); seq <= SCRIPT.length; seq++) res.write(frame(seq));
    exited = true;
    res.end();
  };

  const resetStream = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const lastEventId = url.searchParams.get('lastEventId');
    state.resetResumes.push(lastEventId);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' });
    res.write(`event: status\ndata: ${JSON.stringify({ agentId: 'reset', sessionId: 'ses_r', state: 'busy', activeTools: [] })}\n\n`);
    if (lastEventId === null) {
      RESET_BEFORE.forEach((e, i) => res.write(`id: ${i + 1}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`));
      const t = setTimeout(() => {
        timers.delete(t);
        req.socket.destroy(); // the first instance goes away
      }, 300);
      timers.add(t);
      return;
    }
    // the new instance cannot continue an id of the old one: reset, then its whole state
    res.write('event: reset\ndata: {}\n\n');
    RESET_AFTER.forEach((e, i) => res.write(`id: ${RESET_FIRST_NEW_ID + i}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`));
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/agents/reset/stream-ticket') {
      json(res, 201, { ticket: randomUUID(), expiresAt: new Date(Date.now() + 60_000).toISOString(), streamUrl: '/agents/reset/stream' });
    } else if (req.method === 'GET' && url.pathname === '/agents/reset/stream') {
      resetStream(req, res, url);
    } else if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else if (req.method === 'GET' && assets[url.pathname.slice(1)] !== undefined) {
      const type = url.pathname.endsWith('.css') ? 'text/css' : 'text/javascript';
      res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(assets[url.pathname.slice(1)]);
    } else if (req.method === 'GET' && url.pathname === '/agents') {
      json(res, 200, {
        agents: [
          { id: 'demo', sessionId: 'ses_1', state: exited ? 'exited' : 'busy', activeTools: [], viewers: 0, lastEventId: 13 },
          { id: 'long', sessionId: null, state: 'busy', activeTools: ['bash'], viewers: longStreams.size, lastEventId: longSeq },
          { id: 'reset', sessionId: 'ses_r', state: 'busy', activeTools: [], viewers: 0, lastEventId: RESET_FIRST_NEW_ID + 1 },
        ],
      });
    } else if (req.method === 'POST' && url.pathname === '/agents/demo/stream-ticket') {
      const ticket = randomUUID();
      tickets.set(ticket, false);
      state.ticketsIssued++;
      json(res, 201, { ticket, expiresAt: new Date(Date.now() + 60_000).toISOString(), streamUrl: '/agents/demo/stream' });
    } else if (req.method === 'GET' && url.pathname === '/agents/demo/stream') {
      stream(req, res, url);
    } else if (req.method === 'POST' && url.pathname === '/agents/long/stream-ticket') {
      json(res, 201, { ticket: randomUUID(), expiresAt: new Date(Date.now() + 60_000).toISOString(), streamUrl: '/agents/long/stream' });
    } else if (req.method === 'GET' && url.pathname === '/agents/long/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' });
      res.write(`event: status\ndata: ${JSON.stringify({ agentId: 'long', sessionId: null, state: 'busy', activeTools: [] })}\n\n`);
      for (let seq = 1; seq <= longSeq; seq++) res.write(longFrame(seq));
      longStreams.add(res);
      res.on('close', () => longStreams.delete(res));
    } else {
      json(res, 404, { error: { code: 'not_found', message: 'no such route' } });
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${port}`;
  let listening = true;
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  state.setDown = async (down) => {
    if (down) return stopListening();
    if (listening) return;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    listening = true;
  };
  state.close = () => {
    for (const t of timers) clearTimeout(t);
    return stopListening();
  };
  return state;
}
