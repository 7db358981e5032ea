import { USAGE, UsageError, parseServeArgs } from '../../src/cli/parse-serve-args';
import { DEFAULT_FLUSH_INTERVAL_MS } from '../../src/server/frame-batches';

const KILO = ['serve', '--kilo-url', 'http://127.0.0.1:4096'];

describe('parseServeArgs: the multi-node flags', () => {
  it('takes --redis-url (or AGENT_STREAM_REDIS_URL), --node-id and repeated --trust-proxy with --kilo-url', () => {
    const a = parseServeArgs([
      ...KILO,
      '--redis-url',
      'redis://127.0.0.1:6379',
      '--node-id',
      'n1',
      '--trust-proxy',
      '127.0.0.1',
      '--trust-proxy=::1',
    ]);
    expect(a).toMatchObject({ mode: 'kilo', redisUrl: 'redis://127.0.0.1:6379', nodeId: 'n1', trustProxies: ['127.0.0.1', '::1'] });
    expect(parseServeArgs(KILO, { AGENT_STREAM_REDIS_URL: 'rediss://redis.internal:6380' }).redisUrl).toBe('rediss://redis.internal:6380');
    expect(parseServeArgs(['serve']).trustProxies).toEqual([]);
  });

  it('takes --redis-url with --spawn and --demo (their agents are pinned to the node holding their kilo)', () => {
    expect(parseServeArgs(['serve', '--spawn', '--redis-url', 'redis://127.0.0.1:6379', '--node-id', 'a'])).toMatchObject({
      mode: 'spawn',
      redisUrl: 'redis://127.0.0.1:6379',
      nodeId: 'a',
    });
    expect(parseServeArgs(['serve', '--demo', '--redis-url', 'redis://127.0.0.1:6379'])).toMatchObject({ mode: 'demo' });
    expect(parseServeArgs(['serve', '--redis-url', 'redis://127.0.0.1:6379'])).toMatchObject({ mode: 'demo' });
  });

  it('takes repeated --allow-kilo-url with --redis-url (none by default)', () => {
    const redis = [...KILO, '--redis-url', 'redis://127.0.0.1:6379'];
    expect(parseServeArgs(redis).allowKiloUrls).toEqual([]);
    expect(
      parseServeArgs([...redis, '--allow-kilo-url', 'http://10.0.0.5:4096', '--allow-kilo-url=https://kilo.internal/a']).allowKiloUrls,
    ).toEqual(['http://10.0.0.5:4096', 'https://kilo.internal/a']);
  });

  it('takes --history-size with --redis-url (the default bound otherwise)', () => {
    const redis = [...KILO, '--redis-url', 'redis://127.0.0.1:6379'];
    expect(parseServeArgs(redis).historySize).toBeUndefined();
    expect(parseServeArgs([...redis, '--history-size', '500']).historySize).toBe(500);
  });

  it.each([
    [[...KILO, '--redis-url', 'http://127.0.0.1:6379'], /--redis-url needs a URL like redis:/],
    [[...KILO, '--node-id', 'n1'], /--node-id goes with --redis-url/],
    [[...KILO, '--history-size', '50'], /--history-size goes with --redis-url/],
    [[...KILO, '--redis-url', 'redis://h:1', '--history-size', '0'], /--history-size/],
    [[...KILO, '--redis-url', 'redis://h:1', '--history-size', 'many'], /--history-size/],
    [[...KILO, '--redis-url', 'redis://h:1', '--node-id', 'a b'], /--node-id needs a name/],
    [['serve', '--trust-proxy', 'nginx.local'], /--trust-proxy needs an IP address/],
    [['serve', '--trust-proxy'], /--trust-proxy needs a value/],
    [[...KILO, '--allow-kilo-url', 'http://10.0.0.5:4096'], /--allow-kilo-url goes with --redis-url/],
    [[...KILO, '--redis-url', 'redis://h:1', '--allow-kilo-url', 'ftp://10.0.0.5'], /--allow-kilo-url needs an http\(s\) URL/],
    [[...KILO, '--redis-url', 'redis://h:1', '--allow-kilo-url', 'http://u:p@10.0.0.5'], /--allow-kilo-url needs an http\(s\) URL/],
    [[...KILO, '--redis-url', 'redis://h:1', '--allow-kilo-url'], /--allow-kilo-url needs a value/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseServeArgs(argv)).toThrow(UsageError);
    expect(() => parseServeArgs(argv)).toThrow(message);
  });
});

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

describe('parseServeArgs: the trust-boundary flags (issue 25)', () => {
  it('takes repeated --allow-frame-origin and --max-connections-per-address', () => {
    const a = parseServeArgs([
      'serve',
      '--allow-frame-origin',
      'https://portal.example',
      '--allow-frame-origin=http://127.0.0.1:9000',
      '--max-connections-per-address',
      '64',
    ]);
    expect(a).toMatchObject({ allowFrameOrigins: ['https://portal.example', 'http://127.0.0.1:9000'], maxConnectionsPerAddress: 64 });
    const defaults = parseServeArgs(['serve']);
    expect([defaults.allowFrameOrigins, defaults.maxConnectionsPerAddress]).toEqual([[], undefined]);
    expect(USAGE).toContain('[--allow-frame-origin URL]');
    expect(USAGE).toContain('[--max-connections-per-address N]');
  });

  it.each([
    [['serve', '--allow-frame-origin', 'portal.example'], /--allow-frame-origin needs an origin/],
    [['serve', '--allow-frame-origin', 'https://portal.example/app'], /--allow-frame-origin needs an origin/],
    [['serve', '--allow-frame-origin', 'javascript:alert(1)'], /--allow-frame-origin needs an origin/],
    [['serve', '--max-connections-per-address', '0'], /--max-connections-per-address needs an integer/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseServeArgs(argv)).toThrow(UsageError);
    expect(() => parseServeArgs(argv)).toThrow(message);
  });
});
