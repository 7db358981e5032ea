import { parsePatch, structuredPatch } from 'diff';
import type { ToolData } from '../protocol/agent-event';

/** One hunk of a file diff: where it starts and its lines, each prefixed `+`, `-` or ` `. */
export interface DiffHunk {
  /** The `@@ … @@` header, when line numbers are known. */
  header?: string;
  lines: string[];
}

/** The change a tool call makes to one file, as unified-diff hunks. */
export interface FileDiff {
  path: string;
  /** `edit` (lines replaced), `add` (a new or rewritten file: every line added), `delete`, `move`. */
  kind: 'edit' | 'add' | 'delete' | 'move';
  /** For `move`: where the file went. */
  movedTo?: string;
  hunks: DiffHunk[];
  additions: number;
  deletions: number;
}

/** Lines of a file diff kept for display; the rest is counted, not shown. */
const MAX_LINES = 2000;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function counted(path: string, kind: FileDiff['kind'], hunks: DiffHunk[], movedTo?: string): FileDiff {
  let additions = 0;
  let deletions = 0;
  let budget = MAX_LINES;
  const kept: DiffHunk[] = [];
  for (const h of hunks) {
    for (const l of h.lines) {
      if (l.startsWith('+')) additions++;
      else if (l.startsWith('-')) deletions++;
    }
    if (budget > 0) kept.push(h.lines.length <= budget ? h : { ...h, lines: h.lines.slice(0, budget) });
    budget -= h.lines.length;
  }
  return { path, kind, hunks: kept, additions, deletions, ...(movedTo ? { movedTo } : {}) };
}

/** A hunk's `@@ -a,b +c,d @@` (an empty side starts one line earlier, as `diff -u` writes it). */
const hunkHeader = (h: { oldStart: number; oldLines: number; newStart: number; newLines: number }): string =>
  `@@ -${h.oldLines === 0 ? h.oldStart - 1 : h.oldStart},${h.oldLines} +${h.newLines === 0 ? h.newStart - 1 : h.newStart},${h.newLines} @@`;

/** `old` → `new` of one file as hunks with 3 lines of context (line numbers relative to `old`). */
function replaceDiff(path: string, oldText: string, newText: string): FileDiff {
  const patch = structuredPatch(path, path, oldText, newText, '', '', { context: 3 });
  const hunks = patch.hunks.map((h) => ({
    header: hunkHeader(h),
    lines: h.lines.filter((l) => !l.startsWith('\\')),
  }));
  return counted(path, 'edit', hunks);
}

const addedLines = (content: string): string[] => {
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => `+${l}`);
};

/**
 * kilo's `apply_patch` text (`*** Begin Patch`, `*** Add File: p`, `*** Update File: p`
 * (`*** Move to: q`), `*** Delete File: p`, `@@` chunks of ` `/`-`/`+` lines, `*** End Patch`).
 */
function parseKiloPatch(text: string): FileDiff[] {
  const files: FileDiff[] = [];
  let current: { path: string; kind: FileDiff['kind']; movedTo?: string; hunks: DiffHunk[] } | null = null;
  const flush = () => {
    if (current) files.push(counted(current.path, current.kind, current.hunks, current.movedTo));
    current = null;
  };
  for (const line of text.split('\n')) {
    const header = /^\*\*\* (Add|Update|Delete) File: (.+)$/.exec(line);
    if (header) {
      flush();
      const kind = header[1] === 'Add' ? 'add' : header[1] === 'Delete' ? 'delete' : 'edit';
      current = { path: header[2]!.trim(), kind, hunks: kind === 'edit' ? [] : [{ lines: [] }] };
      continue;
    }
    if (!current) continue;
    const c: { path: string; kind: FileDiff['kind']; movedTo?: string; hunks: DiffHunk[] } = current;
    const move = /^\*\*\* Move to: (.+)$/.exec(line);
    if (move) {
      c.movedTo = move[1]!.trim();
      if (c.kind === 'edit') c.kind = 'move';
    } else if (line.startsWith('*** ')) {
      flush();
    } else if (line.startsWith('@@')) {
      c.hunks.push({ ...(line.trim() !== '@@' ? { header: line.trim() } : {}), lines: [] });
    } else if (/^[+\- ]/.test(line)) {
      if (c.hunks.length === 0) c.hunks.push({ lines: [] });
      c.hunks.at(-1)!.lines.push(line);
    }
  }
  flush();
  return files;
}

/** A unified diff (`diff --git` / `---`/`+++` headers) of one or more files. */
function parseUnified(text: string): FileDiff[] {
  try {
    return parsePatch(text)
      .filter((p) => p.hunks.length > 0)
      .map((p) => {
        const name = (p.newFileName && p.newFileName !== '/dev/null' ? p.newFileName : p.oldFileName) ?? '';
        const path = name.replace(/^[ab]\//, '');
        const kind = p.oldFileName === '/dev/null' ? 'add' : p.newFileName === '/dev/null' ? 'delete' : 'edit';
        const hunks = p.hunks.map((h) => ({
          header: hunkHeader(h),
          lines: h.lines.filter((l) => !l.startsWith('\\')),
        }));
        return counted(path, kind, hunks);
      });
  } catch {
    return [];
  }
}

/**
 * The file changes a tool call makes, derived from its input as kilo sends it (docs/events.md,
 * "Diffs"): `edit` (`filePath`, `oldString` → `newString`, hunk line numbers relative to the
 * replaced text), `multiedit` (`edits` of those), `write` (`filePath`, `content`: every line
 * added, the old content is not known), `apply_patch` (`patchText` in kilo's `*** Begin Patch`
 * form, or a unified diff). Nothing for other tools, for an input cut to 64 KiB (a string) or
 * without the fields. At most 2000 lines per file are kept (the counts cover all).
 *
 * ## Example
 * ```ts
 * toolDiffs({ tool: 'edit', input: { filePath: 'a.ts', oldString: 'let a = 1;', newString: 'const a = 1;' } });
 * // → [{ path: 'a.ts', kind: 'edit', additions: 1, deletions: 1, hunks: [{ header: '@@ -1,1 +1,1 @@', lines: ['-let a = 1;', '+const a = 1;'] }] }]
 * ```
 */
export function toolDiffs(tool: Pick<ToolData, 'tool' | 'input'>): FileDiff[] {
  const input = tool.input;
  if (input === undefined || typeof input === 'string') return [];
  const name = tool.tool.toLowerCase();
  const path = str(input.filePath) ?? str(input.file_path) ?? str(input.path);
  if (name === 'edit' && path !== undefined) {
    const oldText = str(input.oldString) ?? str(input.old_string);
    const newText = str(input.newString) ?? str(input.new_string);
    return oldText !== undefined && newText !== undefined ? [replaceDiff(path, oldText, newText)] : [];
  }
  if (name === 'multiedit' && path !== undefined && Array.isArray(input.edits)) {
    const hunks = input.edits.flatMap((e: unknown) => {
      const edit = (e ?? {}) as Record<string, unknown>;
      const o = str(edit.oldString);
      const n = str(edit.newString);
      return o !== undefined && n !== undefined ? replaceDiff(path, o, n).hunks : [];
    });
    return hunks.length > 0 ? [counted(path, 'edit', hunks)] : [];
  }
  if (name === 'write' && path !== undefined) {
    const content = str(input.content);
    return content !== undefined ? [counted(path, 'add', [{ lines: addedLines(content) }])] : [];
  }
  const patch = str(input.patchText) ?? str(input.patch);
  if ((name === 'apply_patch' || name === 'patch') && patch !== undefined) {
    return patch.includes('*** Begin Patch') ? parseKiloPatch(patch) : parseUnified(patch);
  }
  return [];
}
