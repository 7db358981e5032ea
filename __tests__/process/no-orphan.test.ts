import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnWithWatchdog } from '../../src/kilo/spawn-with-watchdog';
import { isAlive, waitGone } from './process-helpers';

const ROOT = join(__dirname, '..', '..');

/** Reads the first JSON line a child prints on stdout. */
function firstJsonLine(child: ChildProcess, timeoutMs: number): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no line within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.slice(0, nl)));
      } catch (e) {
        reject(e);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited ${code}; stderr: ${err}`));
    });
  });
}

describe('no orphans', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });
  const killLater = (pid: number) =>
    cleanup.push(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    });

  it('kills the kilo process when the process that launched it is SIGKILLed', async () => {
    // A separate Node process (the "control server") launches the real kilo, then is SIGKILLed.
    const script = `
      const { launchKilo } = require('./src/kilo/launch-kilo');
      launchKilo({ orphanGraceMs: 1000 }).then((k) => {
        process.stdout.write(JSON.stringify({ pid: k.pid, tempDir: k.tempDir }) + '\\n');
        setInterval(() => {}, 1000);
      }, (e) => { console.error(e); process.exit(3); });`;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    killLater(child.pid!);
    const { pid, tempDir } = await firstJsonLine(child, 25_000);
    killLater(pid);
    cleanup.push(() => rmSync(tempDir, { recursive: true, force: true }));
    expect(isAlive(pid)).toBe(true);

    const exited = new Promise((r) => child.on('exit', r));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    expect(await waitGone(pid, 5000)).toBe(true);
    // The watchdog also removed the private temp dir, since nobody else was left to.
    const deadline = Date.now() + 2000;
    while (existsSync(tempDir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(tempDir)).toBe(false);
  }, 40_000);

  it('kills the target when the watchdog itself dies', async () => {
    const p = spawnWithWatchdog('/bin/sleep', ['60'], { cwd: '/', env: process.env, orphanGraceMs: 500 });
    const pid = await p.pid;
    killLater(pid);
    expect(isAlive(pid)).toBe(true);
    p.watchdog.kill('SIGKILL');
    await p.exited;
    expect(await waitGone(pid, 2000)).toBe(true);
  });

  it('kills what the target left in its process group once it ends, and reports 128 + signal', async () => {
    const p = spawnWithWatchdog('/bin/sh', ['-c', 'sleep 60 & echo $!; wait'], { cwd: '/', env: process.env, orphanGraceMs: 500 });
    const pid = await p.pid;
    killLater(pid);
    const grandchild = await new Promise<number>((resolve) =>
      p.watchdog.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))),
    );
    killLater(grandchild);
    expect(isAlive(grandchild)).toBe(true);
    process.kill(pid, 'SIGKILL');
    expect(await p.exited).toBe(137);
    expect(await waitGone(grandchild, 2000)).toBe(true);
  });

  it('kills the target group when our end of the watchdog stdin closes (what our death does)', async () => {
    const p = spawnWithWatchdog('/bin/sleep', ['60'], { cwd: '/', env: process.env, orphanGraceMs: 500 });
    const pid = await p.pid;
    killLater(pid);
    p.watchdog.stdin!.end();
    // sleep dies of the SIGTERM: 128 + 15.
    expect(await p.exited).toBe(143);
    expect(isAlive(pid)).toBe(false);
  });
});
