import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The path of the real kilo binary (not the `node_modules/.bin/kilo` Node wrapper, whose
 * SIGKILL would leave the binary running): `$KILO_BIN_PATH` when set, else the first
 * installed `@kilocode/cli-<platform>-<arch>[-baseline][-musl]/bin/kilo`. `undefined` when none
 * is installed.
 *
 * ## Example
 * ```ts
 * const bin = resolveKiloBinary(); // '…/node_modules/@kilocode/cli-linux-x64/bin/kilo'
 * ```
 */
export function resolveKiloBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KILO_BIN_PATH) return env.KILO_BIN_PATH;
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const base = `@kilocode/cli-${platform}-${process.arch}`;
  const exe = platform === 'windows' ? 'kilo.exe' : 'kilo';
  for (const name of [base, `${base}-baseline`, `${base}-musl`, `${base}-baseline-musl`]) {
    let pkg: string;
    try {
      pkg = require.resolve(`${name}/package.json`);
    } catch {
      continue;
    }
    const bin = join(dirname(pkg), 'bin', exe);
    if (existsSync(bin)) return bin;
  }
  return undefined;
}
