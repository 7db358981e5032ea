// The package as users get it: `npm pack`, installed in a scratch app, every entry point loaded
// with require() and with import from there (not through this repository's own files).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENTRIES } from './entries';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');

const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 150_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
};

describe('the packed tarball, installed in a scratch app', () => {
  let app: string;
  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'agent-stream-pack-'));
    run('npm', ['pack', '--silent', '--pack-destination', app], ROOT);
    const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true }));
    // Installed like a user would; the registry's packages come from npm's cache when present.
    run(
      'npm',
      ['install', `./${tarball}`, 'react@19', 'react-dom@19', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
      app,
    );
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it.each(ENTRIES)('%s loads with require() and exports %s', (entry, name) => {
    const out = run(
      process.execPath,
      ['-e', `process.stdout.write(typeof require(${JSON.stringify(entry)})[${JSON.stringify(name)}])`],
      app,
    );
    expect(out).toBe('function');
  });

  it.each(ENTRIES)('%s loads with import and exports %s', (entry, name) => {
    const out = run(
      process.execPath,
      ['--input-type=module', '-e', `import { ${name} } from ${JSON.stringify(entry)}; process.stdout.write(typeof ${name})`],
      app,
    );
    expect(out).toBe('function');
  });

  it('the CLI runs from the installed package', () => {
    const r = spawnSync(process.execPath, [join(app, 'node_modules', 'agent-stream', 'bin', 'agent-stream.js'), 'serve', '--bogus'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option "--bogus"/);
  });
});
