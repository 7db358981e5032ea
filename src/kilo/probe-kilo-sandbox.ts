import { execFile } from 'node:child_process';
import type { KiloSandbox } from './kilo-sandbox';

/** What {@link probeKiloSandbox} found. */
export type KiloSandboxProbe = { available: true } | { available: false; reason: string };

/**
 * Whether `sandbox` works on this machine: starts it, as the user it would run kilo as, on
 * `test -x <kilo>` (cheap: kilo itself takes seconds to start on a busy machine), and reports
 * why not when it fails (bwrap missing, user namespaces disabled, kilo not executable by that
 * user…), from bwrap's own message. Never rejects.
 *
 * ## Example
 * ```ts
 * const probe = await probeKiloSandbox(createKiloSandbox({ kiloBinaryPath: bin }), bin);
 * if (!probe.available) throw new Error(`no isolation for agents: ${probe.reason}`);
 * ```
 */
export function probeKiloSandbox(sandbox: KiloSandbox, kiloBinaryPath: string, timeoutMs = 30_000): Promise<KiloSandboxProbe> {
  return new Promise((resolve) => {
    const args = sandbox.args(['test', '-x', kiloBinaryPath], { writable: [], cwd: '/' });
    execFile(
      sandbox.bwrapPath,
      args,
      {
        env: { PATH: '/usr/bin:/bin' },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        ...(sandbox.uid !== undefined ? { uid: sandbox.uid } : {}),
        ...(sandbox.gid !== undefined ? { gid: sandbox.gid } : {}),
      },
      (err, _stdout, stderr) => {
        if (!err) return resolve({ available: true });
        const e = err as Error & { killed?: boolean; code?: string | number };
        const said = String(stderr).trim().split('\n').slice(-3).join(' ');
        let reason: string;
        if (e.code === 'ENOENT') reason = `${sandbox.bwrapPath} not found`;
        else if (e.killed) reason = `${sandbox.bwrapPath} did not finish within ${timeoutMs} ms`;
        else if (e.code === 1 && !said)
          reason = `${kiloBinaryPath} is not executable by uid ${sandbox.uid ?? process.getuid?.()} inside the sandbox`;
        else reason = said || `${sandbox.bwrapPath} failed (${String(e.code ?? e.message)})`;
        resolve({ available: false, reason });
      },
    );
  });
}
