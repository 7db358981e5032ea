import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** The fenced code blocks of a Markdown file with language `lang`, in order. */
export function codeBlocks(file: string, lang: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const blocks: string[] = [];
  const fence = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm');
  for (const m of text.matchAll(fence)) blocks.push(m[1]!);
  return blocks;
}

/** The README's TypeScript blocks by role (each block must be a whole module). */
export function readmeExamples(): { quickStart: string; login: string; browser: string; marble: string; all: string[] } {
  const all = codeBlocks('README.md', 'ts');
  const find = (what: string, test: (b: string) => boolean) => {
    const found = all.filter(test);
    if (found.length !== 1) throw new Error(`README: expected one ts block for ${what}, found ${found.length}`);
    return found[0]!;
  };
  return {
    quickStart: find('the quick start', (b) => b.includes('createDemoKiloServer') && !b.includes('requireLogin')),
    login: find('the login pattern', (b) => b.includes('requireLogin')),
    browser: find('the browser client', (b) => b.includes('createAgentStreamClient')),
    marble: find('the marble test', (b) => b.includes('createTestScheduler')),
    all,
  };
}

/** Relative links (and images) of a Markdown file, without their `#fragment`. */
export function relativeLinks(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const links = new Set<string>();
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!.split('#')[0]!;
    if (target && !/^[a-z]+:/i.test(target)) links.add(target);
  }
  return [...links];
}
