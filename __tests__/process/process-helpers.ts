import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';

/** True while `pid` is a live process (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls until `pid` is gone or `timeoutMs` passed; resolves whether it is gone. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/** The processes whose parent chain leads to `root` (not `root` itself): pid, parent pid, command line. */
export function descendantsOf(root: number): Array<{ pid: number; ppid: number; args: string }> {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const rows = out
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
      return { pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! };
    });
  const parent = new Map(rows.map((r) => [r.pid, r.ppid]));
  const under = (pid: number) => {
    for (let p = parent.get(pid), i = 0; p && i < 20; p = parent.get(p), i++) if (p === root) return true;
    return false;
  };
  return rows.filter((r) => under(r.pid));
}

/** A kilo binary's own command line (a sandbox's `bwrap … -- …/bin/kilo serve` is not one). */
const KILO_SERVE = /^\S*\/bin\/kilo serve( |$)/;

/**
 * Pids of real kilo binaries (`…/bin/kilo serve`, not their watchdogs or sandboxes) under `root`.
 * A child kilo just forked (before its exec, it still shows kilo's command line) is not counted.
 */
export function kiloPidsUnder(root: number): number[] {
  const rows = descendantsOf(root);
  const kilos = new Set(rows.filter((r) => KILO_SERVE.test(r.args)).map((r) => r.pid));
  return [...kilos].filter((pid) => !kilos.has(rows.find((r) => r.pid === pid)!.ppid));
}

/** The environment of a running process, from `/proc/<pid>/environ`. */
export function environOf(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

/** The TCP ports `pid` listens on (from `ss -ltnp`). */
export function listeningPortsOf(pid: number): number[] {
  const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => Number(/:(\d+)\s/.exec(l.split(/\s+/)[3] + ' ')?.[1]))
    .filter((p) => Number.isInteger(p) && p > 0);
}

/** The real user id of `pid` and its PID namespace (`pid:[…]`). */
export function identityOf(pid: number): { uid: number; pidNamespace: string } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(status)![1]), pidNamespace: readlinkSync(`/proc/${pid}/ns/pid`) };
}
