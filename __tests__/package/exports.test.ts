import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ENTRIES } from './entries';

const ROOT = join(__dirname, '..', '..');
const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });

describe('package entry points (built dist, resolved through package.json exports)', () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  });

  it.each(ENTRIES)('%s works with require()', (entry, name) => {
    const r = node([
      '-e',
      `const m = require(${JSON.stringify(entry)}); if (typeof m[${JSON.stringify(name)}] !== 'function') throw new Error('no ${name}');`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(ENTRIES)('%s works with import', (entry, name) => {
    const r = node([
      '--input-type=module',
      '-e',
      `import { ${name} } from ${JSON.stringify(entry)}; if (typeof ${name} !== 'function') throw new Error('no ${name}');`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(ENTRIES)('%s ships its type declarations', (entry) => {
    const sub = entry.split('/')[1];
    expect(existsSync(join(ROOT, 'dist', ...(sub ? [sub] : []), 'index.d.ts'))).toBe(true);
  });

  it('the core entry does not load express', () => {
    const r = node([
      '-e',
      `require('agent-stream'); const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/]express[\\\\/]/.test(k)); process.stdout.write(String(loaded.length));`,
    ]);
    expect(r.stdout).toBe('0');
  });

  it('the client bundles for the browser with no Node built-ins', async () => {
    const result = await build({
      entryPoints: [join(ROOT, 'src', 'client', 'index.ts')],
      bundle: true,
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]!.text).not.toMatch(/require\("(node:)?(fs|http|net|crypto|buffer)"\)/);
  });

  it('the bin runs the CLI', () => {
    const r = node(['bin/agent-stream.js', 'nonsense']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: agent-stream serve');
  });
});

describe('what each entry does not export', () => {
  it('the core entry has no demo, and the server entry no kilo launcher (they have their own entries)', () => {
    const r = node([
      '-e',
      `const core = require('agent-stream'); const server = require('agent-stream/server');
       process.stdout.write(JSON.stringify([typeof core.createDemoKiloServer, typeof server.launchKilo, typeof server.spawnKiloAgent]));`,
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['undefined', 'undefined', 'undefined']);
  });
});
