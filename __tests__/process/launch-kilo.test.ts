import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { KiloClientError } from '../../src/kilo/kilo-client-error';
import { KiloLaunchError } from '../../src/kilo/kilo-launch-error';
import { createKiloSessionClient } from '../../src/kilo/kilo-session-client';
import { launchKilo, type KiloProcess } from '../../src/kilo/launch-kilo';
import { kiloConfigFor } from '../../src/demo/write-kilo-config';
import { isAlive } from './process-helpers';

/** The kilo version package.json pins: the binary that runs must be that one. */
const KILO_VERSION = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
).devDependencies['@kilocode/cli-linux-x64'];

describe('launchKilo (real kilo binary)', () => {
  const config = kiloConfigFor({ baseURL: 'http://127.0.0.1:9/v1' });
  let kilo: KiloProcess;
  beforeAll(async () => {
    kilo = await launchKilo({ config, password: 'pw', sessionRetryLimit: 1 });
  });
  afterAll(async () => {
    await kilo?.stop();
  });

  it('listens on loopback, answers health, and runs isolated in a private temp dir', () => {
    expect(kilo.url).toBe(`http://127.0.0.1:${kilo.port}`);
    expect(kilo.port).toBeGreaterThan(0);
    expect(isAlive(kilo.pid)).toBe(true);
    expect(kilo.tempDir.startsWith(join(tmpdir(), 'agent-stream-kilo-'))).toBe(true);
    expect(kilo.homeDir.startsWith(`${kilo.tempDir}/`)).toBe(true);
    expect(readlinkSync(`/proc/${kilo.pid}/cwd`)).toBe(kilo.workDir);
    const env = Object.fromEntries(
      readFileSync(`/proc/${kilo.pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    expect(env.HOME).toBe(kilo.homeDir);
    for (const k of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR', 'TMPDIR']) {
      expect(env[k]?.startsWith(`${kilo.tempDir}/`)).toBe(true);
    }
    for (const [k, v] of Object.entries(env)) if (k.startsWith('XDG_')) expect(v.startsWith(`${kilo.tempDir}/`)).toBe(true);
    expect(env).toMatchObject({
      KILO_DISABLE_MODELS_FETCH: '1',
      KILO_DISABLE_AUTOUPDATE: '1',
      KILO_TELEMETRY_LEVEL: 'off',
      KILO_SESSION_RETRY_LIMIT: '1',
      KILO_SERVER_PASSWORD: 'pw',
    });
    expect(JSON.parse(readFileSync(join(env.XDG_CONFIG_HOME!, 'kilo', 'kilo.json'), 'utf8'))).toMatchObject(config);
  });

  it('reads the written kilo.json and enforces the password', async () => {
    const auth = { Authorization: `Basic ${Buffer.from('kilo:pw').toString('base64')}` };
    expect((await fetch(`${kilo.url}/global/health`)).status).toBe(401);
    const cfg = (await (await fetch(`${kilo.url}/config`, { headers: auth })).json()) as {
      model: string;
      provider: Record<string, unknown>;
    };
    expect(cfg.model).toBe('fakellm/fake-model');
    expect(Object.keys(cfg.provider)).toEqual(['fakellm']);
  });

  it('serves the session client routes', async () => {
    const client = createKiloSessionClient({ baseUrl: kilo.url, password: 'pw' });
    expect(await client.health()).toEqual({ healthy: true, version: KILO_VERSION });
    const session = await client.createSession({ title: 'launcher test' });
    expect(session.id).toMatch(/^ses_/);
    expect(session.title).toBe('launcher test');
    expect(session.directory).toBe(kilo.workDir);
    expect(await client.status()).toEqual({});
    expect(await client.abort(session.id)).toBe(true);
    const missing = await client.promptAsync('ses_doesnotexist', 'hi').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KiloClientError);
    expect(missing).toMatchObject({ code: 'http_error', status: 404 });
    expect((missing as KiloClientError).body).toContain('Session not found');
    const wrong = await createKiloSessionClient({ baseUrl: kilo.url, password: 'nope' })
      .health()
      .catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'http_error', status: 401 });
    await expect(client.abort('not-a-session')).rejects.toThrow(TypeError);
  });

  it('stop() ends it with SIGTERM, emits exit$ once, and removes the temp dir', async () => {
    const exit = firstValueFrom(kilo.exit$);
    const stopped = await kilo.stop();
    expect(stopped).toEqual({ reason: 'process_exit', code: 0 });
    expect(await exit).toEqual(stopped);
    expect(kilo.exited).toEqual(stopped);
    expect(isAlive(kilo.pid)).toBe(false);
    expect(existsSync(kilo.tempDir)).toBe(false);
    expect(await kilo.stop()).toBe(stopped);
  });
});

describe('launchKilo failures', () => {
  let parent: string;
  let blocker: Server | undefined;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'launch-kilo-test-'));
  });
  afterEach(() => {
    blocker?.close();
    blocker = undefined;
    rmSync(parent, { recursive: true, force: true });
  });

  it('validates options synchronously', () => {
    const bad = (o: object) => {
      try {
        void launchKilo(o);
      } catch (err) {
        return err;
      }
      return 'no throw';
    };
    // Misuse: TypeError / RangeError saying what to pass (thrown before anything starts).
    for (const [o, type] of [
      [{ port: -1 }, RangeError],
      [{ port: 1.5 }, RangeError],
      [{ workDir: 'relative' }, TypeError],
      [{ workDir: '/nope/dir' }, TypeError],
      [{ config: [] }, TypeError],
      [{ password: '' }, TypeError],
      [{ startTimeoutMs: 0 }, RangeError],
      [{ sessionRetryLimit: -1 }, RangeError],
      [{ env: { A: 1 } }, TypeError],
    ] as const) {
      expect(bad(o)).toBeInstanceOf(type);
      expect(String(bad(o))).toMatch(/launchKilo: \S+ must|launchKilo: workDir is not/);
    }
    // A missing binary is a failure to start kilo, typed.
    expect(bad({ binaryPath: '/nope/kilo' })).toMatchObject({ name: 'KiloLaunchError', code: 'spawn_failed' });
  });

  it("rejects early_exit with kilo's own error output when the port is taken, and cleans up", async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const err = await launchKilo({ port, tempParent: parent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KiloLaunchError);
    expect(err).toMatchObject({ code: 'early_exit', exitCode: 1 });
    expect((err as KiloLaunchError).stderrTail).toMatch(/Error/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('rejects start_timeout and kills the process when it is not ready in time', async () => {
    const err = await launchKilo({ startTimeoutMs: 150, tempParent: parent }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'KiloLaunchError', code: 'start_timeout' });
    // The temp dir is removed only after the process is gone.
    expect(readdirSync(parent)).toEqual([]);
  });

  it('rejects spawn_failed for a binary that cannot be executed', async () => {
    const notExecutable = join(parent, 'kilo');
    writeFileSync(notExecutable, 'not a program');
    const err = await launchKilo({ binaryPath: notExecutable, tempParent: parent }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'KiloLaunchError', code: 'spawn_failed' });
    expect(readdirSync(parent)).toEqual(['kilo']);
  });
});
