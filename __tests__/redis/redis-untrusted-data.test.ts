// Redis is shared, so what it holds is not trusted (docs/security.md): two control servers sharing
// a real redis-server, a fake kilo served over HTTP, real SSE viewers; an attacker writes to Redis
// directly. Each attack's entry is skipped, reported and counted, and everything else goes on.
import { createServer, type Server, type Socket } from 'node:net';
import { createFakeKiloServer, type FakeKiloServer } from '../../src/testing/create-fake-kilo-server';
import { createRedisAgentCluster } from '../../src/redis/create-redis-agent-cluster';
import { createRedisDiagnostics, type RedisInvalidEntry } from '../../src/redis/create-redis-diagnostics';
import { createRedisTicketStore } from '../../src/redis/create-redis-ticket-store';
import { command, connectRedis } from '../../src/redis/redis-connection';
import { redisKeys } from '../../src/redis/redis-keys';
import { createControlServer } from '../../src/server/create-control-server';
import { fileEdited, status, textPart } from '../helpers/kilo-builders';
import { openSse, ticketFor, type RawSseViewer } from '../helpers/sse-client';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(60_000);

let redisServer: RedisServer;
let kilo: FakeKiloServer;
const open: { close(): Promise<unknown> | void }[] = [];
let n = 0;

beforeAll(async () => {
  redisServer = await startRedisServer();
  kilo = await createFakeKiloServer();
});
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});
afterAll(async () => {
  await kilo.close();
  await redisServer.stop();
});

interface Node {
  url: string;
  diagnostics: RedisInvalidEntry[];
  cluster: ReturnType<typeof createRedisAgentCluster>;
}

/** Two nodes of one deployment (prefix of their own), both configured for the fake kilo only. */
async function deployment() {
  const prefix = `u${++n}:`;
  const keys = redisKeys(prefix);
  const admin = await connectRedis(redisServer.url, () => undefined);
  open.push({ close: () => admin.destroy() });
  const node = async (nodeId: string): Promise<Node> => {
    const redis = await connectRedis(redisServer.url, () => undefined);
    const seen: RedisInvalidEntry[] = [];
    const diagnostics = createRedisDiagnostics({ onDiagnostic: (d) => seen.push(d) });
    const cluster = createRedisAgentCluster({
      redis,
      prefix,
      nodeId,
      pollMs: 100,
      leaseMs: 3000,
      snapshotMs: 200,
      diagnostics,
      allowKiloUrls: [kilo.url],
    });
    const server = createControlServer({
      port: 0,
      cluster,
      tickets: createRedisTicketStore({ redis, prefix, diagnostics }),
      ticketRate: false,
    });
    const { url } = await server.listen();
    open.push({ close: () => server.close().then(() => redis.destroy()) });
    return { url, diagnostics: seen, cluster };
  };
  const a = await node('a');
  const b = await node('b');
  return { a, b, keys, admin };
}

const agentIds = async (node: Node) => {
  const body = (await (await fetch(`${node.url}/agents`)).json()) as { agents: { id: string }[] };
  return body.agents.map((x) => x.id).sort();
};
const metric = async (node: Node, kind: string) => {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const m = new RegExp(`^agent_stream_redis_invalid_entries_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};
const texts = (v: RawSseViewer) => v.events().flatMap((f) => (f.event === 'text' ? [(JSON.parse(f.data!) as { text?: string }).text] : []));
const viewer = async (node: Node, agentId: string) => {
  const v = await openSse(await ticketFor(node.url, agentId));
  open.push({ close: () => v.close() });
  return v;
};

describe('Redis data is validated, never trusted', () => {
  it('an event whose type holds a line break, XADDed to the stream, is skipped: viewers on every node keep streaming', async () => {
    const { a, b, keys, admin } = await deployment();
    await a.cluster.attach({ id: 'a1', url: kilo.url });
    await until('node b to serve a1', async () => (await agentIds(b)).includes('a1'));
    await kilo.waitForClients(1);
    kilo.send(status('busy'));
    kilo.send(textPart('prt_1', 'before'));
    const viewers = [await viewer(a, 'a1'), await viewer(b, 'a1')];
    for (const v of viewers) await v.waitFor(() => texts(v).includes('before'), 10_000, 'before');

    // The attack: the next id of the stream, an event whose type ends an SSE field.
    const [[last]] = (await command(admin, ['XREVRANGE', keys.events('a1'), '+', '-', 'COUNT', 1])) as [[string]];
    const seq = Number.parseInt(last, 10) + 1;
    const evil = {
      type: 'status\nevent: text\ndata: {"text":"pwned"}',
      data: { agentId: 'a1', sessionId: null, state: 'idle', activeTools: [] },
    };
    await command(admin, ['XADD', keys.events('a1'), `${seq}-0`, 'e', JSON.stringify(evil), 'p', String(seq - 1)]);
    // The owner's next event has that id: Redis refuses it (an attacker can always cost an event).
    kilo.send(fileEdited('/lost'));
    kilo.send(textPart('prt_1', 'after'));
    for (const v of viewers) await v.waitFor(() => texts(v).includes('after'), 10_000, 'after');

    for (const v of viewers) {
      expect(v.ended).toBe(false);
      expect(v.body).not.toContain('pwned');
      expect(v.events().map((f) => f.event)).not.toContain('exit');
    }
    // A viewer joining later gets the history without it.
    const late = await viewer(b, 'a1');
    await late.waitFor(() => texts(late).includes('after'), 10_000, 'history');
    expect(late.body).not.toContain('pwned');
    for (const node of [a, b]) {
      expect(node.diagnostics).toContainEqual({
        type: 'redis_invalid',
        kind: 'event',
        key: `${keys.events('a1')} ${seq}-0`,
        issue: 'e.type: not one of the allowed values',
      });
      expect(await metric(node, 'event')).toBe(1);
    }
  });

  it('an unparsable record in the agents set: the sync loop goes on, other agents are unaffected, the lease is renewed', async () => {
    const { a, b, keys, admin } = await deployment();
    await a.cluster.attach({ id: 'a1', url: kilo.url });
    await until('an owner', () => a.cluster.owns('a1') || b.cluster.owns('a1'));
    const owner = a.cluster.owns('a1') ? 'a' : 'b';

    // Records first, then the set: an id without a record would be swept from the set by the loop.
    await command(admin, ['SET', keys.record('bad-json'), '{"id":"bad-json",']);
    await command(admin, ['SET', keys.record('bad-shape'), JSON.stringify({ id: 'bad-shape', url: kilo.url, firstId: 'soon' })]);
    await command(admin, ['SET', keys.record('zz-wrong-id'), JSON.stringify({ id: 'a1', url: kilo.url, firstId: 1 })]);
    await command(admin, ['SADD', keys.agents, 'bad-json', 'bad-shape', 'zz-wrong-id']);
    // The loop goes on: an agent attached after them reaches the other node.
    await a.cluster.attach({ id: 'a2', url: kilo.url });
    await until('node b to serve a2', async () => (await agentIds(b)).includes('a2'), 10_000);
    expect(await agentIds(a)).toEqual(['a1', 'a2']);
    expect(await agentIds(b)).toEqual(['a1', 'a2']);

    // The lease of a1 outlives its time by far: renewed by the same owner, with the same epoch (`<epoch>:<node>`).
    const token = await command(admin, ['GET', keys.lease('a1')]);
    expect(token).toMatch(new RegExp(`^\\d+:${owner}$`));
    const started = Date.now();
    while (Date.now() - started < 4000) {
      expect(await command(admin, ['GET', keys.lease('a1')])).toBe(token);
      expect(Number(await command(admin, ['PTTL', keys.lease('a1')]))).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const node of [a, b]) {
      // Read every 100 ms, reported once each.
      expect(
        node.diagnostics
          .filter((d) => d.kind === 'record')
          .map((d) => d.key)
          .sort(),
      ).toEqual([keys.record('bad-json'), keys.record('bad-shape'), keys.record('zz-wrong-id')].sort());
      expect(await metric(node, 'record')).toBe(3);
    }
  });

  it("a planted record naming another host: no node connects to it (nor sends kilo's password); it is reported", async () => {
    // The attacker's host: 127.0.0.2 (another loopback address), recording every connection.
    const received: string[] = [];
    const sockets = new Set<Socket>();
    const trap: Server = createServer((s) => {
      sockets.add(s);
      received.push('');
      s.on('data', (d) => (received[received.length - 1] += d.toString()));
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.2', r));
    open.push({
      close: () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy();
          trap.close(r);
        }),
    });
    const evilUrl = `http://127.0.0.2:${(trap.address() as { port: number }).port}`;

    const { a, b, keys, admin } = await deployment();
    await a.cluster.attach({ id: 'a1', url: kilo.url, password: 'kilo-secret' });
    await until('node b to serve a1', async () => (await agentIds(b)).includes('a1'));
    // A new agent at the attacker's host, and a1's record pointed there (its password kept).
    const record = JSON.parse((await command(admin, ['GET', keys.record('a1')])) as string) as Record<string, unknown>;
    await command(admin, ['SET', keys.record('evil'), JSON.stringify({ id: 'evil', url: evilUrl, password: 'kilo-secret', firstId: 1 })]);
    await command(admin, ['SADD', keys.agents, 'evil']);
    await command(admin, ['SET', keys.record('a1'), JSON.stringify({ ...record, url: `${evilUrl}/` })]);
    await until(
      'both nodes to report both',
      () => [a, b].every((node) => node.diagnostics.filter((d) => d.kind === 'kilo_url').length === 2),
      10_000,
    );
    // Leases and stops handled meanwhile: a takeover of a1 would start from the record read.
    await command(admin, ['DEL', keys.lease('a1')]);
    await until('a1 taken again', async () => (await command(admin, ['GET', keys.lease('a1')])) !== null);
    await new Promise((r) => setTimeout(r, 1500));

    expect(received).toEqual([]);
    for (const node of [a, b]) {
      expect(await agentIds(node)).toEqual(['a1']);
      expect(
        node.diagnostics
          .filter((d) => d.kind === 'kilo_url')
          .map((d) => d.key)
          .sort(),
      ).toEqual([keys.record('a1'), keys.record('evil')]);
      expect(await metric(node, 'kilo_url')).toBe(2);
      expect(
        (
          await fetch(`${node.url}/agents/evil/prompt`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"prompt":"hi"}',
          })
        ).status,
      ).toBe(404);
    }
  });

  it('an agent id holding CR LF and <script> is not listed by GET /agents', async () => {
    const { a, b, keys, admin } = await deployment();
    await a.cluster.attach({ id: 'a1', url: kilo.url });
    const id = 'x\r\n<script>alert(1)</script>';
    await command(admin, ['SET', keys.record(id), JSON.stringify({ id, url: kilo.url, firstId: 1 })]);
    await command(admin, ['SADD', keys.agents, id]);
    await until('both nodes to report it', () => [a, b].every((node) => node.diagnostics.some((d) => d.kind === 'record')), 10_000);
    for (const node of [a, b]) {
      const res = await fetch(`${node.url}/agents`);
      const body = await res.text();
      expect(body).not.toContain('<script>');
      expect(body).not.toContain('\\r\\n');
      expect(await agentIds(node)).toEqual(['a1']);
      expect(node.diagnostics.filter((d) => d.kind === 'record')).toEqual([
        { type: 'redis_invalid', kind: 'record', key: `${keys.agents}[${id}]`, issue: 'a member that is not an agent id' },
      ]);
    }
  });
});
