// Redis AUTH (requirepass and an ACL user), the documented ACL, and TLS, against real
// redis-server processes: credentials and TLS reach every connection of a node (the blocking
// readers and the subscriber are duplicates), and a refusal is a typed error at once, not a hang.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';
import { createRedisAgentCluster } from '../../src/redis/create-redis-agent-cluster';
import { createRedisTicketStore } from '../../src/redis/create-redis-ticket-store';
import { command, connectRedis, RedisConnectError, type RedisConnection } from '../../src/redis/redis-connection';
import type { UpstreamFactory } from '../../src/server/agent-cluster';
import { TicketCapacityError } from '../../src/tickets/ticket-store';
import { documentedAclUser } from '../helpers/redis-acl';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { status, textPart } from '../helpers/kilo-builders';
import { waitUntil as until } from '../helpers/wait-until';

jest.setTimeout(60_000);

const ADMIN = 'admin-secret-1';
const KILO = 'http://127.0.0.1:9';
const servers: RedisServer[] = [];
const clients: RedisConnection[] = [];
const dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

const start = async (options: Parameters<typeof startRedisServer>[0]) => {
  const s = await startRedisServer(options);
  servers.push(s);
  return s;
};
const withAuth = (url: string, user: string, password: string) =>
  url.replace('://', `://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`);
const connect = async (url: string, errors: string[] = [], tls?: { ca: Buffer }) => {
  const c = await connectRedis(url, (e) => errors.push(e.message), tls ? { tls } : {});
  clients.push(c);
  return c;
};
/** The time a refused connect took, and its error. */
const refused = async (url: string, tls?: { ca: Buffer }) => {
  const started = Date.now();
  const err = await connectRedis(url, () => undefined, tls ? { tls } : {}).then(
    (c) => (c.destroy(), undefined),
    (e: unknown) => e,
  );
  return { err, ms: Date.now() - started };
};

/**
 * Two cluster nodes over `url` (their own connections), one agent attached on the first, a fake
 * upstream: the events reach the other node's replica (its blocking reader, a duplicate), the
 * owner writes snapshots and trims, claims and tickets work across nodes, a stop from the node
 * that does not own it goes through pub/sub (the subscriber, a duplicate), the exit expires keys.
 */
async function clusterScenario(url: string, errors: string[], tls?: { ca: Buffer }) {
  const source = new Subject<KiloEvent>();
  const upstream: UpstreamFactory = (record, firstId) => createManagedAgent({ agentId: record.id, events: source, firstId });
  const logger = { info: () => undefined, warn: (m: string, e?: unknown) => errors.push(`${m} ${String(e)}`), error: () => undefined };
  const opts = { allowKiloUrls: [KILO], pollMs: 100, leaseMs: 3000, snapshotMs: 100, logger };
  const [ra, rb] = [await connect(url, errors, tls), await connect(url, errors, tls)];
  const a = createRedisAgentCluster({ redis: ra, nodeId: 'a', ...opts });
  const b = createRedisAgentCluster({ redis: rb, nodeId: 'b', ...opts });
  a.start(upstream);
  b.start(upstream);
  try {
    await a.attach({ id: 'x1', url: KILO });
    await until('an owner', () => a.owns('x1') || b.owns('x1'), 10_000);
    source.next(status('busy'));
    for (let i = 0; i < 200; i++) source.next(textPart('prt_1', `text ${i}`));
    await until('both replicas at the last event', () => {
      const [ra, rb] = [a.registry.get('x1'), b.registry.get('x1')];
      return (
        !!ra && !!rb && ra.history.latestSeq > 0 && ra.history.latestSeq === rb.history.latestSeq && rb.history.since().events.length > 1
      );
    });
    // The owner snapshots and trims the stream behind the previous snapshot while events go on.
    const firstEntry = async () =>
      Number(
        /"(\d+)-0"/.exec(JSON.stringify(await command(ra, ['XREAD', 'COUNT', 1, 'STREAMS', 'agent-stream:agent:x1:events', '0-0'])))?.[1],
      );
    const before = await firstEntry();
    let i = 0;
    await until('the stream trimmed', async () => {
      source.next(textPart('prt_1', `more ${i++}`));
      return (await firstEntry()) > before;
    });
    expect(await a.claims.claim('x1', 'per_1')).toBe(true);
    expect(await b.claims.claim('x1', 'per_1')).toBe(false);
    await a.claims.release('x1', 'per_1');
    expect(await b.claims.claim('x1', 'per_1')).toBe(true);
    // An action recorded on the node that does not own the agent goes through the command stream.
    const other = a.owns('x1') ? b : a;
    other.registry.get('x1')!.record({ kind: 'prompt', by: 'acl', at: new Date().toISOString(), text: 'through the stream' });
    await until('the action on both replicas', () =>
      [a, b].every((n) =>
        n.registry
          .get('x1')!
          .history.since()
          .events.some((e) => e.type === 'action' && e.data.text === 'through the stream'),
      ),
    );
    // Viewer counts: each node's in its own key, summed by both.
    a.viewers.publish(() => new Map([['x1', 2]]));
    b.viewers.publish(() => new Map([['x1', 3]]));
    await until('both count both', () => a.viewers.count('x1') === 5 && b.viewers.count('x1') === 5);
    // Tickets: the scripts issue on one node, consume on the other.
    const [ta, tb] = [createRedisTicketStore({ redis: ra }), createRedisTicketStore({ redis: rb })];
    const { ticket } = await ta.issue('x1');
    expect(await tb.outstanding()).toBe(1);
    expect(await tb.consume(ticket)).toEqual({ ok: true, agentId: 'x1' });
    expect(await ta.consume(ticket)).toEqual({ ok: false, reason: 'unknown' });
    const capped = createRedisTicketStore({ redis: ra, capacity: 1, prefix: 'agent-stream:capped:' });
    await capped.issue('x1');
    await expect(capped.issue('x1')).rejects.toBeInstanceOf(TicketCapacityError);
    (a.owns('x1') ? b : a).registry.get('x1')!.stop('stopped');
    await until('exit on both', () => !!a.registry.get('x1')?.exited && !!b.registry.get('x1')?.exited, 10_000);
    expect(b.registry.get('x1')!.exited).toEqual({ reason: 'stopped' });
  } finally {
    await a.close();
    await b.close();
  }
}

describe('Redis AUTH', () => {
  it('requirepass: the password in the URL authenticates every connection; a wrong or missing one is RedisConnectError at once', async () => {
    const s = await start({ args: ['--requirepass', ADMIN] });
    const errors: string[] = [];
    await clusterScenario(withAuth(s.url, '', ADMIN), errors);
    expect(errors.filter((e) => /NOAUTH|WRONGPASS|NOPERM/.test(e))).toEqual([]);

    for (const url of [withAuth(s.url, 'default', 'wrong-password'), s.url]) {
      const { err, ms } = await refused(url);
      expect(err).toBeInstanceOf(RedisConnectError);
      expect(err).toMatchObject({
        code: 'redis_auth',
        message: expect.stringMatching(/^redis refused the credentials: (WRONGPASS|NOAUTH)/),
      });
      expect((err as Error).message).not.toContain('wrong-password');
      // One round trip, not node-redis's endless retry: well under its first 2 s backoff cap, even loaded.
      expect(ms).toBeLessThan(2000);
    }
  });

  it('the ACL user of docs/deploy.md runs the cluster scenario (no NOPERM) and can touch nothing else', async () => {
    const s = await start({ args: ['--requirepass', ADMIN] });
    const admin = await connect(withAuth(s.url, 'default', ADMIN));
    const acl = documentedAclUser('user-secret-1');
    expect(await command(admin, ['ACL', 'SETUSER', ...acl.args])).toBe('OK');
    const url = withAuth(s.url, acl.user, 'user-secret-1');
    // The cluster's keys are under the default prefix, the one the documented ACL names.
    const errors: string[] = [];
    await clusterScenario(url, errors);
    expect(errors.filter((e) => /NOPERM|NOAUTH|WRONGPASS/.test(e))).toEqual([]);

    const user = await connect(url);
    await expect(command(user, ['GET', 'other:key'])).rejects.toThrow(/NOPERM/);
    await expect(command(user, ['FLUSHALL'])).rejects.toThrow(/NOPERM/);
    await expect(command(user, ['KEYS', '*'])).rejects.toThrow(/NOPERM/);
    await expect(command(user, ['PUBLISH', 'other-channel', 'x'])).rejects.toThrow(/NOPERM/);
    const wrong = await refused(withAuth(s.url, acl.user, 'not-it'));
    expect(wrong.err).toMatchObject({ name: 'RedisConnectError', code: 'redis_auth' });
  });

  it('the CLI with a wrong password exits 1 at once, saying so, without printing the password', async () => {
    const s = await start({ args: ['--requirepass', ADMIN] });
    const cli = spawn(
      process.execPath,
      [
        join(__dirname, '..', '..', 'bin', 'agent-stream.js'),
        'serve',
        '--port',
        '0',
        '--kilo-url',
        KILO,
        '--redis-url',
        withAuth(s.url, '', 'guessed-secret'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    cli.stderr.on('data', (d) => (stderr += d));
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => cli.kill('SIGKILL'), 20_000);
      cli.once('exit', (c) => (clearTimeout(t), resolve(c)));
    });
    expect({ code, stderr }).toEqual({
      code: 1,
      stderr: expect.stringMatching(/^agent-stream: redis refused the credentials: WRONGPASS/m),
    });
    expect(stderr).not.toContain('guessed-secret');
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('Redis over TLS (rediss://)', () => {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  beforeAll(() => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
  });

  it('with the CA and a password: the cluster scenario runs over TLS on every connection; without the CA, RedisConnectError redis_tls', async () => {
    const s = await start({ tls: { certFile, keyFile }, args: ['--requirepass', ADMIN] });
    expect(s.url).toMatch(/^rediss:/);
    const ca = readFileSync(certFile);
    const url = withAuth(s.url, '', ADMIN);
    const errors: string[] = [];
    await clusterScenario(url, errors, { ca });
    expect(errors.filter((e) => /TLS|CERT|certificate|NOAUTH/i.test(e))).toEqual([]);
    // Every client of the scenario (2 nodes: commands, subscriber, one reader each) went over TLS:
    // the server only listens for TLS.
    const admin = await connect(url, [], { ca });
    const port = (await command(admin, ['CONFIG', 'GET', 'port'])) as unknown as string[] | Record<string, string>;
    expect(Array.isArray(port) ? port[1] : port.port).toBe('0');

    const { err, ms } = await refused(url);
    expect(err).toBeInstanceOf(RedisConnectError);
    expect(err).toMatchObject({ code: 'redis_tls' });
    expect(ms).toBeLessThan(2000);
    await expect(connectRedis(s.url.replace('rediss:', 'redis:'), () => undefined, { tls: { ca } })).rejects.toThrow(TypeError);
  });
});
