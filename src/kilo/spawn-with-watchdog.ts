import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/**
 * The watchdog: a tiny Node program between us and the real process. It starts the target in a
 * process group of its own, reports its pid and its end on fd 3, and kills the whole group when
 * its stdin closes, which the kernel does when our process dies, even by SIGKILL (SIGTERM first,
 * SIGKILL after the grace, counted in time the target could run). So no target outlives us. After the target ends, any process it left in its group is SIGKILLed. When we
 * died, the watchdog also removes `cleanupDir` (nobody else is left to do it).
 */
const WATCHDOG_SCRIPT = `
const { spawn } = require('child_process');
const fs = require('fs');
const [bin, optionsArg, ...args] = process.argv.slice(1);
const { grace, cleanupDir, uid, gid, infoFd } = JSON.parse(optionsArg);
const send = (m) => { try { fs.writeSync(3, JSON.stringify(m) + '\\n'); } catch {} };
const group = (sig) => { try { process.kill(-child.pid, sig); } catch {} };
const ids = { ...(uid === undefined ? {} : { uid }), ...(gid === undefined ? {} : { gid }) };
const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit', ...(infoFd ? ['pipe'] : [])], detached: true, ...ids });
// The first child of init (the sandbox's pid 1, which runs the command as its child), by the parent
// ids in /proc/*/stat; polled, bounded.
const reportChildOf = (init) => {
  const deadline = Date.now() + 15000;
  const look = () => {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\\d+$/.test(name)) continue;
      let stat;
      try { stat = fs.readFileSync('/proc/' + name + '/stat', 'utf8'); } catch { continue; }
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === init) return send({ pid: Number(name) });
    }
    if (Date.now() < deadline && child.exitCode === null && child.signalCode === null) setTimeout(look, 10);
  };
  look();
};
if (!infoFd) child.on('spawn', () => send({ pid: child.pid }));
else {
  // The target reports the pid of what it runs (bwrap --info-fd 3: {"child-pid": N}).
  let info = '';
  let reported = false;
  child.stdio[3].setEncoding('utf8');
  child.stdio[3].on('data', (d) => {
    if (reported) return;
    info += d;
    const m = /"child-pid"\\s*:\\s*(\\d+)/.exec(info);
    if (m) { reported = true; reportChildOf(Number(m[1])); }
  });
  child.stdio[3].on('error', () => {});
}
child.on('error', (e) => { send({ error: String(e && e.message) }); process.exit(127); });
let orphaned = false;
child.on('exit', (code, signal) => {
  group('SIGKILL');
  send({ exit: code, signal });
  if (orphaned && cleanupDir) try { fs.rmSync(cleanupDir, { recursive: true, force: true }); } catch {}
  process.exit(0);
});
// The grace counts the time the target could run: time its main thread waited for a CPU on a
// busy machine (Linux /proc/<pid>/schedstat) is added on, up to 10 × grace of wall time.
const cpuWait = () => { try { return Number(fs.readFileSync('/proc/' + child.pid + '/schedstat', 'utf8').split(' ')[1]) / 1e6; } catch { return NaN; } };
const orphan = () => {
  if (orphaned) return;
  orphaned = true;
  group('SIGTERM');
  const t0 = Date.now();
  const w0 = cpuWait();
  const check = () => {
    const elapsed = Date.now() - t0;
    const waited = cpuWait() - w0;
    const left = Math.min(grace - elapsed + (waited > 0 ? waited : 0), grace * 10 - elapsed);
    if (left > 0) setTimeout(check, Math.max(5, left));
    else group('SIGKILL');
  };
  setTimeout(check, grace);
};
process.stdin.on('end', orphan);
process.stdin.on('error', orphan);
process.stdin.on('close', orphan);
process.stdin.resume();
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, orphan);
`;

export interface WatchedProcess {
  /** The watchdog process itself (its stdout/stderr are the target's). */
  readonly watchdog: ChildProcess;
  /** The target's pid, once it is running. */
  readonly pid: Promise<number>;
  /** Resolves once the target has ended and the watchdog is gone: the exit code (128 + signal for a signal). */
  readonly exited: Promise<number | null>;
}

export interface SpawnWithWatchdogOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** How long the watchdog waits after SIGTERM before SIGKILL when we died. */
  orphanGraceMs: number;
  /** A folder the watchdog removes after the target ended, only when we died first. */
  cleanupDir?: string;
  /** The user and group the target runs as. Default: ours. */
  uid?: number;
  gid?: number;
  /**
   * The target writes `{"child-pid": N}` on its fd 3 (as `bwrap --info-fd 3` does, N being the
   * sandbox's init): `pid` is then N's first child, the process the sandbox runs, instead of the
   * target's own.
   */
  infoFd?: boolean;
}

/** `128 + n` for a signal, else the exit code. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | string | null): number | null {
  if (code !== null && code !== undefined) return code;
  const n = signal ? constants.signals[signal as NodeJS.Signals] : undefined;
  return n === undefined ? null : 128 + n;
}

/**
 * Spawns `bin args…` behind the watchdog (see above). The target's stdout and stderr are the
 * watchdog's (`watchdog.stdout` / `watchdog.stderr`).
 *
 * ## Example
 * ```ts
 * const p = spawnWithWatchdog('/bin/sleep', ['100'], { cwd: '/tmp', env: process.env, orphanGraceMs: 1000 });
 * process.kill(await p.pid, 'SIGTERM');
 * await p.exited; // 143
 * ```
 */
export function spawnWithWatchdog(bin: string, args: string[], options: SpawnWithWatchdogOptions): WatchedProcess {
  const env = { ...options.env };
  delete env.NODE_OPTIONS;
  const watchdog = spawn(
    process.execPath,
    [
      '-e',
      WATCHDOG_SCRIPT,
      '--',
      bin,
      JSON.stringify({
        grace: options.orphanGraceMs,
        cleanupDir: options.cleanupDir,
        uid: options.uid,
        gid: options.gid,
        infoFd: options.infoFd === true,
      }),
      ...args,
    ],
    {
      cwd: options.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    },
  );
  let targetPid: number | undefined;
  let targetExit: number | null | undefined;
  let resolvePid!: (pid: number) => void;
  let rejectPid!: (err: Error) => void;
  const pid = new Promise<number>((res, rej) => ((resolvePid = res), (rejectPid = rej)));
  pid.catch(() => undefined);

  let buffer = '';
  const control = watchdog.stdio[3] as NodeJS.ReadableStream;
  control.setEncoding('utf8');
  control.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let msg: { pid?: number; error?: string; exit?: number | null; signal?: string | null };
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof msg.pid === 'number') resolvePid((targetPid = msg.pid));
      if (msg.error !== undefined) rejectPid(new Error(msg.error));
      if ('exit' in msg) targetExit = exitCodeOf(msg.exit ?? null, msg.signal ?? null);
    }
  });
  watchdog.stdin?.on('error', () => undefined);

  const exited = new Promise<number | null>((resolve) => {
    watchdog.on('error', (err) => {
      rejectPid(err);
      resolve(null);
    });
    // The watchdog exits 0 only after its target ended (127: it could not start it). Anything
    // else means the watchdog itself died: make sure its target does not outlive it.
    watchdog.on('exit', (code, signal) => {
      if ((signal !== null || (code !== 0 && code !== 127)) && targetPid !== undefined) {
        try {
          process.kill(-targetPid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    });
    // 'close': the watchdog is gone and fd 3 is drained, so the target's exit message was read.
    watchdog.on('close', (code, signal) => {
      rejectPid(new Error(`watchdog ended (${exitCodeOf(code, signal)}) before the process started`));
      resolve(targetExit !== undefined ? targetExit : exitCodeOf(code, signal));
    });
  });
  return { watchdog, pid, exited };
}
