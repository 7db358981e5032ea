import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { KiloLaunchError } from './kilo-launch-error';
import type { KiloSandbox } from './kilo-sandbox';
import { resolveKiloBinary } from './resolve-kilo-binary';

/** Options of {@link launchKilo}. Every one is optional. */
export interface LaunchKiloOptions {
  /** The real kilo binary. Default: {@link resolveKiloBinary} (`$KILO_BIN_PATH` or the installed platform package). */
  binaryPath?: string;
  /** The kilo.json object, written to `$XDG_CONFIG_HOME/kilo/kilo.json` (e.g. from `kiloConfigFor`). Default: `{autoupdate: false, share: 'disabled'}`. */
  config?: Record<string, unknown>;
  /** kilo's cwd and project directory: an existing absolute directory. Default: a fresh `work/` folder in the private temp dir. */
  workDir?: string;
  /** Port to listen on (loopback only). Default 0: kilo picks a free one. */
  port?: number;
  /** Sets `KILO_SERVER_PASSWORD` (Basic auth, user `kilo`). Default: none. */
  password?: string;
  /** `KILO_SESSION_RETRY_LIMIT`: how often kilo retries a failing LLM call. Default 2. */
  sessionRetryLimit?: number;
  /**
   * Names of variables of this process's environment passed on to kilo (e.g. `['HTTPS_PROXY']`).
   * kilo gets an allowlisted environment, never this process's whole one (its bash tool would
   * show every secret to the model): `PATH`, the locale (`LANG`, `LANGUAGE`, `LC_*`, `TZ`), these
   * names, then its private HOME/XDG dirs and its own `KILO_*` settings. Default: none.
   */
  inheritEnv?: string[];
  /** Extra environment variables for kilo, applied last. */
  env?: Record<string, string>;
  /**
   * How long to wait for `GET /global/health` to answer, in time kilo could run: the time it
   * waited for a CPU on a busy machine is not counted (Linux), up to 10 × this in wall time.
   * Default 20000 ms.
   */
  startTimeoutMs?: number;
  /**
   * If this process dies, how long kilo gets after SIGTERM before SIGKILL, in time it could run
   * (time it waited for a CPU is not counted, up to 10 × this in wall time). Default 1500 ms.
   */
  orphanGraceMs?: number;
  /** Keep the private temp dir (HOME, XDG dirs, default work dir) after exit. Default false. */
  keepTempDir?: boolean;
  /** Where the private temp dir is created. Default `os.tmpdir()`. */
  tempParent?: string;
  /**
   * Run kilo confined by this sandbox ({@link createKiloSandbox}: its own PID and mount
   * namespaces, another user when we are root); its private temp dir is handed to that user.
   * Default: none, kilo runs as this process's user and sees what it sees.
   */
  sandbox?: KiloSandbox;
  /** Receives every line kilo prints. Default: none (the last lines are kept for errors). */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

type Optional = 'workDir' | 'password' | 'onOutput' | 'tempParent' | 'sandbox';
export type ResolvedLaunchKiloOptions = Required<Omit<LaunchKiloOptions, Optional>> & Pick<LaunchKiloOptions, Optional>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Misuse (bad options): a TypeError saying what to pass; `KiloLaunchError` is for failures to start kilo. */
const bad = (message: string) => new TypeError(`launchKilo: ${message}`);
const isPlainObject = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function int(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`launchKilo: ${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  return v;
}

function existingDir(name: string, v: unknown): string {
  if (typeof v !== 'string' || !isAbsolute(v)) throw bad(`${name} must be an absolute path, got ${String(v)}`);
  if (!existsSync(v) || !statSync(v).isDirectory()) throw bad(`${name} is not an existing directory: ${v}`);
  return v;
}

/** Validates {@link LaunchKiloOptions} and fills the defaults; misuse throws `TypeError`/`RangeError`; a missing binary `KiloLaunchError('spawn_failed')`. */
export function resolveLaunchKiloOptions(options: LaunchKiloOptions = {}): ResolvedLaunchKiloOptions {
  if (!isPlainObject(options)) throw bad('options must be an object');
  const binaryPath = options.binaryPath ?? resolveKiloBinary();
  if (!binaryPath)
    throw new KiloLaunchError(
      'spawn_failed',
      'launchKilo: no kilo binary found: install @kilocode/cli or pass binaryPath / set KILO_BIN_PATH',
    );
  if (typeof binaryPath !== 'string') throw bad(`binaryPath must be a string, got ${String(binaryPath)}`);
  if (!existsSync(binaryPath)) throw new KiloLaunchError('spawn_failed', `launchKilo: binaryPath does not exist: ${binaryPath}`);
  if (options.config !== undefined && !isPlainObject(options.config)) throw bad('config must be a plain object (the kilo.json content)');
  if (options.password !== undefined && (typeof options.password !== 'string' || options.password === ''))
    throw bad('password must be a non-empty string');
  if (options.env !== undefined) {
    if (!isPlainObject(options.env)) throw bad('env must be an object of strings');
    for (const [k, v] of Object.entries(options.env as object)) if (typeof v !== 'string') throw bad(`env.${k} must be a string`);
  }
  if (options.inheritEnv !== undefined) {
    if (!Array.isArray(options.inheritEnv)) throw bad('inheritEnv must be an array of variable names');
    for (const name of options.inheritEnv as unknown[])
      if (typeof name !== 'string' || !ENV_NAME.test(name)) throw bad(`inheritEnv: not a variable name: ${String(name)}`);
  }
  if (options.onOutput !== undefined && typeof options.onOutput !== 'function') throw bad('onOutput must be a function');
  if (options.sandbox !== undefined && typeof (options.sandbox as { args?: unknown } | null)?.args !== 'function')
    throw bad('sandbox must come from createKiloSandbox');
  return {
    binaryPath,
    config: options.config ?? { autoupdate: false, share: 'disabled' },
    workDir: options.workDir === undefined ? undefined : existingDir('workDir', options.workDir),
    port: int('port', options.port ?? 0, 0, 65535),
    password: options.password,
    sessionRetryLimit: int('sessionRetryLimit', options.sessionRetryLimit ?? 2, 0),
    inheritEnv: options.inheritEnv ?? [],
    env: options.env ?? {},
    startTimeoutMs: int('startTimeoutMs', options.startTimeoutMs ?? 20_000, 1),
    orphanGraceMs: int('orphanGraceMs', options.orphanGraceMs ?? 1500, 0),
    keepTempDir: options.keepTempDir ?? false,
    tempParent: options.tempParent === undefined ? undefined : existingDir('tempParent', options.tempParent),
    onOutput: options.onOutput,
    sandbox: options.sandbox,
  };
}
