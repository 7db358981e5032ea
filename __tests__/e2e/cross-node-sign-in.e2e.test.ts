// Issue 25, finding 5: dashboard sessions lived in one node's memory, so behind round robin a
// dashboard signed in on node 1 got 401 on node 2, and a restart signed everyone out. Now: two
// control servers sharing a real redis-server (agents and tickets, as docs/deploy.md runs them)
// behind a real nginx (round robin, no sticky sessions); one sign-in works on both nodes, through
// nginx, and after node 1 restarts; a node with another token refuses it (revocation).
import http from 'node:http';
import { createRedisAgentCluster } from '../../src/redis/create-redis-agent-cluster';
import { createRedisTicketStore } from '../../src/redis/create-redis-ticket-store';
import { connectRedis, type RedisConnection } from '../../src/redis/redis-connection';
import { createControlServer, type ControlServer } from '../../src/server/create-control-server';
import { createTokenAuth } from '../../src/server/create-token-auth';
import { startNginx, type Nginx } from '../helpers/nginx';
import { freePort, startRedisServer, type RedisServer } from '../helpers/redis-server';

jest.setTimeout(60_000);

const TOKEN = 'cluster-full-token-0123456789abcdef';

let redis: RedisServer | undefined;
let nginx: Nginx | undefined;
const nodes = new Map<string, { server: ControlServer; connection: RedisConnection; port: number }>();

async function startNode(name: string, port: number, token = TOKEN) {
  const connection = await connectRedis(redis!.url, () => undefined);
  const auth = createTokenAuth({ token });
  const server = createControlServer({
    port,
    cluster: createRedisAgentCluster({ redis: connection, nodeId: name }),
    tickets: createRedisTicketStore({ redis: connection }),
    authorize: auth.authorize,
    login: auth.login,
    identify: auth.identify,
  });
  await server.listen();
  nodes.set(name, { server, connection, port });
}
async function stopNode(name: string) {
  const n = nodes.get(name);
  nodes.delete(name);
  await n?.server.close();
  n?.connection.close();
}

beforeAll(async () => {
  redis = await startRedisServer();
  const [p1, p2] = [await freePort(), await freePort()];
  await Promise.all([startNode('node-1', p1), startNode('node-2', p2)]);
  nginx = await startNginx([`127.0.0.1:${p1}`, `127.0.0.1:${p2}`]);
});

afterAll(async () => {
  await nginx?.stop();
  for (const name of [...nodes.keys()]) await stopNode(name);
  await redis?.stop();
});

/** A request as the browser sends it: `Host` is the public name nginx passes on (`proxy_set_header Host $host`). */
function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { Host: '127.0.0.1', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}
const port = (name: string) => nodes.get(name)!.port;
const nginxPort = () => Number(new URL(nginx!.url).port);

describe('one sign-in, every node', () => {
  let cookie = '';

  it('signed in through nginx: the cookie works on node 1, node 2, and every round-robin turn', async () => {
    const login = await call(nginxPort(), 'POST', '/login', { 'Content-Type': 'application/json' }, JSON.stringify({ token: TOKEN }));
    expect(login.status).toBe(200);
    cookie = String(login.headers['set-cookie']?.[0]).split(';')[0]!;
    expect(cookie).toMatch(/^agent_stream_session=v1\./); // nginx passes Host without the port
    for (const name of ['node-1', 'node-2']) {
      expect([name, (await call(port(name), 'GET', '/agents', { Cookie: cookie })).status]).toEqual([name, 200]);
      expect([name, (await call(port(name), 'GET', '/agents')).status]).toEqual([name, 401]);
    }
    const turns: number[] = [];
    for (let i = 0; i < 10; i++) turns.push((await call(nginxPort(), 'GET', '/agents', { Cookie: cookie })).status);
    expect(turns).toEqual(Array(10).fill(200));
    // Past the `watch` check on the other node: the agent is unknown there (404), not the caller (401).
    const ticket = await call(port('node-2'), 'POST', '/agents/nobody/stream-ticket', { Cookie: cookie });
    expect(ticket.status).toBe(404);
  });

  it('node 1 restarts: the same cookie still works on it (nothing was kept in its memory)', async () => {
    const p1 = port('node-1');
    await stopNode('node-1');
    await startNode('node-1', p1);
    expect((await call(p1, 'GET', '/agents', { Cookie: cookie })).status).toBe(200);
    expect((await call(p1, 'POST', '/agents/nobody/disconnect-viewers', { Cookie: cookie })).status).toBe(404); // admin passed
    expect((await call(nginxPort(), 'GET', '/agents', { Cookie: cookie })).status).toBe(200);
  });

  it('a node restarted with a new token refuses every cookie signed before (revocation)', async () => {
    const p1 = port('node-1');
    await stopNode('node-1');
    await startNode('node-1', p1, `${TOKEN}-rotated`);
    expect((await call(p1, 'GET', '/agents', { Cookie: cookie })).status).toBe(401);
    expect((await call(port('node-2'), 'GET', '/agents', { Cookie: cookie })).status).toBe(200); // until it rotates too
  });
});
