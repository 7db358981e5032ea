// docs/deploy.md's nginx configuration (read from the doc by the helper), run by a real nginx in
// front of three stand-in nodes: ticket requests (both routes) go on to the next node when one is
// dead or answers 502/503; nothing else that is not idempotent is ever sent twice; and nodes
// answering tickets with 503 (Redis unreachable) never take the whole upstream down.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startNginx, type Nginx } from '../helpers/nginx';

jest.setTimeout(60_000);

interface StandIn {
  readonly host: string;
  /** Requests it received, `METHOD path`. */
  readonly seen: string[];
  /** What it answers to a ticket request: 201, or a status to refuse with. */
  ticketStatus: number;
  /** What it answers to any other POST: 202, or a status to refuse with. */
  postStatus: number;
  close(): Promise<void>;
}

async function standIn(name: string, address: string): Promise<StandIn> {
  const seen: string[] = [];
  const node = {
    seen,
    ticketStatus: 201,
    postStatus: 202,
  };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      if (req.url?.endsWith('stream-ticket')) {
        if (node.ticketStatus !== 201) {
          return json(node.ticketStatus, { error: { code: 'store_unavailable', message: name } }, { 'retry-after': '2' });
        }
        return json(201, { ticket: `${name}-${seen.length}`, streamUrl: '/agents/a1/stream' });
      }
      json(req.method === 'POST' ? node.postStatus : 200, { node: name });
    });
  });
  await new Promise<void>((r) => server.listen(0, address, r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(node, {
    host: `${address}:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

const post = async (url: string, body?: unknown) => {
  const r = await fetch(url, {
    method: 'POST',
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, text: await r.text(), retryAfter: r.headers.get('retry-after') };
};

describe('nginx as docs/deploy.md configures it', () => {
  let nodes: StandIn[];
  let nginx: Nginx;

  beforeEach(async () => {
    nodes = await Promise.all([standIn('n1', '127.0.0.31'), standIn('n2', '127.0.0.32'), standIn('n3', '127.0.0.33')]);
    nginx = await startNginx(nodes.map((n) => n.host));
  });
  afterEach(async () => {
    await nginx?.stop();
    await Promise.all(nodes.map((n) => n.close()));
  });

  it('a dead node: every ticket request, per agent and multiplexed, is answered by a live one; a prompt is never sent twice', async () => {
    await nodes[1]!.close(); // refused connections from now on
    for (let i = 0; i < 30; i++) {
      const one = await post(`${nginx.url}/agents/a1/stream-ticket`);
      expect(one.status).toBe(201);
      const many = await post(`${nginx.url}/stream-ticket`, { agents: ['a1', 'a2'] });
      expect(many.status).toBe(201);
    }
    const tickets = nodes.flatMap((n) => n.seen.filter((s) => s.endsWith('stream-ticket')));
    expect(tickets).toHaveLength(60);
    expect(nodes[1]!.seen).toHaveLength(0);

    // Anything else that is not idempotent is sent once: a prompt refused by a node is not retried.
    nodes[0]!.postStatus = 503;
    for (const n of nodes) n.seen.length = 0;
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await post(`${nginx.url}/agents/a1/prompt`, { text: `p${i}` })).status);
    const prompts = nodes.flatMap((n) => n.seen.filter((s) => s.endsWith('/prompt')));
    expect(prompts.length).toBe(statuses.filter((s) => s !== 502).length); // one node each
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(5);
    expect(statuses.every((s) => s === 202 || s === 503 || s === 502)).toBe(true);
  });

  it('a node answering 502 or 503 to tickets is skipped for that request; when every node answers 503, the client gets it with Retry-After', async () => {
    nodes[0]!.ticketStatus = 503;
    nodes[1]!.ticketStatus = 502;
    for (let i = 0; i < 12; i++) {
      const r = await post(`${nginx.url}/agents/a1/stream-ticket`);
      expect(r.status).toBe(201);
      expect(JSON.parse(r.text).ticket).toMatch(/^n3-/);
    }
    nodes[1]!.ticketStatus = 503;
    nodes[2]!.ticketStatus = 503;
    const refused = await post(`${nginx.url}/agents/a1/stream-ticket`);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('2');
    expect(nodes.every((n) => n.seen.some((s) => s === 'POST /agents/a1/stream-ticket'))).toBe(true);
  });

  it('nodes refusing tickets (Redis unreachable) are not taken out of the upstream: streams and everything else still reach them', async () => {
    for (const n of nodes) n.ticketStatus = 503;
    for (let i = 0; i < 6; i++) expect((await post(`${nginx.url}/agents/a1/stream-ticket`)).status).toBe(503);
    for (const n of nodes) n.seen.length = 0;
    for (let i = 0; i < 9; i++) {
      const r = await fetch(`${nginx.url}/agents/a1/stream?ticket=t`);
      expect(r.status).toBe(200);
      await r.text();
    }
    expect(nodes.map((n) => n.seen.length)).toEqual([3, 3, 3]); // round robin over all three, none marked down
    for (const n of nodes) n.ticketStatus = 201;
    expect((await post(`${nginx.url}/agents/a1/stream-ticket`)).status).toBe(201);
  });
});
