// redis+sentinel:// URLs: parsed into sentinels, master name and the data nodes' credentials; anything else refused.
import { isSentinelUrl, parseSentinelUrl } from '../../src/redis/connect-redis-sentinel';
import { connectRedis } from '../../src/redis/redis-connection';

describe('parseSentinelUrl', () => {
  it('reads the sentinels (port 26379 by default), the master name and percent-encoded credentials', () => {
    expect(parseSentinelUrl('redis+sentinel://10.0.0.1:26380,sentinel-b,[::1]:26381/mymaster')).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26380 },
        { host: 'sentinel-b', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      username: undefined,
      password: undefined,
    });
    expect(parseSentinelUrl('redis+sentinel://agent-stream:p%40ss@127.0.0.1:26379/m')).toMatchObject({
      username: 'agent-stream',
      password: 'p@ss',
    });
    expect(parseSentinelUrl('redis+sentinel://:secret@127.0.0.1/m')).toMatchObject({ username: undefined, password: 'secret' });
    expect(isSentinelUrl('redis+sentinel://a/m')).toBe(true);
    expect(isSentinelUrl('redis://a:6379')).toBe(false);
  });

  it.each([
    'redis+sentinel://127.0.0.1:26379',
    'redis+sentinel://127.0.0.1:26379/',
    'redis+sentinel:///m',
    'redis+sentinel://127.0.0.1:99999/m',
    'redis+sentinel://127.0.0.1:26379,/m',
    'redis+sentinel://a b/m',
    'redis+sentinel://127.0.0.1/m/extra',
  ])('refuses %s with a TypeError', (url) => {
    expect(() => parseSentinelUrl(url)).toThrow(TypeError);
  });

  it('connectRedis refuses a bad Sentinel URL, and TLS options with one, before connecting', async () => {
    await expect(connectRedis('redis+sentinel://127.0.0.1:26379', () => undefined)).rejects.toThrow(TypeError);
    await expect(connectRedis('redis+sentinel://127.0.0.1:26379/m', () => undefined, { tls: {} })).rejects.toThrow(/tls/);
  });
});
