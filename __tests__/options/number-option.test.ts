import { durationOption, integerOption } from '../../src/options/number-option';

describe('integerOption and durationOption: one rule for numeric options', () => {
  it.each([
    [() => integerOption('createX', 'size', 0), 'createX: size must be an integer >= 1, got 0'],
    [() => integerOption('createX', 'size', 1.5), 'createX: size must be an integer >= 1, got 1.5'],
    [() => integerOption('createX', 'port', 70_000, 0, 65_535), 'createX: port must be an integer from 0 to 65535, got 70000'],
    [() => integerOption('createX', 'size', '3' as unknown as number), 'createX: size must be an integer >= 1, got 3'],
    [() => durationOption('createX', 'ttlMs', 0), 'createX: ttlMs must be a number > 0, got 0'],
    [() => durationOption('createX', 'ttlMs', Number.NaN), 'createX: ttlMs must be a number > 0, got NaN'],
    [() => durationOption('createX', 'retentionMs', -1, true), 'createX: retentionMs must be a number >= 0, got -1'],
  ])('misuse is a RangeError saying what to pass (%#)', (call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });

  it('a good value is returned as it is', () => {
    expect(integerOption('createX', 'size', 5)).toBe(5);
    expect(integerOption('createX', 'port', 0, 0, 65_535)).toBe(0);
    expect(durationOption('createX', 'ttlMs', 0.5)).toBe(0.5);
    expect(durationOption('createX', 'retentionMs', 0, true)).toBe(0);
  });
});
