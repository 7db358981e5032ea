// The dashboard's stateless session cookies (issue 25, finding 5): signed with a key derived from
// the tokens, so any node with the same tokens accepts them and a restart keeps them; a changed
// token, a forged or altered value, or an expired one is refused.
import fc from 'fast-check';
import type { IncomingMessage } from 'node:http';
import { createSessionCookies } from '../../src/server/create-session-cookies';
import { createRequestIsHttps } from '../../src/server/request-is-https';

const TOKEN = 'full-token-0123456789abcdef';
const WATCH = 'watch-token-0123456789abcdef';

describe('createSessionCookies', () => {
  it('a cookie minted by one instance is accepted by another with the same secrets (another node, or after a restart)', () => {
    const node1 = createSessionCookies({ secrets: [TOKEN, WATCH] });
    const node2 = createSessionCookies({ secrets: [TOKEN, WATCH] });
    const operator = node1.mint('operator').value;
    const watcher = node1.mint('watcher').value;
    expect([node2.verify(operator), node2.verify(watcher)]).toEqual(['operator', 'watcher']);
    expect(node2.keyId).toBe(node1.keyId);
    expect(operator).toMatch(/^v1\.[\w-]{8}\.o\.\d+\.[\w-]{43}$/);
    expect(operator).not.toContain(TOKEN);
  });

  it('changing either token invalidates every cookie signed before (revocation)', () => {
    const before = createSessionCookies({ secrets: [TOKEN, WATCH] }).mint('operator').value;
    for (const secrets of [[`${TOKEN}x`, WATCH], [TOKEN, `${WATCH}x`], [TOKEN], [WATCH, TOKEN]]) {
      expect([secrets, createSessionCookies({ secrets }).verify(before)]).toEqual([secrets, null]);
    }
  });

  it('expires on the wall clock (the same on every node)', () => {
    let now = 1_000_000_000_000;
    const s = createSessionCookies({ secrets: [TOKEN], ttlMs: 60_000, now: () => now });
    const { value, maxAgeSeconds, expiresAt } = s.mint('watcher');
    expect([maxAgeSeconds, expiresAt.getTime()]).toEqual([60, now + 60_000]);
    now += 59_000;
    expect(s.verify(value)).toBe('watcher');
    now += 1_000;
    expect(s.verify(value)).toBeNull();
  });

  it('a watcher cannot promote its cookie: any changed character is refused (property)', () => {
    const s = createSessionCookies({ secrets: [TOKEN, WATCH] });
    const value = s.mint('watcher').value;
    expect(s.verify(value.replace('.w.', '.o.'))).toBeNull();
    fc.assert(
      fc.property(
        fc.nat({ max: value.length - 1 }),
        fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.'),
        (i, c) => {
          fc.pre(value[i] !== c);
          expect(s.verify(value.slice(0, i) + c + value.slice(i + 1))).toBeNull();
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (junk) => {
        expect(s.verify(junk)).toBeNull();
      }),
    );
    expect([s.verify(undefined), s.verify(`${value}.x`), s.verify(value + 'A'.repeat(300))]).toEqual([null, null, null]);
  });

  it('validates its options', () => {
    expect(() => createSessionCookies({ secrets: [] })).toThrow(TypeError);
    expect(() => createSessionCookies({ secrets: ['short'] })).toThrow(TypeError);
    expect(() => createSessionCookies({ secrets: [TOKEN], ttlMs: 10 })).toThrow(RangeError);
  });
});

describe('createRequestIsHttps', () => {
  const req = (remoteAddress: string, proto?: string, encrypted = false) =>
    ({
      socket: { remoteAddress, encrypted },
      headers: proto === undefined ? {} : { 'x-forwarded-proto': proto },
    }) as unknown as IncomingMessage;
  const isHttps = createRequestIsHttps(['127.0.0.1']);
  it.each([
    ['a TLS socket', req('203.0.113.9', undefined, true), true],
    ['a trusted proxy saying https', req('::ffff:127.0.0.1', 'https'), true],
    ['a trusted proxy chain: the first entry (what the browser used)', req('127.0.0.1', 'https, http'), true],
    ['a trusted proxy saying http', req('127.0.0.1', 'http'), false],
    ['a direct client claiming https', req('127.0.0.2', 'https'), false],
    ['a trusted proxy without the header', req('127.0.0.1'), false],
  ])('%s', (_what, r, expected) => {
    expect(isHttps(r)).toBe(expected);
  });
});
