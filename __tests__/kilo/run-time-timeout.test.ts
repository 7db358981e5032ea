import { readCpuWait, setRunTimeTimeout } from '../../src/kilo/run-time-timeout';

describe('setRunTimeTimeout', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Fires a timer whose process waited for a CPU `share` of each wall millisecond; returns when (ms) it fired. */
  function firedAt(ms: number, share: number | undefined, maxWallMs?: number): number {
    const start = performance.now();
    const readWait = () => (share === undefined ? undefined : (performance.now() - start) * share * 1e6);
    let at = -1;
    setRunTimeTimeout(1234, ms, () => (at = performance.now() - start), { readWait, ...(maxWallMs ? { maxWallMs } : {}) });
    for (let i = 0; i < 20_000 && at < 0; i++) jest.advanceTimersByTime(1);
    return at;
  }

  it('fires after ms when the process never waited for a CPU, or when the wait cannot be read', () => {
    expect(firedAt(3000, 0)).toBe(3000);
    expect(firedAt(3000, undefined)).toBe(3000);
  });

  it('adds the time the process waited for a CPU: at a 3/4 share of waiting, 3000 ms take ~12 000 ms', () => {
    const at = firedAt(3000, 0.75);
    expect(at).toBeGreaterThanOrEqual(12_000);
    expect(at).toBeLessThanOrEqual(12_010);
  });

  it('fires at maxWallMs (default 10 × ms) however long the process waits', () => {
    expect(firedAt(500, 1)).toBe(5000);
    expect(firedAt(500, 0.99, 2000)).toBe(2000);
  });

  it('does not fire once cancelled', () => {
    const fire = jest.fn();
    const cancel = setRunTimeTimeout(1234, 100, fire, { readWait: () => 0 });
    jest.advanceTimersByTime(50);
    cancel();
    jest.advanceTimersByTime(10_000);
    expect(fire).not.toHaveBeenCalled();
  });
});

describe('readCpuWait', () => {
  it('reads the wait of a live process on Linux and nothing for a pid that does not exist', () => {
    const wait = readCpuWait(process.pid);
    if (process.platform === 'linux') expect(wait).toBeGreaterThanOrEqual(0);
    else expect(wait).toBeUndefined();
    expect(readCpuWait(2 ** 22 + 1)).toBeUndefined();
  });
});
