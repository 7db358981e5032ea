import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real redis-server on a free loopback port, without persistence (a restart loses everything). */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGKILL: a crash, nothing saved). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServerOptions {
  /** More arguments, e.g. `['--requirepass', 'secret']`. */
  args?: string[];
  /** Serve TLS only (`--tls-port`, plain port off) with this certificate and key (PEM files); the URL is `rediss://`. */
  tls?: { certFile: string; keyFile: string };
}

/** Starts `redis-server` (the Debian package; `.ci/run` installs it) on a free port of 127.0.0.1. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  // Its own working directory: a replica's full sync writes dump.rdb there even with --save '',
  // and a server started later in the same directory would load it (old data in a fresh server).
  const dir = mkdtempSync(join(tmpdir(), 'redis-server-'));
  const listen = options.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile]
    : ['--port', String(port)];
  listen.push('--dir', dir);
  if (options.tls) listen.push('--tls-auth-clients', 'no');
  let child: ChildProcess | undefined;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn('redis-server', [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(options.args ?? [])], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = c;
      let out = '';
      const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      c.once('error', (err) => {
        clearTimeout(t);
        reject(new Error(`redis-server could not be started (is the Debian package redis-server installed?): ${err.message}`));
      });
      c.stdout!.on('data', (d: Buffer) => {
        out += d;
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
  await start();
  return {
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    port,
    start,
    stop: () =>
      new Promise<void>((resolve) => {
        const c = child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      }),
  };
}
