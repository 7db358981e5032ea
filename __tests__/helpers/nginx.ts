import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server';

/** A real nginx (the Debian package; `.ci/run` installs it) on a free loopback port, round robin over `upstreams`. */
export interface Nginx {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The `nginx` block of docs/deploy.md (the upstreams, the `server` with its ticket location), so
 * the tests run exactly what the doc recommends.
 */
export function deployDocNginx(): string {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'deploy.md'), 'utf8');
  const blocks = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]!);
  if (blocks.length !== 1) throw new Error(`docs/deploy.md should hold one nginx block, found ${blocks.length}`);
  return blocks[0]!;
}

/**
 * docs/deploy.md's nginx configuration for `upstreams` (host:port) on `port` of 127.0.0.1: each
 * `upstream` block lists the test's nodes with the doc's parameters (e.g. `max_fails=0`), and
 * `listen 443 ssl` / `server_name` become a plain loopback listener.
 */
export function nginxHttpConfig(upstreams: string[], port: number): string {
  let conf = deployDocNginx().replace(/^(\s*)listen 443 ssl;\n\s*server_name [^;]+;$/m, `$1listen 127.0.0.1:${port};`);
  conf = conf.replace(/(upstream \S+ \{\n)((?:\s*server [^\n]+\n)+)/g, (_all, head: string, servers: string) => {
    const params = /^\s*server \S+?((?: [^;]+)?);/m.exec(servers)![1];
    return head + upstreams.map((u) => `  server ${u}${params};\n`).join('');
  });
  if (!conf.includes(`listen 127.0.0.1:${port};`) || upstreams.some((u) => !conf.includes(`server ${u}`))) {
    throw new Error(`could not adapt the nginx block of docs/deploy.md:\n${conf}`);
  }
  return conf;
}

/** Starts nginx in front of `upstreams` (host:port), no sticky sessions, configured as docs/deploy.md says. */
export async function startNginx(upstreams: string[]): Promise<Nginx> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
  chmodSync(dir, 0o777);
  const conf = `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${nginxHttpConfig(upstreams, port)}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  // Debian puts it in /usr/sbin, which is not on every PATH.
  const bin = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const child: ChildProcess = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const spawned = await new Promise<Error | null>((resolve) => {
    child.once('error', (e) => resolve(new Error(`nginx could not be started (is the Debian package nginx installed?): ${e.message}`)));
    child.once('spawn', () => resolve(null));
  });
  if (spawned) throw spawned;
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${err}`);
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}
