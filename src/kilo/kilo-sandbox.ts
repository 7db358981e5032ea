import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { integerOption } from '../options/number-option';

/** Options of {@link createKiloSandbox}. Every one is optional. */
export interface KiloSandboxOptions {
  /**
   * The bubblewrap binary. Default: `bwrap` on `PATH` (e.g. Debian's `bubblewrap`), else the one
   * kilo ships beside its binary (`…/@kilocode/cli-linux-x64/bin/bwrap`, given as `kiloBinaryPath`).
   */
  bwrapPath?: string;
  /** Where kilo is installed; its folder is mounted read-only and is where the bundled bwrap is looked for. */
  kiloBinaryPath?: string;
  /**
   * The user id kilo runs as. Default: 65534 (`nobody`) when this process is root, else this
   * process's own (bwrap then needs unprivileged user namespaces).
   */
  uid?: number;
  /** The group id kilo runs as. Default: 65534 when this process is root, else this process's own. */
  gid?: number;
  /** More host folders kilo may read (mounted read-only at the same path). Default: none. */
  readOnlyPaths?: string[];
  /** Files never readable inside, even under a mounted folder (e.g. the server's token files): `/dev/null` is mounted on them (nodev: reading fails). */
  hidePaths?: string[];
}

/** How {@link launchKilo} confines a kilo serve: the command line that runs it under bubblewrap. */
export interface KiloSandbox {
  readonly bwrapPath: string;
  /** The user and group kilo runs as; undefined: this process's own. */
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  /**
   * The bwrap arguments that run `command` with `writable` folders mounted read-write (at the
   * same paths), `cwd` as its working directory, and its pid reported as JSON on fd `infoFd`.
   */
  args(command: string[], options: { writable: string[]; cwd: string; infoFd?: number }): string[];
}

/** The system folders kilo and its tools need, read-only: programs, libraries, and /etc (DNS, certificates, users). */
const SYSTEM = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];
const NOBODY = 65534;

const bad = (message: string) => new TypeError(`createKiloSandbox: ${message}`);

const under = (root: string, path: string) => {
  const r = relative(root, path);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
};

/** `bwrap` on PATH, else kilo's bundled one, else undefined. */
function findBwrap(kiloBinaryPath: string | undefined): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'bwrap'))) return join(dir, 'bwrap');
  }
  const bundled = kiloBinaryPath ? join(dirname(kiloBinaryPath), 'bwrap') : undefined;
  return bundled && existsSync(bundled) ? bundled : undefined;
}

/** The mounts of one system folder: a symlink stays a symlink (`/bin -> usr/bin`), a folder is bound read-only. */
function systemMounts(path: string): string[] {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return [];
  }
  if (st.isSymbolicLink()) return ['--symlink', readlinkSync(path), path];
  return st.isDirectory() ? ['--ro-bind', path, path] : [];
}

/**
 * A bubblewrap sandbox for kilo serve: kilo runs in a PID namespace of its own (with its
 * own /proc: no other process of the machine is visible, the server's environment, command line
 * and memory included) and its own mount namespace holding only the system folders (`/usr`,
 * `/bin`, `/lib*`, `/etc`), kilo's install folder, the `readOnlyPaths`, a private `/tmp` and
 * the folders it is given to write; `hidePaths` (token files) are covered (reading them fails).
 * When this process is root kilo runs as another user (`nobody` by default), so a file of the
 * server's (mode 0600) stays unreadable even if it were mounted. IPC and host name are
 * unshared too; the network is not (kilo must reach its LLM and serve the agent on loopback).
 * kilo dies with the sandbox. Options are validated here; whether bwrap works on this machine
 * is for {@link probeKiloSandbox}.
 *
 * ## Example
 * ```ts
 * const sandbox = createKiloSandbox({ kiloBinaryPath: resolveKiloBinary(), hidePaths: ['/etc/agent-stream/token'] });
 * const kilo = await launchKilo({ sandbox, password: randomBytes(24).toString('base64url') });
 * ```
 */
export function createKiloSandbox(options: KiloSandboxOptions = {}): KiloSandbox {
  if (typeof options !== 'object' || options === null) throw bad('options must be an object');
  const paths = (name: string, v: unknown): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((p) => typeof p !== 'string' || !isAbsolute(p)))
      throw bad(`${name} must be an array of absolute paths`);
    return v as string[];
  };
  const readOnly = paths('readOnlyPaths', options.readOnlyPaths);
  const hide = paths('hidePaths', options.hidePaths);
  if (options.kiloBinaryPath !== undefined && (typeof options.kiloBinaryPath !== 'string' || !isAbsolute(options.kiloBinaryPath)))
    throw bad('kiloBinaryPath must be an absolute path');
  if (options.bwrapPath !== undefined && (typeof options.bwrapPath !== 'string' || options.bwrapPath === ''))
    throw bad('bwrapPath must be a non-empty string');
  const bwrapPath = options.bwrapPath ?? findBwrap(options.kiloBinaryPath) ?? 'bwrap';
  const root = process.getuid?.() === 0;
  const uid = options.uid ?? (root ? NOBODY : undefined);
  const gid = options.gid ?? (root ? NOBODY : undefined);
  if (uid !== undefined) integerOption('createKiloSandbox', 'uid', uid, 0, 2 ** 31 - 1);
  if (gid !== undefined) integerOption('createKiloSandbox', 'gid', gid, 0, 2 ** 31 - 1);
  const kiloDir = options.kiloBinaryPath ? dirname(options.kiloBinaryPath) : undefined;

  return {
    bwrapPath,
    uid,
    gid,
    args(command, { writable, cwd, infoFd }) {
      const visible = [...SYSTEM, ...(kiloDir ? [kiloDir] : []), ...readOnly, ...writable];
      const args = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent'];
      if (infoFd !== undefined) args.push('--info-fd', String(infoFd));
      // In order: a later mount covers an earlier one (a private /tmp first, then what is shared, even under /tmp).
      args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
      for (const p of SYSTEM) args.push(...systemMounts(p));
      for (const p of [...(kiloDir ? [kiloDir] : []), ...readOnly]) if (existsSync(p)) args.push('--ro-bind', p, p);
      for (const p of writable) args.push('--bind', p, p);
      for (const p of hide) {
        let real: string;
        try {
          real = realpathSync(p);
        } catch {
          continue; // not there: nothing to hide
        }
        if (visible.some((v) => under(v, real) || under(v, p))) args.push('--ro-bind', '/dev/null', real);
      }
      args.push('--chdir', cwd, '--', ...command);
      return args;
    },
  };
}
