import { readFileSync, statSync } from 'node:fs';

/**
 * The content of a secret file (a token file), refused when others may read it: like ssh's keys,
 * the file must be a regular file no group or other user can access (`chmod 600`). Throws an
 * `Error` saying what is wrong.
 *
 * ## Example
 * ```ts
 * const token = readSecretFile('/etc/agent-stream/token').trim();
 * ```
 */
export function readSecretFile(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isFile()) throw new Error(`${path} is not a file`);
  if ((st.mode & 0o077) !== 0) throw new Error(`${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 ${path}`);
  return readFileSync(path, 'utf8');
}
