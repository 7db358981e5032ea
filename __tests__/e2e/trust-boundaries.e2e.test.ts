// Issue 25 in a real browser (headless Chromium, the built CLI):
// - clickjacking (finding 3): a page on another origin frames the open-mode dashboard; the frame
//   is refused (frame-ancestors 'none'), the dashboard never loads in it. Control: with
//   --allow-frame-origin naming that origin, the same frame shows the dashboard.
// - the dashboard under its Content-Security-Policy: no violation while it lists and streams
//   (and an inline script injected on purpose is refused, so the check can see one).
// - the printed sign-in link (finding 7): `http://HOST:PORT/#token=T` signs the page in, and no
//   request URL the browser sent (which a server or proxy logs) holds the token.
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Frame } from 'playwright-core';
import { startCli, type RunningCli } from '../helpers/run-cli';
import { waitUntil } from '../helpers/wait-until';
import { CHROMIUM, CHROMIUM_ARGS } from './browser-viewer';

const ROOT = path.join(__dirname, '..', '..');
jest.setTimeout(60_000);

let browser: Browser | undefined;
let foreign: http.Server | undefined;
let foreignOrigin = '';
let frameTarget = '';
const clis: RunningCli[] = [];
const contexts: BrowserContext[] = [];

async function stopCli(c: RunningCli): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill('SIGTERM');
  const timer = setTimeout(() => c.child.kill('SIGKILL'), 5000);
  await c.exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  for (const built of ['dist/cli/main.js', 'dist/public/index.html', 'dist/public/dashboard.js', 'dist/public/dashboard.css']) {
    if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first (npm test does it)`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  // The attacker's page: the target in a frame (the target is set per test).
  foreign = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(
      `<!doctype html><meta charset="utf-8"><title>win a prize</title><h1>click the button</h1><iframe name="victim" src="${frameTarget}" width="900" height="600"></iframe>`,
    );
  });
  await new Promise<void>((r) => foreign!.listen(0, '127.0.0.1', r));
  foreignOrigin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  await Promise.all(clis.splice(0).map(stopCli));
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (foreign ? foreign.close(() => r()) : r()));
});

async function cli(args: string[]): Promise<RunningCli> {
  const c = await startCli(['serve', '--port', '0', ...args], 20_000);
  clis.push(c);
  return c;
}
async function context(): Promise<BrowserContext> {
  const c = await browser!.newContext();
  contexts.push(c);
  return c;
}

/** Opens the attacker's page framing `target`; the victim frame and what the browser logged. */
async function frameIt(target: string) {
  frameTarget = `${target}/`;
  const page = await (await context()).newPage();
  const consoleLines: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
  await page.goto(`${foreignOrigin}/`);
  let victim: Frame | undefined;
  await waitUntil('the victim frame', () => (victim = page.frames().find((f) => f.name() === 'victim')) !== undefined, 5000);
  return { page, victim: victim!, consoleLines, requests };
}

describe('clickjacking (finding 3)', () => {
  it('a foreign page framing the open-mode dashboard gets a refused frame: no dashboard, no script, no API call from it', async () => {
    const target = await cli([]); // loopback, no token: the open mode, where a click acts
    const { victim, consoleLines, requests } = await frameIt(target.url);
    await waitUntil('Chromium refusing the frame', () => consoleLines.some((l) => /frame-ancestors 'none'/.test(l)), 10_000);
    const refusal = consoleLines.find((l) => /frame-ancestors 'none'/.test(l));
    expect([refusal?.includes(`${target.url}/`), refusal]).toEqual([true, refusal]);
    // Give a frame that had loaded time to fetch its script and the list: none did.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await victim.locator('[data-testid=dashboard]').count()).toBe(0);
    const fromTarget = requests.filter((r) => r.includes(target.url));
    expect(fromTarget).toEqual([`GET ${target.url}/`]);
  });

  it(`control: with --allow-frame-origin naming the page's origin, the same frame shows the dashboard`, async () => {
    const target = await cli(['--allow-frame-origin', foreignOrigin]);
    const { victim, requests } = await frameIt(target.url);
    await victim.locator('button[data-agent-id="demo"]').waitFor({ timeout: 15_000 });
    expect(requests).toEqual(expect.arrayContaining([`GET ${target.url}/dashboard.js`, `GET ${target.url}/agents`]));
  });
});

describe('the dashboard under its Content-Security-Policy', () => {
  it('lists and streams the demo with no CSP violation; an inline script injected on purpose is refused and reported', async () => {
    const target = await cli([]);
    const page = await (await context()).newPage();
    const pageErrors: string[] = [];
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    await page.addInitScript(() => {
      const w = window as unknown as { violations: string[] };
      w.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const response = await page.goto(`${target.url}/?agent=demo`);
    const csp = (await response!.allHeaders())['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    await page.locator('li[data-row-type=tool]').first().waitFor({ timeout: 20_000 });
    await page.locator('li[data-row-type=text]').first().waitFor({ timeout: 20_000 });
    // Styled by dashboard.css (a refused stylesheet would leave the default white background).
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(243, 245, 248)');
    const violations = () => page.evaluate(() => (window as unknown as { violations: string[] }).violations);
    expect(await violations()).toEqual([]);
    expect(consoleErrors.filter((l) => /Content Security Policy/i.test(l))).toEqual([]);
    expect(pageErrors).toEqual([]);

    const ran = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.injected = true';
      document.body.appendChild(s);
      return (window as unknown as { injected?: boolean }).injected === true;
    });
    expect(ran).toBe(false);
    await waitUntil('the injected script reported', async () => (await violations()).length > 0, 5000);
    expect((await violations())[0]).toMatch(/^script-src(-elem)? inline$/);
  });
});

describe('the printed sign-in link (finding 7: the token in logged URLs)', () => {
  it('http://HOST:PORT/#token=T signs the page in; no request URL holds the token; the address bar drops it', async () => {
    // --spawn requires a token and generates one: the link is what the CLI prints.
    const target = await cli(['--spawn']);
    await waitUntil('the printed link', () => /dashboard: \S+/.test(target.stdout()), 5000);
    const link = /dashboard: (\S+)/.exec(target.stdout())![1]!;
    const token = /#token=([\w-]+)$/.exec(link)?.[1];
    expect(link).toBe(`${target.url}/#token=${token}`);
    expect(token!.length).toBeGreaterThanOrEqual(16);

    const ctx = await context();
    const urls: string[] = [];
    const bodies: string[] = [];
    ctx.on('request', (r) => {
      urls.push(`${r.method()} ${r.url()}`);
      if (r.method() === 'POST') bodies.push(r.postData() ?? '');
    });
    const page = await ctx.newPage();
    await page.goto(link);
    await page.locator('[data-testid=agent-list][data-loaded=true]').waitFor({ state: 'attached', timeout: 10_000 });
    await waitUntil('the session cookie', async () => (await ctx.cookies()).length === 1, 5000);
    const listStatus = await page.evaluate(async () => (await fetch('agents')).status);
    expect(listStatus).toBe(200);
    expect(await page.locator('[data-testid=auth-needed]').count()).toBe(0);
    expect(page.url()).toBe(`${target.url}/`);
    expect(await page.evaluate(() => history.length)).toBe(2); // about:blank, then the page: no entry with the token
    expect(urls.filter((u) => u.includes(token!))).toEqual([]);
    expect(urls).toContain(`POST ${target.url}/login`);
    expect(bodies).toContain(JSON.stringify({ token }));
    const [cookie] = await ctx.cookies();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false });
    expect(cookie!.value).not.toContain(token!);
  });

  it('a wrong #token= leaves the page signed out (the sign-in note), with no cookie', async () => {
    const target = await cli(['--token', 'e2e-full-token-0123456789abcdef']);
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto(`${target.url}/#token=not-the-token-0123456789`);
    await page.locator('[data-testid=auth-needed]').waitFor({ timeout: 10_000 });
    expect(await ctx.cookies()).toEqual([]);
    expect(page.url()).toBe(`${target.url}/`);
  });
});
