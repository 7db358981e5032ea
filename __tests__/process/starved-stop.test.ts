import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchKilo } from '../../src/kilo/launch-kilo';
import { spawnWithWatchdog } from '../../src/kilo/spawn-with-watchdog';

/** CPU time the stand-in needs to end after SIGTERM (it spins, as kilo flushing its state would). */
const WORK_MS = 100;
/** The grace given: twice the work, so a process that gets its share of a CPU always ends in time. */
const GRACE_MS = 2 * WORK_MS;
/**
 * Busy loops beside it on the same CPU, each in a session of its own. With the kernel's autogroups
 * (`sched_autogroup_enabled`) every session is a scheduling group, and plain nice does nothing
 * across groups: the stand-in (kilo is started detached: a session of its own) sets its group's
 * nice to 5, weight 335 against 1024 for each loop's group, all of whose weight is on CPU 0 (a
 * loop left in the test's own session shares its group's weight with whatever that group runs on
 * the other CPU, and starved the stand-in less on a busy machine). So it gets ~14 % of that CPU
 * (less on a busy machine) and its WORK_MS take ~700 ms, over 3× the grace and inside the 10×
 * wall-time bound, all of it counted as waiting for a CPU.
 */
const BUSY = 2;
/** A loop ends by itself after this long, should the test not kill it. */
const LOOP_MS = 30_000;

/**
 * A stand-in for `kilo serve` pinned to CPU 0: answers `GET /global/health`, prints kilo's
 * listening line, and on SIGTERM spins WORK_MS of CPU time before it exits 0.
 */
const STAND_IN = `#!${process.execPath}
const { execFileSync } = require('node:child_process');
const http = require('node:http');
execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
try { require('node:fs').writeFileSync('/proc/self/autogroup', '5'); } catch { require('node:os').setPriority(5); }
const server = http.createServer((req, res) => res.end(JSON.stringify({ healthy: true })));
server.listen(0, '127.0.0.1', () => console.log('kilo server listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => {
  const start = process.cpuUsage();
  const used = () => { const u = process.cpuUsage(start); return (u.user + u.system) / 1000; };
  while (used() < ${WORK_MS}) {}
  process.exit(0);
});
`;

describe('a starved process is stopped gracefully (grace counted in time it could run)', () => {
  let dir: string;
  let standIn: string;
  const busy: ChildProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'starved-stop-'));
    standIn = join(dir, 'kilo');
    writeFileSync(standIn, STAND_IN);
    chmodSync(standIn, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    for (const b of busy.splice(0)) b.kill('SIGKILL');
  });
  /**
   * BUSY loops on CPU 0 (killed by afterEach, else ending after LOOP_MS); resolves once each spins (a
   * node that is still starting would leave the CPU to the stand-in, which then is not starved).
   */
  const starveCpu0 = () =>
    Promise.all(
      Array.from({ length: BUSY }, () => {
        const code = `process.stdout.write('spinning\\n'); const end = Date.now() + ${LOOP_MS}; while (Date.now() < end) {}`;
        const loop = spawn('taskset', ['-c', '0', process.execPath, '-e', code], {
          detached: true,
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        busy.push(loop);
        return new Promise<void>((resolve) => loop.stdout!.once('data', () => resolve()));
      }),
    );

  it('stop(grace): SIGTERM, and no SIGKILL while the process only waited for the CPU', async () => {
    const kilo = await launchKilo({ binaryPath: standIn, startTimeoutMs: 10_000 });
    await starveCpu0();
    const t0 = performance.now();
    const exit = await kilo.stop(GRACE_MS);
    const wall = performance.now() - t0;
    // It ended by itself (0), not SIGKILLed (137), after more wall time than the grace: a
    // wall-clock grace would have killed it.
    console.log(`starved-stop (stop): exit ${exit.code} after ${Math.round(wall)} ms against a grace of ${GRACE_MS} ms`);
    expect(exit.code).toBe(0);
    expect(wall).toBeGreaterThan(2 * GRACE_MS);
  }, 30_000);

  it('the watchdog, when we are gone: SIGTERM, and no SIGKILL while the process only waited for the CPU', async () => {
    const p = spawnWithWatchdog(standIn, ['serve'], { cwd: dir, env: { PATH: process.env.PATH }, orphanGraceMs: GRACE_MS });
    let out = '';
    await new Promise<void>((resolve) =>
      p.watchdog.stdout!.on('data', (c: Buffer) => (out += c.toString()).includes('listening') && resolve()),
    );
    await starveCpu0();
    const t0 = performance.now();
    p.watchdog.stdin!.end(); // as when our process dies: the watchdog's stdin closes
    const code = await p.exited;
    const wall = performance.now() - t0;
    console.log(`starved-stop (watchdog): exit ${code} after ${Math.round(wall)} ms against a grace of ${GRACE_MS} ms`);
    expect(code).toBe(0);
    expect(wall).toBeGreaterThan(2 * GRACE_MS);
  }, 30_000);
});
