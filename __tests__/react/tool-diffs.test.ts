import { toolDiffs } from '../../src/react/tool-diffs';

describe('toolDiffs', () => {
  it('edit: oldString -> newString as a hunk with context', () => {
    const [d, ...rest] = toolDiffs({
      tool: 'edit',
      input: { filePath: '/p/a.ts', oldString: 'a\nb\nc\nlet x = 1;\nd\n', newString: 'a\nb\nc\nconst x = 1;\nd\n' },
    });
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ path: '/p/a.ts', kind: 'edit', additions: 1, deletions: 1 });
    expect(d!.hunks).toEqual([{ header: '@@ -1,5 +1,5 @@', lines: [' a', ' b', ' c', '-let x = 1;', '+const x = 1;', ' d'] }]);
  });

  it('write: every line added (the recorded kilo write of hello.txt)', () => {
    expect(toolDiffs({ tool: 'write', input: { filePath: '/srv/agent/proj/hello.txt', content: 'hello from fake llm\n' } })).toEqual([
      { path: '/srv/agent/proj/hello.txt', kind: 'add', additions: 1, deletions: 0, hunks: [{ lines: ['+hello from fake llm'] }] },
    ]);
  });

  it("apply_patch: kilo's patch text, one diff per file", () => {
    const patchText = [
      '*** Begin Patch',
      '*** Add File: new.txt',
      '+one',
      '+two',
      '*** Update File: src/a.ts',
      '*** Move to: src/b.ts',
      '@@ function f() {',
      ' keep',
      '-old',
      '+new',
      '*** Delete File: gone.txt',
      '*** End Patch',
    ].join('\n');
    const diffs = toolDiffs({ tool: 'apply_patch', input: { patchText } });
    expect(diffs.map((d) => [d.path, d.kind, d.movedTo, d.additions, d.deletions])).toEqual([
      ['new.txt', 'add', undefined, 2, 0],
      ['src/a.ts', 'move', 'src/b.ts', 1, 1],
      ['gone.txt', 'delete', undefined, 0, 0],
    ]);
    expect(diffs[1]!.hunks).toEqual([{ header: '@@ function f() {', lines: [' keep', '-old', '+new'] }]);
  });

  it('a unified diff (as session.diff carries) is parsed per file', () => {
    const patch =
      'diff --git a/hello.txt b/hello.txt\nnew file mode 100644\nindex 0000000..b70aae1\n--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1 @@\n+hello from fake llm\n';
    expect(toolDiffs({ tool: 'apply_patch', input: { patchText: patch } })).toEqual([
      {
        path: 'hello.txt',
        kind: 'add',
        additions: 1,
        deletions: 0,
        hunks: [{ header: '@@ -0,0 +1,1 @@', lines: ['+hello from fake llm'] }],
      },
    ]);
  });

  it('nothing for other tools, cut inputs or missing fields; at most 2000 lines kept, all counted', () => {
    expect(toolDiffs({ tool: 'bash', input: { command: 'ls' } })).toEqual([]);
    expect(toolDiffs({ tool: 'edit', input: '{"filePath":"a","oldStr' })).toEqual([]);
    expect(toolDiffs({ tool: 'edit', input: { filePath: 'a', oldString: 'x' } })).toEqual([]);
    expect(toolDiffs({ tool: 'write', input: undefined })).toEqual([]);
    const big = toolDiffs({ tool: 'write', input: { filePath: 'big', content: 'x\n'.repeat(5000) } })[0]!;
    expect(big.additions).toBe(5000);
    expect(big.hunks[0]!.lines).toHaveLength(2000);
  });
});
