import type { IncomingMessage } from 'node:http';
import { createClientAddress, socketAddress } from '../../src/server/client-address';

const req = (remoteAddress: string, xff?: string | string[]) =>
  ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('createClientAddress', () => {
  const behindNginx = createClientAddress(['127.0.0.1', '10.0.0.2']);

  it.each([
    ['a direct client: its own address, whatever header it sends', req('203.0.113.9', '1.2.3.4'), '203.0.113.9'],
    ['through a trusted proxy: the client it names', req('127.0.0.1', '198.51.100.7'), '198.51.100.7'],
    ['through two trusted proxies: the rightmost untrusted hop', req('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.0.0.2'), '198.51.100.7'],
    ['a client lying in the header gets the hop the proxy added', req('::ffff:127.0.0.1', 'spoofed, 198.51.100.8'), '198.51.100.8'],
    ['headers repeated are read as one list', req('127.0.0.1', ['198.51.100.1', '198.51.100.2']), '198.51.100.2'],
    ['a trusted proxy without the header: the proxy', req('127.0.0.1'), '127.0.0.1'],
    ['only trusted hops: the first of them', req('127.0.0.1', '10.0.0.2'), '10.0.0.2'],
  ])('%s', (_what, r, expected) => {
    expect(behindNginx(r)).toBe(expected);
  });

  it('the default is the peer address, and misuse is a TypeError', () => {
    expect(socketAddress(req('127.0.0.5', '1.1.1.1'))).toBe('127.0.0.5');
    expect(() => createClientAddress('127.0.0.1' as unknown as string[])).toThrow(TypeError);
  });
});
