// Issue 25 over real sockets, in process: the security headers on every kind of answer, the
// dashboard's sign-in (POST /login, stateless cookies that no flood of sign-ins can evict, a rate
// for successful sign-ins), `Secure` behind a trusted TLS proxy only, and 413 payload_too_large.
import http from 'node:http';
import { createManagedAgent } from '../../src/agent/create-managed-agent';
import { createRateLimiter } from '../../src/server/create-rate-limiter';
import { createClientAddress } from '../../src/server/client-address';
import { createSecurityHeaders } from '../../src/server/create-security-headers';
import { createTokenAuth, type TokenAuthOptions } from '../../src/server/create-token-auth';
import { createRequestIsHttps } from '../../src/server/request-is-https';
import type { ControlServerOptions } from '../../src/server/create-control-server';
import { startTestControlServer, type TestControlServer } from '../helpers/test-control-server';
import { openSse } from '../helpers/sse-client';
import { Subject } from 'rxjs';
import type { KiloEvent } from '../../src/kilo/kilo-event-types';

jest.setTimeout(60_000);

const TOKEN = 'full-token-0123456789abcdef';
const WATCH = 'watch-token-0123456789abcdef';
const bearer = { Authorization: `Bearer ${TOKEN}` };

const servers: TestControlServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(auth: Partial<TokenAuthOptions> = {}, options: ControlServerOptions = {}) {
  const a = createTokenAuth({ token: TOKEN, watchToken: WATCH, ...auth });
  const t = await startTestControlServer({ authorize: a.authorize, login: a.login, identify: a.identify, ...options });
  servers.push(t);
  return t;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  code?: string;
}

/** A raw request (any Host, Origin, source address), on a fresh connection. */
function request(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
  localAddress?: string,
): Promise<Answer> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, localAddress, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        } catch {
          code = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: text, code });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'Content-Type': 'application/json' };
const signIn = (base: string, token: string, extra: Record<string, string> = {}, localAddress?: string) =>
  request(base, 'POST', '/login', { ...json, ...extra }, JSON.stringify({ token }), localAddress);
const cookieOf = (a: Answer) => String(a.headers['set-cookie']?.[0] ?? '').split(';')[0]!;

describe('security headers (finding 3: clickjacking; nosniff, referrer, CSP)', () => {
  const expectHeaders = (what: string, a: Answer, frame = "frame-ancestors 'none'") => {
    const csp = String(a.headers['content-security-policy']);
    expect([what, csp.includes(frame), csp.includes("script-src 'self'"), csp.includes("default-src 'self'")]).toEqual([
      what,
      true,
      true,
      true,
    ]);
    expect([what, a.headers['x-content-type-options'], a.headers['referrer-policy']]).toEqual([what, 'nosniff', 'no-referrer']);
  };

  it('every kind of answer carries them: page, JSON, 404, guard 403, stream errors, the stream itself, sign-in', async () => {
    const t = await start();
    const { port } = new URL(t.url);
    const ticket = JSON.parse((await request(t.url, 'POST', '/agents/a1/stream-ticket', bearer)).body) as { streamUrl: string };
    const answers: [string, Answer][] = [
      ['page', await request(t.url, 'GET', '/')],
      ['JSON', await request(t.url, 'GET', '/agents', bearer)],
      ['401', await request(t.url, 'GET', '/agents')],
      ['404', await request(t.url, 'GET', '/nowhere')],
      ['guard 403', await request(t.url, 'GET', '/healthz', { Host: `rebind.example:${port}` })],
      ['stream 401', await request(t.url, 'GET', '/agents/a1/stream?ticket=2c6c2b4e-4f8e-4a59-9a0c-5d5b8f0e9a11')],
      ['stream 400', await request(t.url, 'GET', '/agents/a1/stream')],
      ['sign-in 401', await signIn(t.url, 'not-the-token-0123456789')],
      ['sign-in 200', await signIn(t.url, WATCH)],
    ];
    for (const [what, a] of answers) {
      expectHeaders(what, a);
      expect([what, a.headers['x-frame-options']]).toEqual([what, 'DENY']);
    }
    const v = await openSse(`${t.url}${ticket.streamUrl}`);
    try {
      expect(v.status).toBe(200);
      expectHeaders('stream 200', { status: v.status, headers: v.headers, body: '' });
      expect(v.headers['content-type']).toMatch(/^text\/event-stream/);
    } finally {
      v.close();
    }
  });

  it('allowFrameOrigins names who may frame the pages (no X-Frame-Options then); anything but an origin is a TypeError', async () => {
    const t = await start({}, { allowFrameOrigins: ['https://portal.example'] });
    const a = await request(t.url, 'GET', '/');
    expectHeaders('framed', a, 'frame-ancestors https://portal.example');
    expect(a.headers['x-frame-options']).toBeUndefined();
    for (const bad of ['portal.example', 'https://portal.example/path', 'javascript:alert(1)', "'self'"])
      expect(() => createSecurityHeaders({ frameAncestors: [bad] })).toThrow(TypeError);
  });
});

describe('the dashboard sign-in (findings 5, 6, 7)', () => {
  it('POST /login: JSON answers the role and sets an HttpOnly SameSite=Strict signed cookie; a form gets 303; a wrong token 401', async () => {
    const t = await start();
    const ok = await signIn(t.url, TOKEN);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ role: 'operator', expiresAt: expect.any(String) });
    const setCookie = String(ok.headers['set-cookie']);
    expect(setCookie).toMatch(
      /^agent_stream_session_\d+=v1\.[\w-]{8}\.o\.\d+\.[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/,
    );
    expect(setCookie).not.toContain(TOKEN);
    expect(ok.headers['cache-control']).toBe('no-store');
    const session = { Cookie: cookieOf(ok) };
    expect((await request(t.url, 'GET', '/agents', session)).status).toBe(200);
    expect((await request(t.url, 'POST', '/agents/a1/disconnect-viewers', session)).status).toBe(202);

    const form = await request(t.url, 'POST', '/login', { 'Content-Type': 'application/x-www-form-urlencoded' }, `token=${WATCH}`);
    expect([form.status, form.headers.location]).toEqual([303, './']);
    const watcher = { Cookie: cookieOf(form) };
    expect((await request(t.url, 'GET', '/agents', watcher)).status).toBe(200);
    expect((await request(t.url, 'POST', '/agents/a1/disconnect-viewers', watcher)).status).toBe(403);

    const wrong = await signIn(t.url, 'not-the-token-0123456789');
    expect([wrong.status, wrong.code, wrong.headers['set-cookie']]).toEqual([401, 'unauthenticated', undefined]);
    for (const [body, type] of [
      ['{"token":', 'application/json'],
      ['{}', 'application/json'],
      [`token=${TOKEN}`, 'text/plain'],
    ]) {
      const r = await request(t.url, 'POST', '/login', { 'Content-Type': type }, body);
      expect([body, r.status, r.code]).toEqual([body, 400, 'bad_request']);
    }
    const get = await request(t.url, 'GET', '/login');
    expect([get.status, get.code, get.headers.allow]).toEqual([405, 'method_not_allowed', 'POST']);
  });

  it('a sign-in from another origin is refused (403 forbidden_origin); from the page’s own origin it works', async () => {
    const t = await start();
    const foreign = await signIn(t.url, TOKEN, { Origin: 'http://evil.example' });
    expect([foreign.status, foreign.code, foreign.headers['set-cookie']]).toEqual([403, 'forbidden_origin', undefined]);
    const nul = await signIn(t.url, TOKEN, { Origin: 'null' });
    expect([nul.status, nul.code]).toEqual([403, 'forbidden_origin']);
    expect((await signIn(t.url, TOKEN, { Origin: t.url })).status).toBe(200);
  });

  it('10 001 watch sign-ins (the old session table held 10 000) leave the operator signed in', async () => {
    // Sign-ins unlimited here, to show there is nothing to evict; the default rate is the next test.
    const t = await start({ signIns: createRateLimiter({ burst: 1_000_000, perSecond: 1 }) });
    const operator = { Cookie: cookieOf(await signIn(t.url, TOKEN)) };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const { port } = new URL(t.url);
    const one = () =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/login', headers: json, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ token: WATCH }));
      });
    let next = 0;
    const statuses = new Map<number, number>();
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 10_001) {
          next++;
          const s = await one();
          statuses.set(s, (statuses.get(s) ?? 0) + 1);
        }
      }),
    );
    agent.destroy();
    expect(Object.fromEntries(statuses)).toEqual({ 200: 10_001 });
    process.stderr.write(`10 001 sign-ins in ${Date.now() - t0} ms\n`);
    expect((await request(t.url, 'GET', '/agents', operator)).status).toBe(200);
    expect((await request(t.url, 'POST', '/agents/a1/disconnect-viewers', operator)).status).toBe(202);
  });

  it('successful sign-ins are rate-limited per client address (429 + Retry-After); other addresses and signed-in sessions are untouched', async () => {
    const t = await start();
    const operator = { Cookie: cookieOf(await signIn(t.url, TOKEN, {}, '127.0.0.31')) };
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 15; i++) {
      last = await signIn(t.url, WATCH, {}, '127.0.0.32');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(10).fill(200), ...Array(5).fill(429)]);
    expect([last!.code, Number(last!.headers['retry-after']) >= 1]).toEqual(['rate_limited', true]);
    expect((await signIn(t.url, TOKEN, {}, '127.0.0.33')).status).toBe(200);
    expect((await request(t.url, 'POST', '/agents/a1/disconnect-viewers', operator)).status).toBe(202);
  });

  it('a cookie from one server works on another with the same tokens, and no longer once the token changed', async () => {
    const a = await start();
    const b = await start();
    const c = await start({ token: `${TOKEN}-rotated` });
    const cookie = cookieOf(await signIn(a.url, TOKEN));
    // The cookie's name carries the port the browser used (one public host:port behind a balancer).
    const asBrowser = { Host: new URL(a.url).host, Cookie: cookie };
    expect((await request(b.url, 'GET', '/agents', asBrowser)).status).toBe(200);
    expect((await request(c.url, 'GET', '/agents', asBrowser)).status).toBe(401);
  });

  it('Secure on the cookie behind HTTPS: from a trusted proxy saying X-Forwarded-Proto: https only', async () => {
    const trusted = ['127.0.0.1'];
    const t = await start({ clientAddress: createClientAddress(trusted), isHttps: createRequestIsHttps(trusted) });
    const secure = (a: Answer) => /; Secure$/.test(String(a.headers['set-cookie']));
    expect(secure(await signIn(t.url, TOKEN, { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '198.51.100.7' }, '127.0.0.1'))).toBe(true);
    expect(secure(await signIn(t.url, TOKEN, { 'X-Forwarded-Proto': 'http' }, '127.0.0.1'))).toBe(false);
    expect(secure(await signIn(t.url, TOKEN, {}, '127.0.0.1'))).toBe(false);
    // Not a trusted proxy: its claim is ignored.
    expect(secure(await signIn(t.url, TOKEN, { 'X-Forwarded-Proto': 'https' }, '127.0.0.41'))).toBe(false);
    const old = await request(t.url, 'GET', `/?token=${TOKEN}`, { 'X-Forwarded-Proto': 'https' }, undefined, '127.0.0.1');
    expect([old.status, secure(old)]).toEqual([302, true]);
  });
});

describe('413 (finding 7)', () => {
  it('a JSON body over the limit answers 413 payload_too_large, on the API and on the sign-in', async () => {
    const t = await start();
    t.server.registry.add(createManagedAgent({ agentId: 'a2', events: new Subject<KiloEvent>() }));
    const big = JSON.stringify({ text: 'x'.repeat(300 * 1024) });
    const api = await request(t.url, 'POST', '/agents/a2/prompt', { ...json, ...bearer }, big);
    expect([api.status, api.code]).toEqual([413, 'payload_too_large']);
    const login = await request(t.url, 'POST', '/login', json, JSON.stringify({ token: 'x'.repeat(5000) }));
    expect([login.status, login.code]).toEqual([413, 'payload_too_large']);
  });
});
