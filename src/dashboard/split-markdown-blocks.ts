/** An open code fence: its character (`` ` `` or `~`) and length (3 or more). */
interface Fence {
  char: string;
  length: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** The fence a line opens (or closes), if it is a fence line. */
function fenceOf(line: string): Fence | null {
  const m = FENCE.exec(line);
  if (!m) return null;
  const run = m[1]!;
  // A backtick fence's info string may not contain a backtick (CommonMark 4.5).
  if (run[0] === '`' && line.slice(m[0].length).includes('`')) return null;
  return { char: run[0]!, length: run.length };
}

/** Whether `line` closes `open`: the same character, at least as long, nothing after it. */
const closes = (open: Fence, line: string): boolean => {
  const f = fenceOf(line);
  return f !== null && f.char === open.char && f.length >= open.length && /^ {0,3}(`+|~+)\s*$/.test(line);
};

/**
 * A line that can only be paragraph text, whatever precedes it: not indented, no block marker
 * (heading, quote, list item, fence, HTML, setext underline, table row, thematic break).
 */
const isPlainLine = (line: string): boolean =>
  line.trim() !== '' && !/^(\s|[>#|=:`~<*+_-]|\d+[.)](\s|$))/.test(line) && !line.includes('|');

/** Options of {@link splitMarkdownBlocks}. */
export interface SplitMarkdownOptions {
  /**
   * A paragraph of plain lines longer than this (characters) is also cut between two of its
   * lines, so one huge paragraph does not cost a re-parse of all of it per token. Default 512.
   */
  maxParagraphChars?: number;
}

/**
 * Splits markdown into top-level blocks that render the same apart as together, so a streamed
 * answer re-renders only its last (growing) block per frame: a cut is made at a blank line that is
 * outside a code fence and followed by a line that starts at column 0 (an indented line may
 * continue a list item or be indented code). Every block but the last ends with its blank
 * lines, so the blocks joined are `text` again, and a block never changes once a later one exists
 * (text only appended). What a cut can change: a loose list becomes several lists (an ordered
 * one keeps its numbers), a reference-style link whose definition is in another block stays
 * text, and a paragraph of plain lines longer than `maxParagraphChars` becomes several
 * paragraphs (cut only between two complete plain lines).
 *
 * ## Example
 * ```ts
 * splitMarkdownBlocks('# Title\n\nSome *text*.\n\n```ts\nconst a = 1;\n\nconst b = 2;\n```\n');
 * // → ['# Title\n\n', 'Some *text*.\n\n', '```ts\nconst a = 1;\n\nconst b = 2;\n```\n']
 * ```
 */
export function splitMarkdownBlocks(text: string, options: SplitMarkdownOptions = {}): string[] {
  const maxParagraph = options.maxParagraphChars ?? 512;
  const blocks: string[] = [];
  let start = 0;
  let fence: Fence | null = null;
  let blank = true;
  /** Every line of the paragraph so far is a plain line (see isPlainLine). */
  let plainParagraph = false;
  let pos = 0;
  const cut = () => {
    blocks.push(text.slice(start, pos));
    start = pos;
  };
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    const line = text.slice(pos, nl < 0 ? text.length : nl);
    if (fence) {
      if (closes(fence, line)) fence = null;
      blank = false;
      plainParagraph = false;
    } else if (line.trim() === '') {
      blank = true;
    } else {
      const plain = isPlainLine(line);
      if (blank) {
        if (pos > start && !/^\s/.test(line)) cut();
        plainParagraph = plain;
      } else {
        if (plainParagraph && plain && nl >= 0 && pos - start >= maxParagraph) cut();
        plainParagraph &&= plain;
      }
      blank = false;
      fence = fenceOf(line);
      if (fence) plainParagraph = false;
    }
    pos = end;
  }
  if (start < text.length || blocks.length === 0) blocks.push(text.slice(start));
  return blocks;
}
