import { chmodSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchKilo } from '../../src/kilo/launch-kilo';
import { spawnWithWatchdog } from '../../src/kilo/spawn-with-watchdog';

/** CPU time the stand-in needs to end after SIGTERM (it spins, as kilo flushing its state would). */
const WORK_MS = 100;
/** The grace given: twice the work, so a process that gets its share of a CPU always ends in time. */
const GRACE_MS = 2 * WORK_MS;
/**
 * The stand-in's CPU quota once it was asked to stop: 10 ms per 100 ms period (a CPU cgroup), so
 * its WORK_MS take ~10× as long in wall time (~1 s), 5× the grace, and its main thread spends the
 * rest runnable but throttled, which `/proc/<pid>/schedstat` counts as waiting for a CPU. A busy
 * machine makes it wait longer, never shorter: the starvation does not depend on the load.
 */
const QUOTA_US = 10_000;
const PERIOD_US = 100_000;

/**
 * A CPU cgroup capped at QUOTA_US per PERIOD_US (cgroup v2 `cpu.max`, else v1 `cpu.cfs_quota_us`),
 * or undefined when this machine does not let us make one (not root, no cpu controller).
 */
function makeQuotaGroup(): { procs: string; remove(): void } | undefined {
  const name = `agent-stream-starved-${process.pid}`;
  const tries: Array<[string, (dir: string) => void]> = [
    ['/sys/fs/cgroup/cpu', (dir) => writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(QUOTA_US))],
    ['/sys/fs/cgroup', (dir) => writeFileSync(join(dir, 'cpu.max'), `${QUOTA_US} ${PERIOD_US}`)],
  ];
  for (const [root, limit] of tries) {
    const dir = join(root, name);
    try {
      mkdirSync(dir);
    } catch {
      continue;
    }
    try {
      limit(dir);
      return { procs: join(dir, 'cgroup.procs'), remove: () => rmSync(dir, { recursive: false, force: true }) };
    } catch {
      rmdirSync(dir);
    }
  }
  return undefined;
}

/**
 * A stand-in for `kilo serve`: answers `GET /global/health`, prints kilo's listening line, and on
 * SIGTERM moves itself into the quota group (STARVE_PROCS) and spins WORK_MS of CPU time before
 * it exits 0.
 */
const STAND_IN = `#!${process.execPath}
const http = require('node:http');
const fs = require('node:fs');
const server = http.createServer((req, res) => res.end(JSON.stringify({ healthy: true })));
server.listen(0, '127.0.0.1', () => console.log('kilo server listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => {
  fs.writeFileSync(process.env.STARVE_PROCS, String(process.pid));
  const start = process.cpuUsage();
  const used = () => { const u = process.cpuUsage(start); return (u.user + u.system) / 1000; };
  while (used() < ${WORK_MS}) {}
  process.exit(0);
});
`;

describe('a starved process is stopped gracefully (grace counted in time it could run)', () => {
  let dir: string;
  let standIn: string;
  let group: ReturnType<typeof makeQuotaGroup>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'starved-stop-'));
    standIn = join(dir, 'kilo');
    writeFileSync(standIn, STAND_IN);
    chmodSync(standIn, 0o755);
    group = makeQuotaGroup();
  });
  afterAll(() => {
    group?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The wall time it took, and that it was starved: a wall-clock grace would have SIGKILLed it. */
  const expectStarvedButGraceful = (code: number | null | undefined, wall: number) => {
    expect(code).toBe(0);
    expect(wall).toBeGreaterThan(3 * GRACE_MS);
  };

  it('this machine lets the test starve a process (a CPU cgroup; run as root, as CI does)', () => {
    // Without a quota group the two tests below could not starve the stand-in, so they would prove nothing.
    expect(group).toBeDefined();
  });

  it('stop(grace): SIGTERM, and no SIGKILL while the process only waited for the CPU', async () => {
    const kilo = await launchKilo({ binaryPath: standIn, startTimeoutMs: 10_000, env: { STARVE_PROCS: group!.procs } });
    const t0 = performance.now();
    const exit = await kilo.stop(GRACE_MS);
    const wall = performance.now() - t0;
    console.log(`starved-stop (stop): exit ${exit.code} after ${Math.round(wall)} ms against a grace of ${GRACE_MS} ms`);
    expectStarvedButGraceful(exit.code, wall);
  }, 30_000);

  it('the watchdog, when we are gone: SIGTERM, and no SIGKILL while the process only waited for the CPU', async () => {
    const env = { PATH: process.env.PATH, STARVE_PROCS: group!.procs };
    const p = spawnWithWatchdog(standIn, ['serve'], { cwd: dir, env, orphanGraceMs: GRACE_MS });
    let out = '';
    await new Promise<void>((resolve) =>
      p.watchdog.stdout!.on('data', (c: Buffer) => (out += c.toString()).includes('listening') && resolve()),
    );
    const t0 = performance.now();
    p.watchdog.stdin!.end(); // as when our process dies: the watchdog's stdin closes
    const code = await p.exited;
    const wall = performance.now() - t0;
    console.log(`starved-stop (watchdog): exit ${code} after ${Math.round(wall)} ms against a grace of ${GRACE_MS} ms`);
    expectStarvedButGraceful(code, wall);
  }, 30_000);
});
