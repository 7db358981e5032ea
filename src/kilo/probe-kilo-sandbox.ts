import { execFile } from 'node:child_process';
import type { KiloSandbox } from './kilo-sandbox';

/** What {@link probeKiloSandbox} found. */
export type KiloSandboxProbe = { available: true; version: string } | { available: false; reason: string };

/**
 * Whether `sandbox` works on this machine: runs `<kilo> --version` inside it, as the user it
 * would run kilo as, and reports kilo's version, or why not (bwrap missing, user namespaces
 * disabled, kilo not readable by that user…), from bwrap's own message. Never rejects.
 *
 * ## Example
 * ```ts
 * const probe = await probeKiloSandbox(createKiloSandbox({ kiloBinaryPath: bin }), bin);
 * if (!probe.available) throw new Error(`no isolation for agents: ${probe.reason}`);
 * ```
 */
export function probeKiloSandbox(sandbox: KiloSandbox, kiloBinaryPath: string, timeoutMs = 15_000): Promise<KiloSandboxProbe> {
  return new Promise((resolve) => {
    const args = sandbox.args([kiloBinaryPath, '--version'], { writable: [], cwd: '/' });
    execFile(
      sandbox.bwrapPath,
      args,
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        ...(sandbox.uid !== undefined ? { uid: sandbox.uid } : {}),
        ...(sandbox.gid !== undefined ? { gid: sandbox.gid } : {}),
      },
      (err, stdout, stderr) => {
        const version = String(stdout).trim();
        if (!err && /^\d+\.\d+/.test(version)) return resolve({ available: true, version });
        const said = String(stderr).trim().split('\n').slice(-3).join(' ');
        const why = err ? ((err as NodeJS.ErrnoException).code === 'ENOENT' ? `${sandbox.bwrapPath} not found` : err.message.split('\n')[0]) : '';
        resolve({ available: false, reason: [why, said].filter(Boolean).join(': ') || `unexpected output "${version}"` });
      },
    );
  });
}
