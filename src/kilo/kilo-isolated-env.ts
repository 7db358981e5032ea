import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResolvedLaunchKiloOptions } from './launch-kilo-options';

/** Names passed on from the parent's environment by default: the command search path and the locale. */
const BASE_ALLOWLIST = /^(PATH|LANG|LANGUAGE|LC_[A-Z_]+|TZ)$/;

/**
 * The environment of an isolated kilo serve, built from an allowlist, never the parent's whole
 * environment (kilo's bash tool would hand every secret in it to the model): `PATH`, the locale
 * (`LANG`, `LANGUAGE`, `LC_*`, `TZ`) and the names in `o.inheritEnv`, as far as the parent has
 * them; then HOME, every XDG dir and TMPDIR in private folders (0700) under `root`, models fetch,
 * autoupdate and telemetry off, the session retry limit, the bundled tree-sitter WASM dir (as
 * the npm wrapper sets it), the password, and last `o.env`.
 *
 * ## Example
 * ```ts
 * const env = kiloIsolatedEnv(resolveLaunchKiloOptions({ inheritEnv: ['HTTPS_PROXY'] }), '/tmp/x', '/tmp/x/home');
 * ```
 */
export function kiloIsolatedEnv(o: ResolvedLaunchKiloOptions, root: string, homeDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const named = new Set(o.inheritEnv);
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (BASE_ALLOWLIST.test(k) || named.has(k))) env[k] = v;
  const dir = (name: string) => {
    const p = join(root, name);
    mkdirSync(p, { recursive: true, mode: 0o700 });
    return p;
  };
  const wasm = join(dirname(o.binaryPath), 'tree-sitter');
  // Never the user's own config: the isolation settings win over anything inherited.
  Object.assign(env, {
    HOME: homeDir,
    XDG_CONFIG_HOME: dir('config'),
    XDG_DATA_HOME: dir('data'),
    XDG_CACHE_HOME: dir('cache'),
    XDG_STATE_HOME: dir('state'),
    XDG_RUNTIME_DIR: dir('runtime'),
    TMPDIR: dir('tmp'),
    KILO_DISABLE_MODELS_FETCH: '1',
    KILO_DISABLE_AUTOUPDATE: '1',
    KILO_TELEMETRY_LEVEL: 'off',
    KILO_SESSION_RETRY_LIMIT: String(o.sessionRetryLimit),
    ...(existsSync(join(wasm, 'tree-sitter.wasm')) ? { KILO_TREE_SITTER_WASM_DIR: wasm } : {}),
    ...(o.password ? { KILO_SERVER_PASSWORD: o.password } : {}),
    ...o.env,
  });
  return env;
}
