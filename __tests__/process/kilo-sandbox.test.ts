import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { createKiloSandbox, type KiloSandbox } from '../../src/kilo/kilo-sandbox';
import { probeKiloSandbox } from '../../src/kilo/probe-kilo-sandbox';
import { resolveKiloBinary } from '../../src/kilo/resolve-kilo-binary';

const run = promisify(execFile);
const SECRET = 'sandbox-test-secret-7c1d0e9a';

/** Runs `script` in `sandbox` (real bwrap, as the user it runs kilo as) and returns what it printed. */
async function inside(sandbox: KiloSandbox, script: string, writable: string[] = []): Promise<string> {
  const ids = { ...(sandbox.uid !== undefined ? { uid: sandbox.uid } : {}), ...(sandbox.gid !== undefined ? { gid: sandbox.gid } : {}) };
  const { stdout } = await run(sandbox.bwrapPath, sandbox.args(['sh', '-c', script], { writable, cwd: '/' }), {
    env: { PATH: '/usr/bin:/bin' },
    timeout: 30_000,
    ...ids,
  });
  return stdout;
}

describe('createKiloSandbox (real bwrap)', () => {
  let dir: string;
  let work: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-stream-sbx-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'public.txt'), 'public content\n', { mode: 0o644 });
    writeFileSync(join(dir, 'token'), SECRET, { mode: 0o600 });
    work = join(dir, 'work');
    mkdirSync(work);
    if (process.getuid?.() === 0) chownSync(work, 65534, 65534);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs as nobody when we are root, sees only its own processes (not ours), and a private /tmp', async () => {
    const sandbox = createKiloSandbox({ readOnlyPaths: [dir] });
    const out = await inside(
      sandbox,
      `id -u; set -- /proc/[0-9]*; echo $#; test -e /proc/${process.pid} && echo OURS-VISIBLE; ls -A /tmp; echo done`,
    );
    const [uid, visible, ...rest] = out.trim().split('\n');
    expect(uid).toBe(process.getuid?.() === 0 ? '65534' : String(process.getuid?.()));
    expect(Number(visible)).toBeLessThanOrEqual(2); // bwrap's init and sh
    // /tmp is its own: only the mount point of what it was given.
    expect(rest).toEqual([basename(dir), 'done']);
  }, 60_000);

  it('covers hidePaths (bwrap mounts /dev/null there, nodev: reading fails), while the folder around it stays readable (positive control)', async () => {
    const sandbox = createKiloSandbox({
      readOnlyPaths: [dir],
      hidePaths: [join(dir, 'token')],
      uid: process.getuid?.(),
      gid: process.getgid?.(),
    });
    // Even as our own user (who owns the file), the content is gone.
    const out = await inside(sandbox, `cat ${dir}/public.txt; echo "[$(cat ${dir}/token 2>&1)]"`);
    expect(out).toMatch(/^public content\n\[cat: \S+\/token: Permission denied\]\n$/);
  }, 60_000);

  it('as another user, a 0600 file of ours stays unreadable even when mounted', async () => {
    if (process.getuid?.() !== 0) return expect(createKiloSandbox().uid).toBeUndefined();
    const out = await inside(createKiloSandbox({ readOnlyPaths: [dir] }), `cat ${dir}/public.txt; cat ${dir}/token 2>&1; echo`);
    expect(out).toContain('public content');
    expect(out).toMatch(/Permission denied/);
    expect(out).not.toContain(SECRET);
  }, 60_000);

  it('writes only into its writable folders; the rest is read-only or absent', async () => {
    const sandbox = createKiloSandbox({ readOnlyPaths: [dir] });
    const out = await inside(
      sandbox,
      `touch ${work}/ok && echo wrote-work; touch ${dir}/nope 2>/dev/null || echo ro-dir; touch /usr/nope 2>/dev/null || echo ro-usr; ls /root 2>/dev/null || echo no-root`,
      [work],
    );
    expect(out.trim().split('\n')).toEqual(['wrote-work', 'ro-dir', 'ro-usr', 'no-root']);
  }, 60_000);

  it('probeKiloSandbox: available with a working bwrap, and says why not with a missing one', async () => {
    const kilo = resolveKiloBinary()!;
    expect(await probeKiloSandbox(createKiloSandbox({ kiloBinaryPath: kilo }), kilo)).toEqual({ available: true });
    expect(await probeKiloSandbox(createKiloSandbox({ kiloBinaryPath: kilo, bwrapPath: '/nonexistent/bwrap' }), kilo)).toEqual({
      available: false,
      reason: '/nonexistent/bwrap not found',
    });
    // kilo itself not reachable by that user: a path the sandbox does not mount.
    expect(await probeKiloSandbox(createKiloSandbox({ kiloBinaryPath: kilo }), join(dir, 'token'))).toMatchObject({ available: false });
  }, 60_000);

  it('validates its options', () => {
    expect(() => createKiloSandbox({ readOnlyPaths: ['relative'] })).toThrow(TypeError);
    expect(() => createKiloSandbox({ hidePaths: 'x' as unknown as string[] })).toThrow(TypeError);
    expect(() => createKiloSandbox({ uid: -1 })).toThrow(RangeError);
    expect(() => createKiloSandbox({ bwrapPath: '' })).toThrow(TypeError);
  });
});
