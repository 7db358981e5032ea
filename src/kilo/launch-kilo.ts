import { chownSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Observable, ReplaySubject } from 'rxjs';
import type { ExitData } from '../protocol/agent-event';
import { KiloLaunchError } from './kilo-launch-error';
import { kiloIsolatedEnv } from './kilo-isolated-env';
import { resolveLaunchKiloOptions, type LaunchKiloOptions, type ResolvedLaunchKiloOptions } from './launch-kilo-options';
import { setRunTimeTimeout } from './run-time-timeout';
import { spawnWithWatchdog, type WatchedProcess } from './spawn-with-watchdog';
import { waitForKiloHealth } from './wait-for-kilo-health';

/** A running `kilo serve`. */
export interface KiloProcess {
  /** Base URL, e.g. `http://127.0.0.1:4096`. */
  readonly url: string;
  readonly port: number;
  /** The kilo process id (not the watchdog's). */
  readonly pid: number;
  /** Its private HOME; the XDG dirs are next to it in the same private temp dir. */
  readonly homeDir: string;
  /** Its cwd and project directory. */
  readonly workDir: string;
  /** The private temp dir holding HOME, the XDG dirs and (by default) the work dir. */
  readonly tempDir: string;
  /** `KILO_SERVER_PASSWORD`, when one was set. */
  readonly password?: string;
  /** Emits once `{reason: 'process_exit', code}` when the process ends (code 128 + n for signal n), then completes. */
  readonly exit$: Observable<ExitData>;
  /** The exit, once it happened. */
  readonly exited: ExitData | null;
  /**
   * SIGTERM, then SIGKILL after `graceMs` (default 3000) of time kilo could run (time it waited
   * for a CPU on a busy machine is not counted; at most 10 × `graceMs` of wall time); resolves
   * once the process is gone.
   */
  stop(graceMs?: number): Promise<ExitData>;
}

const LISTENING = /server listening on (https?:\/\/\S+)/;
const TAIL_BYTES = 4096;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/**
 * Starts `kilo serve --hostname 127.0.0.1` in isolation: a private temp dir for HOME and every
 * XDG dir, an allowlisted environment (`PATH`, the locale and the `inheritEnv` names of this
 * process's environment, never the rest: no secret of ours reaches kilo or its bash tool), models
 * fetch, autoupdate and telemetry off, the given kilo.json. Resolves once it
 * answers `GET /global/health`. kilo runs behind a watchdog, so it dies with this process, even
 * when this process is SIGKILLed. Options are validated synchronously (a bad one throws
 * `TypeError` or `RangeError` saying what to pass; a missing binary is `KiloLaunchError` `spawn_failed`); start failures reject with `spawn_failed`,
 * `early_exit` or `start_timeout`, carrying the tail of kilo's output.
 *
 * ## Example
 * ```ts
 * const llm = await createFakeLlm({ turns: [{ text: 'hi' }] });
 * const kilo = await launchKilo({ config: kiloConfigFor({ baseURL: llm.baseURL }) });
 * kilo.exit$.subscribe((e) => print('kilo ended', e.code));
 * await kilo.stop();
 * ```
 */
export function launchKilo(options: LaunchKiloOptions = {}): Promise<KiloProcess> {
  const o = resolveLaunchKiloOptions(options);
  return start(o);
}

/** `chown -R`: `dir` and everything in it. */
function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(path, uid, gid);
    else lchownSync(path, uid, gid);
  }
}

async function start(o: ResolvedLaunchKiloOptions): Promise<KiloProcess> {
  const tempDir = mkdtempSync(join(o.tempParent ?? tmpdir(), 'agent-stream-kilo-'));
  const homeDir = join(tempDir, 'home');
  const workDir = o.workDir ?? join(tempDir, 'work');
  let proc: WatchedProcess;
  let env: NodeJS.ProcessEnv;
  try {
    mkdirSync(homeDir, { mode: 0o700 });
    mkdirSync(workDir, { recursive: true });
    env = kiloIsolatedEnv(o, tempDir, homeDir);
    mkdirSync(join(env.XDG_CONFIG_HOME!, 'kilo'), { recursive: true });
    writeFileSync(join(env.XDG_CONFIG_HOME!, 'kilo', 'kilo.json'), JSON.stringify(o.config, null, 2));
    const serve = [o.binaryPath, 'serve', '--port', String(o.port), '--hostname', '127.0.0.1'];
    const watched = { cwd: workDir, env, orphanGraceMs: o.orphanGraceMs, ...(o.keepTempDir ? {} : { cleanupDir: tempDir }) };
    if (o.sandbox) {
      const { uid, gid } = o.sandbox;
      // Its private folders belong to the user it runs as; nothing else of ours is mounted.
      if (uid !== undefined || gid !== undefined) chownTree(tempDir, uid ?? -1, gid ?? -1);
      const inside = !relative(tempDir, workDir).startsWith('..');
      const args = o.sandbox.args(serve, { writable: inside ? [tempDir] : [tempDir, workDir], cwd: workDir, infoFd: 3 });
      proc = spawnWithWatchdog(o.sandbox.bwrapPath, args, { ...watched, uid, gid, infoFd: true });
    } else {
      proc = spawnWithWatchdog(serve[0]!, serve.slice(1), watched);
    }
  } catch (err) {
    rmSync(tempDir, { recursive: true, force: true });
    throw new KiloLaunchError('spawn_failed', `launchKilo: could not prepare or spawn kilo: ${(err as Error).message}`);
  }

  let tail = '';
  let resolveUrl!: (url: string) => void;
  const urlSeen = new Promise<string>((res) => (resolveUrl = res));
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    const readable = proc.watchdog[stream]!;
    readable.setEncoding('utf8');
    // Always drained: a full pipe would block kilo.
    readable.on('data', (chunk: string) => {
      tail = (tail + chunk.replace(ANSI, '')).slice(-TAIL_BYTES);
      partial += chunk;
      const lines = partial.split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const m = LISTENING.exec(line);
        if (m) resolveUrl(m[1]!.replace(/\/$/, ''));
        o.onOutput?.(line, stream);
      }
    });
  }

  const exitSubject = new ReplaySubject<ExitData>(1);
  let exited: ExitData | null = null;
  const gone = proc.exited.then((code): ExitData => {
    exited = { reason: 'process_exit', code };
    exitSubject.next(exited);
    exitSubject.complete();
    try {
      if (!o.keepTempDir) rmSync(tempDir, { recursive: true, force: true });
    } catch {
      /* best effort: the process is gone either way */
    }
    return exited;
  });

  let pid: number | undefined;
  let stopping: Promise<ExitData> | undefined;
  const stop = (graceMs = 3000): Promise<ExitData> => {
    if (!Number.isFinite(graceMs) || graceMs < 0) return Promise.reject(new RangeError(`graceMs must be >= 0, got ${graceMs}`));
    stopping ??= terminate(graceMs);
    return stopping;
  };
  const terminate = async (graceMs: number): Promise<ExitData> => {
    if (!exited) {
      const kill = (target: number, sig: NodeJS.Signals) => {
        try {
          process.kill(target, sig);
        } catch {
          /* already gone */
        }
      };
      if (pid !== undefined) kill(pid, 'SIGTERM');
      else proc.watchdog.kill('SIGTERM');
      // In a sandbox kilo leads no process group (bwrap does): kill it, and its group when it leads one.
      const hard = () => (pid !== undefined ? (kill(-pid, 'SIGKILL'), kill(pid, 'SIGKILL')) : proc.watchdog.kill('SIGKILL'));
      const cancel = setRunTimeTimeout(pid, graceMs, hard);
      await gone.finally(cancel);
    }
    return gone;
  };

  const fail = async (code: 'spawn_failed' | 'early_exit' | 'start_timeout', message: string): Promise<never> => {
    await stop(0);
    throw new KiloLaunchError(code, message, tail.trim(), exited?.code);
  };

  try {
    pid = await proc.pid;
  } catch (err) {
    return fail('spawn_failed', `launchKilo: could not start ${o.binaryPath}: ${(err as Error).message}`);
  }
  // startTimeoutMs counts the time kilo could run: on a busy machine its start (~4.5 s of CPU)
  // may take several times as long in wall time (see setRunTimeTimeout).
  const maxWallMs = o.startTimeoutMs * 10;
  const deadline = Date.now() + maxWallMs;
  const waiting = new AbortController();
  let cancelTimeout = () => {};
  const timeout = new Promise<'timeout'>(
    (res) => (cancelTimeout = setRunTimeTimeout(pid, o.startTimeoutMs, () => res('timeout'), { maxWallMs })),
  );
  const healthy = urlSeen.then(async (url) =>
    (await waitForKiloHealth(url, { password: o.password, deadline, signal: waiting.signal })) ? url : ('timeout' as const),
  );
  const outcome = await Promise.race([healthy, gone.then(() => 'exit' as const), timeout]);
  cancelTimeout();
  waiting.abort();
  if (outcome === 'exit') return fail('early_exit', `launchKilo: kilo exited with code ${String(exited!.code)} before it was ready`);
  if (outcome === 'timeout')
    return fail('start_timeout', `launchKilo: kilo did not answer GET /global/health within ${o.startTimeoutMs} ms`);

  const url = outcome;
  const kiloPid = pid;
  return {
    url,
    port: Number(new URL(url).port),
    pid: kiloPid,
    homeDir,
    workDir,
    tempDir,
    ...(o.password ? { password: o.password } : {}),
    exit$: exitSubject.asObservable(),
    get exited() {
      return exited;
    },
    stop,
  };
}
