// End to end, the browser side of docs/protocol.md §6 (issue 12): the built CLI with a token, real
// headless Chromium, and a page on another origin. The HTTP-level matrix (every route × every
// credential) is __tests__/server/security.test.ts; this file shows what a browser does:
// - the dashboard's `/?token=` sign-in (an HttpOnly session cookie, the token gone from the URL),
//   and a page without it that shows how to sign in instead of spinning;
// - a page on another loopback port (same site: SameSite=Strict does NOT keep the cookie off its
//   requests, Chromium sends it) cannot stop an agent, cut viewers, get a ticket or spawn;
// - a Host that is not allowed (DNS rebinding, emulated with --host-resolver-rules) is refused.
// One browser, two CLIs (the second with --allow-host) and one foreign server for the file; the
// tests run in order and share the signed-in context.
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Response as PageResponse } from 'playwright-core';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { CHROMIUM, CHROMIUM_ARGS, openViewer, waitUntil, type Viewer } from './browser-viewer';

const ROOT = path.join(__dirname, '..', '..');
const TOKEN = 'e2e-full-token-0123456789abcdef';
const COOKIE = 'agent_stream_session';
const SIGN_IN = 'Sign in: open the link with #token=… that agent-stream printed when it started';
/** Resolved to 127.0.0.1 by Chromium only (`--host-resolver-rules`): a rebinding attacker's name. */
const REBIND = 'rebind.test';

jest.setTimeout(30_000);

let cli: RunningCli | undefined; // --token
let cliAllowing: RunningCli | undefined; // --token --allow-host rebind.test
let browser: Browser | undefined;
let foreign: http.Server | undefined;
let foreignOrigin = '';
/** The signed-in context (the dashboard's cookie) and its pages. */
let signedIn: BrowserContext | undefined;
let signedOutPage: Page | undefined;
const agentListGets: number[] = [];
let viewer: Viewer | undefined;

const portOf = (u: string) => new URL(u).port;

interface Answer {
  status: number;
  body: string;
  code?: string;
  headers: http.IncomingHttpHeaders;
}

/** A raw request to the CLI (so Host, Origin and Cookie can be anything). */
function raw(target: RunningCli, method: string, route: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: portOf(target.url), method, path: route, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
        } catch {
          code = undefined;
        }
        resolve({ status: res.statusCode!, body, code, headers: res.headers });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${route}: no answer within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

const bearer = { Authorization: `Bearer ${TOKEN}` };
const demoAgent = async (target = cli!) =>
  JSON.parse((await raw(target, 'GET', '/agents/demo', bearer)).body) as { state: string; viewers: number };
async function ticketsIssued(): Promise<number> {
  const text = (await raw(cli!, 'GET', '/metrics', bearer)).body;
  const m = /^agent_stream_tickets_issued_total (\d+)$/m.exec(text);
  if (!m) throw new Error(`no agent_stream_tickets_issued_total in /metrics:\n${text.slice(0, 500)}`);
  return Number(m[1]);
}

/** The page of the other origin: nothing but a frame that form posts can target. */
const FOREIGN_PAGE = (meta = '') =>
  `<!doctype html><meta charset="utf-8">${meta}<title>elsewhere</title><h1>another site</h1><iframe name="sink" title="sink"></iframe>`;

async function stopCli(c: RunningCli | undefined): Promise<void> {
  const child = c?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((r) => (timer = setTimeout(r, 5000)));
  await Promise.race([c!.exited, late]);
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await c!.exited;
}

beforeAll(async () => {
  for (const built of ['dist/cli/main.js', 'dist/public/index.html']) {
    if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first (npm test does it)`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  foreign = http.createServer((req, res) => {
    const page = req.url === '/no-referrer' ? FOREIGN_PAGE('<meta name="referrer" content="no-referrer">') : FOREIGN_PAGE();
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(page);
  });
  await new Promise<void>((r) => foreign!.listen(0, '127.0.0.1', r));
  foreignOrigin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
  [browser, cli, cliAllowing] = await Promise.all([
    chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${REBIND} 127.0.0.1`],
      headless: true,
    }),
    startCli(['serve', '--port', '0', '--token', TOKEN]), // the demo, on loopback, with a token
    startCli(['serve', '--port', '0', '--token', TOKEN, '--allow-host', REBIND]),
  ]);
  expect(portOf(foreignOrigin)).not.toBe(portOf(cli.url));
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (foreign ? foreign.close(() => r()) : r()));
  await Promise.all([stopCli(cli), stopCli(cliAllowing)]);
});

describe('the dashboard sign-in', () => {
  it('without the token: the sign-in note, no agents, no stream, and no spinning (one GET /agents in 3 s)', async () => {
    signedIn = await browser!.newContext();
    signedOutPage = await signedIn.newPage();
    const page = signedOutPage;
    const statuses: number[] = [];
    let tickets = 0;
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.pathname === '/agents' && req.method() === 'GET') agentListGets.push(Date.now());
      if (u.pathname.endsWith('/stream-ticket')) tickets++;
    });
    page.on('response', (res) => {
      if (new URL(res.url()).pathname === '/agents') statuses.push(res.status());
    });
    const response = await page.goto(`${cli!.url}/?agent=demo`);
    expect(response?.status()).toBe(200); // the page itself is public; the data is not
    const note = page.locator('[data-testid=auth-needed]');
    await note.waitFor({ timeout: 5000 });
    expect(await note.innerText()).toBe(SIGN_IN);
    expect(await note.getAttribute('data-status')).toBe('401');
    await new Promise((r) => setTimeout(r, 3000));
    expect(agentListGets).toHaveLength(1); // slow polling (10 s): not the outage backoff
    expect(statuses).toEqual([401]);
    expect(await page.locator('button[data-agent-id]').count()).toBe(0);
    expect(await page.locator('[data-testid=agent-stream]').count()).toBe(0);
    expect(await page.locator('[data-testid=agents-reconnecting]').count()).toBe(0);
    expect(await page.locator('[data-testid=agent-list]').getAttribute('data-list-connection')).toBe('live');
    expect(tickets).toBe(0);
  });

  it('a wrong token answers 401 and sets no cookie', async () => {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      const response = await page.goto(`${cli!.url}/?token=not-the-token-0123456789`);
      expect(response?.status()).toBe(401);
      expect(response?.headers()['set-cookie']).toBeUndefined();
      expect(await context.cookies()).toEqual([]);
      expect(new URL(page.url()).searchParams.get('token')).toBe('not-the-token-0123456789'); // no redirect
    } finally {
      await context.close();
    }
  });

  it('/?token=T redirects to / without the token, sets an HttpOnly SameSite=Strict cookie; the list loads and demo streams', async () => {
    let redirect: Promise<{ status: number; location?: string; setCookie?: string }> | undefined;
    const onResponse = (res: PageResponse) => {
      if (new URL(res.url()).searchParams.has('token')) {
        redirect = res.allHeaders().then((h) => ({ status: res.status(), location: h.location, setCookie: h['set-cookie'] }));
      }
    };
    signedIn!.on('response', onResponse);
    const v = await openViewer(signedIn!, `${cli!.url}/?token=${TOKEN}`);
    signedIn!.off('response', onResponse);
    viewer = v;
    expect(redirect).toBeDefined();
    const login = await redirect!;
    expect(login).toMatchObject({ status: 302, location: '/' });
    expect(login.setCookie).toMatch(new RegExp(`^${COOKIE}_\\d+=v1\\.[A-Za-z0-9_.-]{20,}; HttpOnly; SameSite=Strict; Path=/`));
    expect(login.setCookie).not.toContain(TOKEN); // a signed session, not the token
    // Redirected to / without the token (the dashboard then adds the agent it opens, ?agent=demo).
    const landed = new URL(v.page.url());
    expect(`${landed.origin}${landed.pathname}`).toBe(`${cli!.url}/`);
    expect(landed.searchParams.has('token')).toBe(false);
    expect(await v.page.evaluate(() => document.cookie)).toBe(''); // HttpOnly: scripts cannot read it
    const cookies = await signedIn!.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: expect.stringMatching(new RegExp(`^${COOKIE}_\\d+$`)),
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
    });

    const button = v.page.locator('button[data-agent-id="demo"]');
    await button.waitFor({ timeout: 5000 });
    expect(await v.page.locator('[data-testid=auth-needed]').count()).toBe(0);
    await button.click();
    await v.page.locator('li[data-row-type=tool]').first().waitFor({ timeout: 15_000 });
    await v.page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 5000 });
    expect(v.ticketRequests()).toBe(1);
    expect(v.streams.map((s) => s.status)).toEqual([200]);
    expect(v.pageErrors).toEqual([]);
  });

  it('the page opened without the token recovers by itself once the cookie is there (next slow poll)', async () => {
    const page = signedOutPage!;
    await page.locator('button[data-agent-id="demo"]').waitFor({ timeout: 12_000 });
    expect(await page.locator('[data-testid=auth-needed]').count()).toBe(0);
    await page.locator('[data-testid=agent-stream][data-stream-agent-id=demo]').waitFor({ timeout: 5000 });
    const gaps = agentListGets.slice(1).map((at, i) => at - agentListGets[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(9000); // it waited 10 s between the signed-out polls
  });
});

/** What Chromium's network layer saw of one request (DevTools protocol: also for a CORS failure). */
interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  status?: number;
  corsError?: string;
  failed?: string;
}

/** Records every request of `page` as the network saw it, whether the page could read it or not. */
async function recordNetwork(page: Page): Promise<Map<string, Seen>> {
  const seen = new Map<string, Seen>();
  const cdp = await page.context().newCDPSession(page);
  const entry = (id: string) => {
    let s = seen.get(id);
    if (!s) seen.set(id, (s = { url: '', method: '', headers: {} }));
    return s;
  };
  cdp.on('Network.requestWillBeSent', (e) => Object.assign(entry(e.requestId), { url: e.request.url, method: e.request.method }));
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
    const s = entry(e.requestId);
    for (const [k, val] of Object.entries(e.headers)) s.headers[k.toLowerCase()] = String(val);
  });
  cdp.on('Network.responseReceivedExtraInfo', (e) => (entry(e.requestId).status = e.statusCode));
  cdp.on('Network.loadingFailed', (e) =>
    Object.assign(entry(e.requestId), { failed: e.errorText, corsError: e.corsErrorStatus?.corsError as string | undefined }),
  );
  await cdp.send('Network.enable');
  return seen;
}

const TARGETS = ['/agents/demo/stop', '/agents/demo/disconnect-viewers', '/agents/demo/stream-ticket', '/agents'];

describe('a page on another origin (a second loopback port), in the signed-in browser', () => {
  let page: Page;
  let seen: Map<string, Seen>;
  let before: { tickets: number; viewers: number; streams: number };

  beforeAll(async () => {
    page = await signedIn!.newPage();
    seen = await recordNetwork(page);
    await page.goto(`${foreignOrigin}/`);
    before = { tickets: await ticketsIssued(), viewers: (await demoAgent()).viewers, streams: viewer!.streams.length };
    expect(before.viewers).toBeGreaterThanOrEqual(2); // the signed-in pages watch demo
  });

  it('fetch(POST, credentials: include): sent WITH the session cookie, refused 403, unreadable (CORS)', async () => {
    for (const route of TARGETS) {
      const target = `${cli!.url}${route}`;
      const result = await page.evaluate(async (u) => {
        try {
          const r = await fetch(u, { method: 'POST', credentials: 'include' });
          return `read ${r.status}: ${await r.text()}`;
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      }, target);
      expect(result).toBe('TypeError: Failed to fetch'); // the page learns nothing
      let s: Seen | undefined;
      await waitUntil(
        `the network to see POST ${route} end`,
        () => {
          s = [...seen.values()].find((x) => x.url === target && x.method === 'POST' && x.failed !== undefined);
          return s !== undefined && s.status !== undefined;
        },
        5000,
      );
      expect(s!.status).toBe(403);
      expect(s!.corsError).toBe('MissingAllowOriginHeader');
      expect(s!.headers.origin).toBe(foreignOrigin);
      // Same site (ports do not count): SameSite=Strict let the cookie go. Only the Origin check stopped it.
      expect(s!.headers.cookie).toMatch(new RegExp(`${COOKIE}_\\d+=`));
    }
  });

  it('a plain HTML form POST: 403 forbidden_origin, in a frame the page cannot read', async () => {
    for (const route of TARGETS) {
      const target = `${cli!.url}${route}`;
      const answered = page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST', { timeout: 5000 });
      await page.evaluate((action) => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = action;
        form.target = 'sink';
        const input = document.createElement('input');
        input.name = 'agentId';
        input.value = 'evil';
        form.append(input);
        document.body.append(form);
        form.submit();
      }, target);
      const res = await answered;
      expect(res.status()).toBe(403);
      // The 403's body (forbidden_origin: the last test reads it from Node) never shows in the
      // frame either: every answer refuses to be framed (issue 25), so Chromium drops it.
      expect(res.headers()).toMatchObject({ 'content-type': expect.stringMatching(/^application\/json/), 'x-frame-options': 'DENY' });
      expect((await res.request().allHeaders()).cookie).toMatch(new RegExp(`${COOKIE}_\\d+=`));
      // The refused answer becomes Chromium's error page (an opaque origin): poll, since the frame's
      // first about:blank counts as loaded before the answer commits.
      await page.waitForFunction(() => document.querySelector('iframe')!.contentDocument === null, null, { timeout: 5000 });
    }
  });

  it('a form from a no-referrer page (Origin: null) is refused too', async () => {
    const p = await signedIn!.newPage();
    try {
      await p.goto(`${foreignOrigin}/no-referrer`);
      const target = `${cli!.url}/agents/demo/stop`;
      const answered = p.waitForResponse((r) => r.url() === target, { timeout: 5000 });
      await p.evaluate((action) => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = action;
        form.target = 'sink';
        document.body.append(form);
        form.submit();
      }, target);
      const res = await answered;
      expect((await res.request().allHeaders()).origin).toBe('null');
      expect(res.status()).toBe(403);
      expect(res.headers()).toMatchObject({ 'content-type': expect.stringMatching(/^application\/json/), 'x-frame-options': 'DENY' });
    } finally {
      await p.close();
    }
  });

  it('the server did nothing: demo runs, no viewer was cut, no ticket was issued', async () => {
    const demo = await demoAgent();
    expect(demo.state).not.toBe('exited');
    expect(demo.viewers).toBe(before.viewers);
    expect(viewer!.streams.length).toBe(before.streams); // never cut, so never resumed
    expect(await viewer!.page.locator('[data-testid=connection-state]').getAttribute('data-state')).toBe('live');
    expect(await ticketsIssued()).toBe(before.tickets);
    expect(await raw(cli!, 'GET', '/agents', bearer)).toMatchObject({ status: 200 });
    expect(JSON.parse((await raw(cli!, 'GET', '/agents', bearer)).body).agents.map((a: { id: string }) => a.id)).toEqual(['demo']);
  });

  it('the Origin check alone refuses: from Node, the session cookie plus a foreign Origin is 403 forbidden_origin', async () => {
    const cookie = (await signedIn!.cookies()).find((c) => c.name.startsWith(COOKIE))!;
    const withCookie = { Cookie: `${cookie.name}=${cookie.value}`, 'Content-Type': 'application/json' };
    for (const route of TARGETS) {
      const answer = await raw(cli!, 'POST', route, { ...withCookie, Origin: foreignOrigin });
      expect({ route, status: answer.status, code: answer.code }).toEqual({ route, status: 403, code: 'forbidden_origin' });
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      const opaque = await raw(cli!, 'POST', route, { ...withCookie, Origin: 'null' }); // the no-referrer form's
      expect({ route, status: opaque.status, code: opaque.code }).toEqual({ route, status: 403, code: 'forbidden_origin' });
    }
    const demo = await demoAgent();
    expect(demo.state).not.toBe('exited');
    expect(demo.viewers).toBe(before.viewers);
    expect(await ticketsIssued()).toBe(before.tickets);
    // The control: the same cookie from the server's own origin is enough (so it was the Origin
    // that refused), and without the cookie the same request is 401.
    expect(await raw(cli!, 'POST', '/agents/demo/stream-ticket', { ...withCookie, Origin: cli!.url })).toMatchObject({ status: 201 });
    expect(await raw(cli!, 'POST', '/agents/demo/stream-ticket', { Origin: cli!.url })).toMatchObject({
      status: 401,
      code: 'unauthenticated',
    });
    expect(await ticketsIssued()).toBe(before.tickets + 1);
  });
});

describe('a Host that is not allowed (DNS rebinding)', () => {
  it(`http://${REBIND}:<port>/ resolves to the server but is refused: the page, GET /agents, even with the token`, async () => {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      const origin = `http://${REBIND}:${portOf(cli!.url)}`;
      const response = await page.goto(`${origin}/`);
      expect(response?.status()).toBe(403);
      expect(await response?.json()).toEqual({ error: { code: 'forbidden_origin', message: 'this Host is not allowed' } });
      expect(await page.locator('[data-testid=dashboard]').count()).toBe(0);
      // The attacker's page is same-origin with rebind.test, so it could read answers: there are none to read.
      const reads = await page.evaluate(async (token) => {
        const read = async (r: Promise<Response>) => {
          const res = await r;
          return { status: res.status, code: ((await res.json()) as { error?: { code?: string } }).error?.code };
        };
        return {
          list: await read(fetch('/agents')),
          listWithToken: await read(fetch('/agents', { headers: { Authorization: `Bearer ${token}` } })),
          ticket: await read(fetch('/agents/demo/stream-ticket', { method: 'POST', headers: { Authorization: `Bearer ${token}` } })),
          stop: await read(fetch('/agents/demo/stop', { method: 'POST', headers: { Authorization: `Bearer ${token}` } })),
        };
      }, TOKEN);
      const refused = { status: 403, code: 'forbidden_origin' };
      expect(reads).toEqual({ list: refused, listWithToken: refused, ticket: refused, stop: refused });
      const login = await page.goto(`${origin}/?token=${TOKEN}`);
      expect(login?.status()).toBe(403);
      expect(await context.cookies()).toEqual([]);
      expect((await demoAgent()).state).not.toBe('exited');
    } finally {
      await context.close();
    }
  });

  it(`with --allow-host ${REBIND} the same name works: the page, the sign-in, the list`, async () => {
    const context = await browser!.newContext();
    try {
      const origin = `http://${REBIND}:${portOf(cliAllowing!.url)}`;
      const page = await context.newPage();
      const response = await page.goto(`${origin}/`);
      expect(response?.status()).toBe(200);
      await page.locator('[data-testid=auth-needed]').waitFor({ timeout: 5000 });
      await page.goto(`${origin}/?token=${TOKEN}`);
      expect(page.url()).toBe(`${origin}/`);
      await page.locator('button[data-agent-id="demo"]').waitFor({ timeout: 5000 });
      expect(await page.evaluate(async () => (await fetch('/agents')).status)).toBe(200);
      expect((await context.cookies()).map((c) => [c.name.replace(/_\d+$/, ''), c.domain])).toEqual([[COOKIE, REBIND]]);
    } finally {
      await context.close();
    }
  });
});
