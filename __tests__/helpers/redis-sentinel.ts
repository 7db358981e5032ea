import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './redis-server';

/** A real `redis-sentinel` (Debian package) on a free loopback port, watching one master. */
export interface RedisSentinel {
  readonly port: number;
  /** What it has logged so far (`+switch-master …` once it promoted a replica). */
  log(): string;
  stop(): Promise<void>;
}

export interface RedisSentinelOptions {
  /** Where its config file goes (Sentinel rewrites it). */
  dir: string;
  masterName: string;
  masterPort: number;
  /** How many sentinels must agree the master is down. Default 2. */
  quorum?: number;
  /** `down-after-milliseconds`. Default 1000. */
  downAfterMs?: number;
  /** `failover-timeout`. Default 3000. */
  failoverTimeoutMs?: number;
}

/** Starts `redis-sentinel` with short timeouts (a test's failover takes a few seconds). */
export async function startRedisSentinel(options: RedisSentinelOptions): Promise<RedisSentinel> {
  const port = await freePort();
  const conf = join(options.dir, `sentinel-${port}.conf`);
  const name = options.masterName;
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `sentinel monitor ${name} 127.0.0.1 ${options.masterPort} ${options.quorum ?? 2}`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3000}`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  );
  let out = '';
  const child: ChildProcess = spawn('redis-sentinel', [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis-sentinel did not start: ${out}`)), 10_000);
    child.once('error', (err) => {
      clearTimeout(t);
      reject(new Error(`redis-sentinel could not be started (is the Debian package redis-sentinel installed?): ${err.message}`));
    });
    const read = (d: Buffer) => {
      out += d;
      if (/\+monitor master/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
  });
  return {
    port,
    log: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
