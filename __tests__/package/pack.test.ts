// The package as users get it: `npm pack`, installed in a scratch app with Express 5, and used
// only through the tarball and the README: every entry by require() and import (same names),
// TypeScript node10 / node16 / bundler with skipLibCheck off, the README's examples type-checked
// and run (its login pattern with a plain EventSource), a browser bundle of client + operators,
// and a jest marble test of a custom filter against the testing kit.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { build } from 'esbuild';
import { EventSource } from 'eventsource';
import { ENTRIES } from './entries';
import { ROOT, readmeExamples, relativeLinks } from '../helpers/readme-blocks';

jest.setTimeout(240_000);

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 200_000, env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Starts `file` with node in `cwd`; resolves once `url` answers. */
async function startApp(cwd: string, file: string, port: number, probe: string) {
  const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${file} exited: ${output}`);
    const ok = await fetch(`http://127.0.0.1:${port}${probe}`).then(
      () => true,
      () => false,
    );
    if (ok) return { child, output: () => output };
    if (Date.now() > deadline) throw new Error(`${file} never answered: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens `url` with a real EventSource (no headers, no cookie) and collects event names until `until`. */
function watch(url: string, until: (names: string[]) => boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const names: string[] = [];
    const es = new EventSource(url);
    const timer = setTimeout(() => {
      es.close();
      reject(new Error(`stream: only ${names.join(',')}`));
    }, 30_000);
    for (const type of ['status', 'text', 'reasoning', 'tool', 'message-info', 'file']) {
      es.addEventListener(type, () => {
        names.push(type);
        if (until(names)) {
          clearTimeout(timer);
          es.close();
          resolve(names);
        }
      });
    }
    es.onmessage = () => names.push('onmessage');
  });
}

describe('the packed tarball in a scratch app, used as the README says', () => {
  let app: string;
  let files: string[];
  const readme = readmeExamples();

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'agent-stream-pack-'));
    // --ignore-scripts: the prepack build would rewrite dist/ under the other tests' feet.
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', app], ROOT)) as [
      { files: { path: string }[] },
    ];
    files = packed[0].files.map((f) => f.path);
    const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true }));
    // Installed like a user would; the registry's packages come from npm's cache when present.
    run(
      'npm',
      [
        'install',
        `./${tarball}`,
        'express@5',
        '@types/express@5',
        '@types/node@20',
        '@types/jest@29',
        'react@19',
        'react-dom@19',
        '@types/react@19',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
      ],
      app,
    );
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('ships what it links: LICENSE, repository, docs and their pictures, no source map pointing at unshipped sources', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'agent-stream', 'package.json'), 'utf8'));
    expect(pkg.license).toBe('MIT');
    expect(pkg.repository.url).toMatch(/^git\+https:/);
    expect(pkg.homepage).toMatch(/^https:/);
    expect(pkg.bugs.url).toMatch(/^https:/);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'docs/protocol.md', 'docs/security.md']));
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    // Every relative link of the README and the docs resolves inside the tarball (docs/api is
    // written by `npm run docs`, which the prepack script runs).
    expect(pkg.scripts.prepack).toMatch(/npm run docs/);
    for (const doc of ['README.md', ...files.filter((f) => /^docs\/[^/]+\.md$/.test(f))]) {
      for (const link of relativeLinks(doc)) {
        const target = posix.normalize(posix.join(posix.dirname(doc), link));
        if (target.startsWith('docs/api/')) continue;
        const shipped = files.some((f) => f === target || f.startsWith(`${target.replace(/\/$/, '')}/`));
        if (!shipped) throw new Error(`${doc} links to ${link}, which the tarball does not ship`);
      }
    }
  });

  it.each(ENTRIES)('%s loads with require() and import, with the same names (among them %s)', (entry, name) => {
    const required = JSON.parse(
      run(
        process.execPath,
        ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(entry)})).filter((k) => k !== '__esModule').sort()))`],
        app,
      ),
    );
    const imported = JSON.parse(
      run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule').sort()))`,
        ],
        app,
      ),
    );
    expect(required).toContain(name);
    expect(imported).toEqual(required);
  });

  it.each([
    ['node10', 'commonjs', 'node10', 'ts'],
    ['node16 (CommonJS)', 'node16', 'node16', 'ts'],
    ['node16 (ESM)', 'node16', 'node16', 'mts'],
    ['bundler', 'esnext', 'bundler', 'ts'],
  ])('every entry type-checks under moduleResolution %s with skipLibCheck off', (label, module, moduleResolution, ext) => {
    const dir = join(app, `types-${label.replace(/\W+/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `all.${ext}`),
      [
        ...ENTRIES.map(([entry], i) => `import * as e${i} from '${entry}';`),
        `import type { Authorize, AgentStreamRouter } from 'agent-stream/server';`,
        `import type { AgentEvent } from 'agent-stream/operators';`,
        `import type { ClientAgentEvent } from 'agent-stream/client';`,
        `export const names = [${ENTRIES.map((_, i) => `e${i}`).join(', ')}].map((m) => Object.keys(m).length);`,
        `export const authorize: Authorize = (_req, action) => action === 'watch';`,
        `export type Both = [AgentEvent, ClientAgentEvent, AgentStreamRouter];`,
      ].join('\n'),
    );
    const tsconfig = {
      compilerOptions: {
        module,
        moduleResolution,
        target: 'ES2022',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        esModuleInterop: true,
        jsx: 'react-jsx',
        lib: ['ES2022', 'DOM'],
        types: ['node'],
        typeRoots: [join(app, 'node_modules', '@types')],
      },
      files: [`all.${ext}`],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    run(process.execPath, [TSC, '-p', dir], dir);
  });

  it("the README's TypeScript blocks type-check against the package (skipLibCheck off)", () => {
    const dir = join(app, 'readme');
    mkdirSync(dir, { recursive: true });
    const names = readme.all.map((block, i) => {
      const file = `block-${i}.mts`;
      writeFileSync(join(dir, file), block.includes('export ') || block.includes('import ') ? block : `${block}\nexport {};\n`);
      return file;
    });
    const tsconfig = {
      compilerOptions: {
        module: 'node16',
        moduleResolution: 'node16',
        target: 'ES2022',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        lib: ['ES2022', 'DOM'],
        types: ['node', 'jest'],
        typeRoots: [join(app, 'node_modules', '@types')],
      },
      files: names,
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    run(process.execPath, [TSC, '-p', dir], dir);
  });

  /** A README block, compiled to an ES module in the scratch app (as `tsc`/`tsx` would). */
  const compile = async (source: string, name: string) => {
    const out = join(app, `${name}.mjs`);
    await build({
      stdin: { contents: source, loader: 'ts', resolveDir: app },
      outfile: out,
      format: 'esm',
      platform: 'node',
      bundle: false,
      logLevel: 'silent',
    });
    return out;
  };

  it("the README's quick start runs as written: the demo agent is listed and streams by ticket", async () => {
    const file = await compile(readme.quickStart, 'quick-start');
    const port = await freePort();
    const { child, output } = await startApp(app, file, port, '/api/agents');
    try {
      const list = await (await fetch(`http://127.0.0.1:${port}/api/agents`)).json();
      expect(list.agents.map((a: { id: string }) => a.id)).toEqual(['demo']);
      const ticket = await fetch(`http://127.0.0.1:${port}/api/agents/demo/stream-ticket`, { method: 'POST' });
      expect(ticket.status).toBe(201);
      const { streamUrl } = await ticket.json();
      const names = await watch(`http://127.0.0.1:${port}${streamUrl}`, (n) => n.includes('text'));
      expect(names[0]).toBe('status');
      expect(names).not.toContain('onmessage');
      expect(output()).toContain(`curl -X POST http://127.0.0.1:${port}/api/agents/demo/stream-ticket`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("the README's login pattern: everything behind the app's cookie login, the stream by ticket alone, JSON errors", async () => {
    const file = await compile(readme.login, 'login');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}/api`;
    const { child } = await startApp(app, file, port, '/api/agents');
    const as = (sid: string): Record<string, string> => ({ cookie: `sid=${sid}` });
    try {
      const anonymous = await fetch(`${base}/agents`);
      expect(anonymous.status).toBe(401);
      expect((await fetch(`${base}/agents/demo/stream-ticket`, { method: 'POST' })).status).toBe(401);
      const listed = await fetch(`${base}/agents`, { headers: as('bob-session') });
      expect(listed.status).toBe(200);
      expect((await listed.json()).agents[0]).toMatchObject({ id: 'demo', actionable: false });
      // The viewer may not act; the operator may (the demo agent itself only watches: 501).
      const post = (sid: string, path: string, body: unknown) =>
        fetch(`${base}/agents/demo/${path}`, {
          method: 'POST',
          headers: { ...as(sid), 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const refused = await post('bob-session', 'prompt', { text: 'hi' });
      expect(refused.status).toBe(403);
      expect((await refused.json()).error.code).toBe('forbidden');
      const watchOnly = await post('ada-session', 'prompt', { text: 'hi' });
      expect(watchOnly.status).toBe(501);
      expect((await watchOnly.json()).error.code).toBe('not_supported');
      const badJson = await fetch(`${base}/agents/demo/prompt`, {
        method: 'POST',
        headers: { ...as('ada-session'), 'content-type': 'application/json' },
        body: '{nope',
      });
      expect(badJson.status).toBe(400);
      expect((await badJson.json()).error.code).toBe('bad_request');
      const badEscape = await fetch(`${base}/agents/%E0%A4%A/stream-ticket`, { method: 'POST', headers: as('bob-session') });
      expect(badEscape.status).toBe(400);
      expect(badEscape.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await badEscape.json()).error.code).toBe('bad_request');
      const unknown = await fetch(`${base}/agents/demo/nothing-here`, { headers: as('bob-session') });
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error.code).toBe('not_found');
      // The ticket behind the login; the stream with a plain EventSource, which sends no cookie.
      const ticket = await fetch(`${base}/agents/demo/stream-ticket`, { method: 'POST', headers: as('bob-session') });
      expect(ticket.status).toBe(201);
      const { streamUrl } = await ticket.json();
      expect(streamUrl).toMatch(/^\/api\/agents\/demo\/stream\?ticket=/);
      const names = await watch(`http://127.0.0.1:${port}${streamUrl}`, (n) => n.includes('tool') || n.includes('text'));
      expect(names[0]).toBe('status');
      // Without a ticket the stream answers the protocol's error, not the login's.
      const noTicket = await fetch(`${base}/agents/demo/stream`);
      expect(noTicket.status).toBe(400);
      expect((await noTicket.json()).error.code).toBe('ticket_missing');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('client + operators (and the README browser example) bundle for the browser with no Node built-in', async () => {
    for (const [name, contents] of [
      [
        'imports',
        `export { createAgentStreamClient, createAgentActions } from 'agent-stream/client';\nexport { ofType, toolCalls, coalesceText, toAgentEvents, forSession } from 'agent-stream/operators';`,
      ],
      ['readme-browser', readme.browser],
    ]) {
      const result = await build({
        stdin: { contents, loader: 'ts', resolveDir: app },
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
        metafile: true,
      });
      const inputs = Object.keys(result.metafile!.inputs);
      expect(inputs.some((i) => i.includes('agent-stream/dist/'))).toBe(true);
      expect(inputs.filter((i) => /^node:|node_modules\/(express|redis|prom-client)\//.test(i))).toEqual([]);
      expect(result.outputFiles[0]!.text).not.toMatch(/require\(["']node:|from ["']node:/);
      expect(name).toBeTruthy();
    }
  });

  it("a user's jest marble test of a custom filter (the README's), and a test against the fake kilo serve, pass", () => {
    const dir = join(app, 'user-tests');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'my-filter.test.ts'), readme.marble);
    writeFileSync(
      join(dir, 'fake-kilo.test.ts'),
      [
        `import { firstValueFrom, filter } from 'rxjs';`,
        `import { createManagedAgent, kiloSessionEvents } from 'agent-stream';`,
        `import { fileEdits } from 'agent-stream/operators';`,
        `import { createFakeKiloServer, kilo } from 'agent-stream/testing';`,
        `it('sees a file edit through kiloSessionEvents, with no refill failure', async () => {`,
        `  const server = await createFakeKiloServer();`,
        `  const problems: string[] = [];`,
        `  const agent = createManagedAgent({ agentId: 'a', sessionId: 'ses_test', events: kiloSessionEvents(server.url, { sessionId: 'ses_test', onDiagnostic: (d) => d.type === 'refill_failed' && problems.push(String(d.error)) }) });`,
        `  const edited = firstValueFrom(agent.events$.pipe(fileEdits(), filter((e) => e.data.path === '/x.ts')));`,
        `  await server.waitForClients(1);`,
        `  server.send(kilo.fileEdited('/x.ts'));`,
        `  await edited;`,
        `  await new Promise((r) => setTimeout(r, 200));`,
        `  expect(problems).toEqual([]);`,
        `  agent.stop();`,
        `  await server.close();`,
        `});`,
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'commonjs',
          target: 'ES2022',
          strict: true,
          esModuleInterop: true,
          skipLibCheck: false,
          types: ['jest', 'node'],
        },
      }),
    );
    writeFileSync(
      join(dir, 'jest.config.json'),
      JSON.stringify({
        rootDir: dir,
        testEnvironment: 'node',
        transform: { '^.+\\.ts$': [require.resolve('ts-jest'), { tsconfig: join(dir, 'tsconfig.json') }] },
      }),
    );
    const out = spawnSync(process.execPath, [JEST, '--config', join(dir, 'jest.config.json'), '--ci', '--colors=false'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (out.status !== 0) throw new Error(`the user's tests failed:\n${out.stderr}${out.stdout}`);
    expect(out.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
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
