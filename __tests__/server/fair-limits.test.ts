// Issue 25, finding 6: watchers must not lock operators out. Eleven addresses × 20 tickets
// filled an agent's 200-ticket share (503 for the operator); 20 idle sockets from one address
// took every slot of --max-connections 20. Each attack is replayed from distinct loopback source
// addresses (127.0.0.x), with a control that shows the test fails without the fix.
import http from 'node:http';
import net from 'node:net';
import { createClientAddress } from '../../src/server/client-address';
import { createTokenAuth } from '../../src/server/create-token-auth';
import { createMemoryTicketStore } from '../../src/tickets/create-memory-ticket-store';
import type { ControlServerOptions } from '../../src/server/create-control-server';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';
import { startCli, type RunningCli } from '../helpers/run-cli';

jest.setTimeout(60_000);

const TOKEN = 'full-token-0123456789abcdef';
const WATCH = 'watch-token-0123456789abcdef';

let t: TestControlServer | undefined;
let cli: RunningCli | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  cli?.child.kill('SIGKILL');
  cli = undefined;
});

async function start(options: ControlServerOptions = {}) {
  const auth = createTokenAuth({ token: TOKEN, watchToken: WATCH, clientAddress: options.clientAddress });
  t = await startTestControlServer({ authorize: auth.authorize, ...options });
  return t;
}

/** POST a stream ticket for a1 from `localAddress`; the status. */
function ticket(base: string, token: string, localAddress: string, headers: Record<string, string> = {}): Promise<number> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/agents/a1/stream-ticket',
        localAddress,
        agent: false,
        headers: { Authorization: `Bearer ${token}`, ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {});

/** 11 watchers at 127.0.0.51…61, 20 tickets each (never used), then the operator at 127.0.0.62. */
async function flood(base: string) {
  const watchers = await Promise.all(
    Array.from({ length: 11 }, async (_, i) => {
      const got: number[] = [];
      for (let n = 0; n < 20; n++) got.push(await ticket(base, WATCH, `127.0.0.${51 + i}`));
      return got;
    }),
  );
  return { watchers: watchers.map(tally), operator: await ticket(base, TOKEN, '127.0.0.62') };
}

describe("a client's share of the tickets", () => {
  it('11 addresses × 20 unused tickets: each gets its 10, the agent keeps room, the operator gets a ticket', async () => {
    const s = await start();
    const { watchers, operator } = await flood(s.url);
    expect(watchers).toEqual(Array(11).fill({ 201: 10, 429: 10 }));
    expect(operator).toBe(201);
  });

  it('control: without the per-client share (one as large as the agent’s), the same flood locks the operator out', async () => {
    const s = await start({ tickets: createMemoryTicketStore({ capacityPerClient: 200 }) });
    const { watchers, operator } = await flood(s.url);
    expect(watchers.reduce((n, w) => n + (w[201] ?? 0), 0)).toBe(200);
    expect(operator).toBe(503);
  });

  it('behind a trusted proxy the share is per client the proxy names (X-Forwarded-For), not one for the proxy', async () => {
    const s = await start({ clientAddress: createClientAddress(['127.0.0.1']) });
    const via = (client: string) => ticket(s.url, WATCH, '127.0.0.1', { 'X-Forwarded-For': client });
    const first: number[] = [];
    for (let n = 0; n < 12; n++) first.push(await via('198.51.100.1'));
    expect(tally(first)).toEqual({ 201: 10, 429: 2 });
    expect(await via('198.51.100.2')).toBe(201);
    // A direct client cannot pick its address: its header is ignored, its own share applies.
    const direct: number[] = [];
    for (let n = 0; n < 12; n++) direct.push(await ticket(s.url, WATCH, '127.0.0.63', { 'X-Forwarded-For': `203.0.113.${n}` }));
    expect(tally(direct)).toEqual({ 201: 10, 429: 2 });
  });
});

describe('connections per address', () => {
  const HOST = '127.0.0.14';

  /**
   * Opens `n` idle sockets from `localAddress`; resolves once every one connected and none has
   * been closed for a second (the server cuts the ones over the cap as they are accepted).
   */
  async function idleSockets(port: number, localAddress: string, n: number) {
    let connected = 0;
    let changedAt = Date.now();
    const sockets = Array.from({ length: n }, () => {
      const s = net.connect({ host: HOST, port, localAddress });
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.once('connect', () => connected++);
      s.once('close', () => (changedAt = Date.now()));
      return s;
    });
    const deadline = Date.now() + 8000; // below the 10 s header timeout, which cuts them all
    while ((connected < n || Date.now() - changedAt < 1000) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return {
      open: sockets.filter((s) => !s.destroyed && s.readyState === 'open').length,
      close: () => sockets.forEach((s) => s.destroy()),
    };
  }
  const healthz = (port: number, localAddress: string) =>
    new Promise<number>((resolve) => {
      const req = http.get({ host: HOST, port, path: '/healthz', localAddress, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', () => resolve(0));
      req.setTimeout(3000, () => req.destroy(new Error('no answer in 3 s')));
    });

  it('20 idle sockets from one address take half of --max-connections 20; another address is still served', async () => {
    cli = await startCli(['serve', '--host', HOST, '--port', '0', '--max-connections', '20']);
    const port = Number(new URL(cli.url).port);
    const idle = await idleSockets(port, '127.0.0.71', 20);
    try {
      expect(idle.open).toBe(10);
      expect(await healthz(port, '127.0.0.72')).toBe(200);
      expect(await healthz(port, '127.0.0.71')).toBe(0); // its own share is used up
    } finally {
      idle.close();
    }
  });

  it('control: with a per-address cap as large as the total, the same sockets lock the other address out', async () => {
    cli = await startCli(['serve', '--host', HOST, '--port', '0', '--max-connections', '20', '--max-connections-per-address', '20']);
    const port = Number(new URL(cli.url).port);
    const idle = await idleSockets(port, '127.0.0.71', 20);
    try {
      expect(idle.open).toBe(20);
      expect(await healthz(port, '127.0.0.72')).not.toBe(200);
    } finally {
      idle.close();
    }
  });

  it('a trusted proxy is not counted (it carries everyone’s connections); a direct peer is', async () => {
    t = await startTestControlServer({ host: HOST, maxConnectionsPerAddress: 2, trustedProxies: ['127.0.0.81'] });
    const port = Number(new URL(t.url).port);
    const proxy = await idleSockets(port, '127.0.0.81', 5);
    const direct = await idleSockets(port, '127.0.0.82', 5);
    try {
      expect([proxy.open, direct.open]).toEqual([5, 2]);
    } finally {
      proxy.close();
      direct.close();
    }
  });
});
