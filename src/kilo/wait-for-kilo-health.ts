import { setTimeout as sleep } from 'node:timers/promises';
import { kiloAuthorization } from './kilo-authorization';

export interface WaitForKiloHealthOptions {
  /** Basic auth password (user `kilo`). */
  password?: string;
  /** Give up at this time (ms since epoch). */
  deadline: number;
  /** Pause between tries. Default 100 ms. */
  intervalMs?: number;
  /** Stops waiting (resolves false). */
  signal?: AbortSignal;
}

/**
 * Polls `GET {url}/global/health` until it answers `{healthy: true}` (true), or the deadline
 * passes or `signal` aborts (false). Never throws.
 *
 * ## Example
 * ```ts
 * const ok = await waitForKiloHealth('http://127.0.0.1:4096', { deadline: Date.now() + 5000 });
 * ```
 */
export async function waitForKiloHealth(url: string, options: WaitForKiloHealthOptions): Promise<boolean> {
  const authorization = kiloAuthorization(options.password);
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
  const interval = options.intervalMs ?? 100;
  // Bounded: every pass waits at least `interval` and the deadline ends the loop.
  while (Date.now() < options.deadline && !options.signal?.aborted) {
    const left = options.deadline - Date.now();
    const signals = [AbortSignal.timeout(Math.max(1, Math.min(2000, left)))];
    if (options.signal) signals.push(options.signal);
    try {
      const res = await fetch(`${url}/global/health`, { headers, signal: AbortSignal.any(signals) });
      const body = (await res.json().catch(() => null)) as { healthy?: unknown } | null;
      if (res.ok && body?.healthy === true) return true;
    } catch {
      /* not up yet */
    }
    try {
      await sleep(interval, undefined, options.signal ? { signal: options.signal } : undefined);
    } catch {
      return false;
    }
  }
  return false;
}
