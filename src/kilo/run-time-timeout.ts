import { readFileSync } from 'node:fs';

/** How long (ns) a process's main thread has waited for a CPU so far; undefined when unknown. */
export type ReadCpuWait = (pid: number) => number | undefined;

const waitOf = (pid: number): number | undefined => {
  try {
    const wait = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(wait) ? wait : undefined;
  } catch {
    return undefined;
  }
};

const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/**
 * Linux: the second field of `/proc/<pid>/schedstat` is the time (ns) a process's main thread
 * spent runnable but waiting for a CPU; this is the largest of `pid`'s and its descendants'
 * (kilo may run under a sandbox, e.g. bwrap, whose own process only waits). At most 4 levels and
 * 64 processes are read. Undefined elsewhere, or once the process is gone.
 */
export const readCpuWait: ReadCpuWait = (pid) => {
  const own = waitOf(pid);
  if (own === undefined) return undefined;
  let max = own;
  let level = [pid];
  let seen = 1;
  for (let depth = 0; depth < 4 && level.length > 0 && seen < 64; depth++) {
    const next: number[] = [];
    for (const p of level) for (const c of childrenOf(p)) if (seen++ < 64) next.push(c);
    for (const c of next) max = Math.max(max, waitOf(c) ?? 0);
    level = next;
  }
  return max;
};

export interface RunTimeTimeoutOptions {
  /** Fire after this much wall time whatever the process waited (default `10 × ms`). */
  maxWallMs?: number;
  /** Where the wait is read (tests pass a fake). Default {@link readCpuWait}. */
  readWait?: ReadCpuWait;
}

/**
 * Like `setTimeout(fire, ms)` for something a process must do, where `ms` counts the time the
 * process could run: the time it waited for a CPU because the machine was busy is added on, so
 * a process that is merely starved (a 2-core machine at load 8 gives each runnable thread a
 * fraction of a core) is not taken for a hung one. A process that sleeps, blocks or spins is
 * timed as by `setTimeout`. Bounded: it fires after `maxWallMs` of wall time at the latest, and
 * at `ms` when the wait cannot be read (not Linux, `pid` unknown). Returns the cancel function.
 *
 * ## Example
 * ```ts
 * // SIGKILL only once kilo had 3 s it could have used to end after SIGTERM.
 * process.kill(kilo.pid, 'SIGTERM');
 * const cancel = setRunTimeTimeout(kilo.pid, 3000, () => process.kill(kilo.pid, 'SIGKILL'));
 * kilo.exit$.subscribe(() => cancel());
 * ```
 */
export function setRunTimeTimeout(pid: number | undefined, ms: number, fire: () => void, options: RunTimeTimeoutOptions = {}): () => void {
  const maxWallMs = options.maxWallMs ?? ms * 10;
  const readWait = options.readWait ?? readCpuWait;
  const started = performance.now();
  const wait0 = pid === undefined ? undefined : readWait(pid);
  let timer: ReturnType<typeof setTimeout>;
  const check = () => {
    const elapsed = performance.now() - started;
    const wait = wait0 === undefined ? undefined : readWait(pid!);
    const waited = wait === undefined ? 0 : Math.max(0, (wait - wait0!) / 1e6);
    const left = Math.min(ms - (elapsed - waited), maxWallMs - elapsed);
    // Each check either fires or waits what is left (≥ 5 ms): at most maxWallMs / 5 checks.
    if (left <= 0 || wait === undefined) fire();
    else timer = setTimeout(check, Math.max(5, left));
  };
  timer = setTimeout(check, Math.min(ms, maxWallMs));
  return () => clearTimeout(timer);
}
