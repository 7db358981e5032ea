import { USAGE, UsageError, parseServeArgs } from '../../src/cli/parse-serve-args';
import { DEFAULT_FLUSH_INTERVAL_MS } from '../../src/server/frame-batches';

describe('parseServeArgs --flush-interval-ms', () => {
  it('defaults to the library default frame window', () => {
    expect(parseServeArgs(['serve']).flushIntervalMs).toBe(DEFAULT_FLUSH_INTERVAL_MS);
  });

  it.each([
    [['serve', '--flush-interval-ms', '0'], 0],
    [['serve', '--flush-interval-ms=33'], 33],
    [['serve', '--flush-interval-ms', '1000'], 1000],
  ])('takes %j', (argv, ms) => {
    expect(parseServeArgs(argv).flushIntervalMs).toBe(ms);
  });

  it.each(['-1', '1001', '1.5', 'soon', ''])('refuses %j with a usage error naming the flag', (value) => {
    expect(() => parseServeArgs(['serve', '--flush-interval-ms', value])).toThrow(UsageError);
    expect(() => parseServeArgs(['serve', `--flush-interval-ms=${value}`])).toThrow(/--flush-interval-ms/);
  });

  it('is in the usage text', () => {
    expect(USAGE).toContain('[--flush-interval-ms 16]');
  });
});
