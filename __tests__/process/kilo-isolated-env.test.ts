import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiloIsolatedEnv } from '../../src/kilo/kilo-isolated-env';
import { resolveLaunchKiloOptions } from '../../src/kilo/launch-kilo-options';

describe('kiloIsolatedEnv: an allowlist, never the parent environment', () => {
  const saved = { ...process.env };
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'iso-env-'));
    Object.assign(process.env, {
      PATH: '/usr/bin:/bin',
      LANG: 'de_DE.UTF-8',
      LC_ALL: 'de_DE.UTF-8',
      TZ: 'Europe/Berlin',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      OPENAI_API_KEY: 'openai-secret',
      HTTPS_PROXY: 'http://proxy:3128',
      NODE_OPTIONS: '--require /evil.js',
      KILO_CONFIG: '/home/me/kilo.json',
      XDG_CONFIG_HOME: '/home/me/.config',
      OPENCODE_CONFIG: '/home/me/oc.json',
      SHELL: '/bin/zsh',
    });
  });
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps PATH and the locale, then the isolation settings; drops everything else', () => {
    const env = kiloIsolatedEnv(resolveLaunchKiloOptions({ password: 'pw' }), root, join(root, 'home'));
    expect(env).toMatchObject({ PATH: '/usr/bin:/bin', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', TZ: 'Europe/Berlin' });
    expect(env.HOME).toBe(join(root, 'home'));
    expect(env.XDG_CONFIG_HOME).toBe(join(root, 'config'));
    expect(env.KILO_SERVER_PASSWORD).toBe('pw');
    for (const k of ['AWS_SECRET_ACCESS_KEY', 'OPENAI_API_KEY', 'HTTPS_PROXY', 'NODE_OPTIONS', 'KILO_CONFIG', 'OPENCODE_CONFIG', 'SHELL'])
      expect({ k, v: env[k] }).toEqual({ k, v: undefined });
  });

  it('inheritEnv names more; the isolation settings and `env` still win', () => {
    const env = kiloIsolatedEnv(
      resolveLaunchKiloOptions({ inheritEnv: ['HTTPS_PROXY', 'XDG_CONFIG_HOME', 'NOT_SET_ANYWHERE'], env: { EXTRA: '1', TZ: 'UTC' } }),
      root,
      join(root, 'home'),
    );
    expect(env.HTTPS_PROXY).toBe('http://proxy:3128');
    expect(env.XDG_CONFIG_HOME).toBe(join(root, 'config'));
    expect('NOT_SET_ANYWHERE' in env).toBe(false);
    expect(env).toMatchObject({ EXTRA: '1', TZ: 'UTC' });
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });

  it('validates inheritEnv', () => {
    expect(() => resolveLaunchKiloOptions({ inheritEnv: 'PATH' as unknown as string[] })).toThrow(/inheritEnv must be an array/);
    expect(() => resolveLaunchKiloOptions({ inheritEnv: ['A=B'] })).toThrow(/not a variable name: A=B/);
    expect(resolveLaunchKiloOptions({}).inheritEnv).toEqual([]);
  });
});
