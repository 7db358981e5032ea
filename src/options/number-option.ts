/**
 * `v` when it is an integer in [`min`, `max`]; else a `RangeError` saying what to pass, e.g.
 * `createEventHistory: historySize must be an integer >= 1, got 0`.
 *
 * ## Example
 * ```ts
 * const size = integerOption('createEventHistory', 'historySize', options.historySize ?? 10_000);
 * ```
 */
export function integerOption(where: string, name: string, v: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`${where}: ${name} must be an integer ${range}, got ${String(v)}`);
  }
  return v;
}

/**
 * `v` when it is a finite number above 0 (or at least 0 with `orZero`); else a `RangeError`
 * saying what to pass, e.g. `kiloEvents: maxDelayMs must be a number > 0, got -1`.
 *
 * ## Example
 * ```ts
 * const ttlMs = durationOption('createMemoryTicketStore', 'ttlMs', options.ttlMs ?? 60_000);
 * ```
 */
export function durationOption(where: string, name: string, v: number, orZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!orZero && v === 0)) {
    throw new RangeError(`${where}: ${name} must be a number ${orZero ? '>= 0' : '> 0'}, got ${String(v)}`);
  }
  return v;
}
