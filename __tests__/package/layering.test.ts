import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = join(__dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

describe('layering', () => {
  it('production code imports nothing from src/testing/', () => {
    const offenders = files(SRC)
      .filter((f) => !relative(SRC, f).startsWith('testing'))
      .filter((f) => /from '(\.\.?\/)+(\.\.\/)*testing\//.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });

  it('the core entry (and what it imports) never imports express', () => {
    const core = files(SRC).filter((f) => /^(protocol|agent|kilo|operators|sse|tickets)\//.test(relative(SRC, f)));
    expect(core.length).toBeGreaterThan(10);
    expect(core.filter((f) => /from 'express'/.test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f))).toEqual([]);
  });

  it('the browser side (client, react, dashboard) imports only the protocol and itself from src/', () => {
    const browser = files(SRC).filter((f) => /^(client|react|dashboard)\//.test(relative(SRC, f)));
    const offenders = browser.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/from '\.\.\/([a-z-]+)\//g)]
        .map((m) => m[1]!)
        .filter((dir) => !['protocol', 'client', 'react', 'dashboard'].includes(dir))
        .map((dir) => `${relative(SRC, f)} → ${dir}/`),
    );
    expect(browser.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});
