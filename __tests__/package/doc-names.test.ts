// Every name the docs tell a user to call or import is exported by the package: the README's
// entry table (each name from its own entry), every `import { … } from 'agent-stream…'` in a
// doc's code, and every `createX` / `name(` the user-facing docs mention.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../helpers/readme-blocks';

const ENTRY_FILES: Record<string, string> = {
  'agent-stream': 'src/index.ts',
  'agent-stream/server': 'src/server/index.ts',
  'agent-stream/operators': 'src/operators/index.ts',
  'agent-stream/client': 'src/client/index.ts',
  'agent-stream/react': 'src/react/index.ts',
  'agent-stream/kilo': 'src/kilo/index.ts',
  'agent-stream/redis': 'src/redis/index.ts',
  'agent-stream/demo': 'src/demo/index.ts',
  'agent-stream/testing': 'src/testing/index.ts',
};

/** The docs a user reads (architecture.md describes internals and names them on purpose). */
const USER_DOCS = [
  'README.md',
  'docs/protocol.md',
  'docs/security.md',
  'docs/deploy.md',
  'docs/operators.md',
  'docs/events.md',
  'docs/real-kilo.md',
  'docs/interop.md',
].filter((f) => existsSync(join(ROOT, f)));

/** Names of other APIs the docs mention (RxJS's, the DOM's, kilo's routes), not ours to export. */
const FOREIGN = new Set([
  'pipe',
  // node-redis's, named in docs/deploy.md (the Sentinel client the nodes use).
  'createSentinel',
  'run',
  'expectObservable',
  'expectSubscriptions',
  'takeUntil',
  'share',
  'close',
  'stop',
  'max',
  'question',
  'setTimeout',
]);

const exportsOf: Record<string, Set<string>> = (() => {
  const program = ts.createProgram(
    Object.values(ENTRY_FILES).map((f) => join(ROOT, f)),
    { strict: true, jsx: ts.JsxEmit.ReactJSX, esModuleInterop: true, skipLibCheck: true, module: ts.ModuleKind.CommonJS },
  );
  const checker = program.getTypeChecker();
  const out: Record<string, Set<string>> = {};
  for (const [entry, file] of Object.entries(ENTRY_FILES)) {
    const symbol = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, file))!)!;
    out[entry] = new Set(checker.getExportsOfModule(symbol).map((s) => s.name));
  }
  return out;
})();
const anyEntry = new Set(Object.values(exportsOf).flatMap((s) => [...s]));

describe('the names the docs use are exported', () => {
  it('the names the issue found missing: Authorize, createOriginGuard, createRateLimiter (agent-stream/server)', () => {
    for (const name of ['Authorize', 'createOriginGuard', 'createRateLimiter', 'createAgentStreamRouter', 'AgentStreamRouter'])
      expect(exportsOf['agent-stream/server']!.has(name)).toBe(true);
  });

  it("each name of the README's entry table, from its own entry", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `(agent-stream[^`]*)` \| (.*) \|$/gm)];
    expect(rows.map((r) => r[1]).sort()).toEqual(Object.keys(ENTRY_FILES).sort());
    const missing: string[] = [];
    for (const [, entry, text] of rows) {
      for (const [, name] of text!.matchAll(/`([A-Za-z_$][\w$]*)`/g)) {
        if (!exportsOf[entry!]!.has(name!)) missing.push(`${entry}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it.each(USER_DOCS)('%s: every import from the package names an export of that entry', (doc) => {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    const missing: string[] = [];
    let checked = 0;
    for (const [, list, entry] of text.matchAll(/import\s*(?:type\s*)?\{([^}]+)\}\s*from\s*'(agent-stream[^']*)'/g)) {
      const names = list!
        .split(',')
        .map(
          (n) =>
            n
              .trim()
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)[0]!,
        )
        .filter(Boolean);
      for (const name of names) {
        checked++;
        if (!exportsOf[entry!]?.has(name)) missing.push(`${entry}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
    if (doc === 'README.md') expect(checked).toBeGreaterThan(10);
  });

  it.each(USER_DOCS)('%s: every function it tells you to call is exported by some entry', (doc) => {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    const named = new Set<string>();
    for (const [, before, name, after] of text.matchAll(/(.)`([a-z][A-Za-z0-9]*)(\(|`)/g)) {
      if (before === '.' || FOREIGN.has(name!)) continue;
      if (/^create[A-Z]/.test(name!) || (after === '(' && /[A-Z]/.test(name!))) named.add(name!);
    }
    expect([...named].filter((n) => !anyEntry.has(n))).toEqual([]);
  });
});
