import fc from 'fast-check';
import { splitMarkdownBlocks } from '../../src/dashboard/split-markdown-blocks';

describe('splitMarkdownBlocks', () => {
  it('cuts at blank lines, never inside a code fence or before an indented continuation', () => {
    expect(splitMarkdownBlocks('# Title\n\nSome *text*.\n\n```ts\nconst a = 1;\n\nconst b = 2;\n```\n\nend')).toEqual([
      '# Title\n\n',
      'Some *text*.\n\n',
      '```ts\nconst a = 1;\n\nconst b = 2;\n```\n\n',
      'end',
    ]);
    expect(splitMarkdownBlocks('- a\n\n  more\n- b\n\n1. x\n\n2. y')).toEqual(['- a\n\n  more\n- b\n\n', '1. x\n\n', '2. y']);
    // a longer fence is closed only by one at least as long; a tilde fence not by backticks
    expect(splitMarkdownBlocks('````\n```\n\nx\n````\n\ny')).toEqual(['````\n```\n\nx\n````\n\n', 'y']);
    expect(splitMarkdownBlocks('~~~\n```\n\nx\n~~~\n\ny')).toEqual(['~~~\n```\n\nx\n~~~\n\n', 'y']);
    expect(splitMarkdownBlocks('')).toEqual(['']);
  });

  it('cuts a paragraph longer than maxParagraphChars between complete plain lines only', () => {
    const opts = { maxParagraphChars: 8 };
    expect(splitMarkdownBlocks('aaaa aaaa\nbbbb\ncc', opts)).toEqual(['aaaa aaaa\n', 'bbbb\ncc']);
    expect(splitMarkdownBlocks('aaaa aaaa\nbbbb\ncccc\n', opts)).toEqual(['aaaa aaaa\n', 'bbbb\ncccc\n']);
    // not inside a list item (lazy continuation), a table, before a setext underline or a list
    expect(splitMarkdownBlocks('- aaaa aaaa\nbbbb\ncccc\n', opts)).toEqual(['- aaaa aaaa\nbbbb\ncccc\n']);
    expect(splitMarkdownBlocks('a | b\n--|--\ncccc | dddd\neeee | ffff\n', opts)).toEqual(['a | b\n--|--\ncccc | dddd\neeee | ffff\n']);
    expect(splitMarkdownBlocks('aaaa aaaa\n===\n', opts)).toEqual(['aaaa aaaa\n===\n']);
    expect(splitMarkdownBlocks('aaaa aaaa\n1. x\n', opts)).toEqual(['aaaa aaaa\n1. x\n']);
  });

  const markdownish = fc
    .array(fc.constantFrom('a', ' ', '\n', '\n\n', '```', '~~~', '- ', '1. ', '    ', '`', '#', 'x y', '\t', '|', '===', 'word '), {
      maxLength: 60,
    })
    .map((parts) => parts.join(''));

  it('property: the blocks joined are the text; appending never changes a block but the last', () => {
    fc.assert(
      fc.property(markdownish, fc.nat(), fc.constantFrom(4, 16, 1024), (text, cutAt, maxParagraphChars) => {
        const blocks = splitMarkdownBlocks(text, { maxParagraphChars });
        expect(blocks.join('')).toBe(text);
        const prefix = splitMarkdownBlocks(text.slice(0, cutAt % (text.length + 1)), { maxParagraphChars });
        expect(blocks.slice(0, prefix.length - 1)).toEqual(prefix.slice(0, -1));
      }),
      { numRuns: 2000 },
    );
  });
});
