import type { Root as MdastRoot, RootContent as MdastContent, Parent as MdastParent } from 'mdast';
import { memo, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import Markdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { rehypeLowlight } from './rehype-lowlight';
import { splitMarkdownBlocks } from './split-markdown-blocks';

/** Raw HTML in the markdown is shown as the text it is, never parsed as markup. */
function htmlAsText(node: MdastRoot | MdastParent): void {
  node.children.forEach((child: MdastContent, i: number) => {
    if (child.type === 'html') node.children[i] = { type: 'text', value: child.value };
    else if ('children' in child) htmlAsText(child as MdastParent);
  });
}
const remarkHtmlAsText = () => (tree: MdastRoot) => htmlAsText(tree);

const REMARK = [remarkGfm, remarkHtmlAsText];
const REHYPE = [rehypeLowlight];

/**
 * Links open in a new tab without access to this page (a link whose URL was dropped is text); images are never loaded (a link to them
 * instead: an agent's answer must not make the browser fetch arbitrary URLs). Both get their URL
 * from react-markdown's `defaultUrlTransform`, which drops `javascript:`, `data:` and the like.
 */
const COMPONENTS: Components = {
  // a GFM task list item's box: read-only, named for screen readers
  input: ({ type, checked }) =>
    type === 'checkbox' ? (
      <input type="checkbox" checked={checked === true} disabled readOnly aria-label={checked ? 'done' : 'to do'} />
    ) : null,
  a: ({ href, children }) =>
    href ? (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    ) : (
      <span className="as-md-nolink">{children}</span>
    ),
  img: ({ src, alt }) =>
    typeof src === 'string' && src !== '' ? (
      <a href={src} target="_blank" rel="noopener noreferrer nofollow" className="as-md-img">
        [image{alt ? `: ${alt}` : ''}]
      </a>
    ) : (
      <span className="as-md-img">[image{alt ? `: ${alt}` : ''}]</span>
    ),
};

/** The markdown of `text` as React elements, and how long making them took (ms). */
function renderMarkdown(text: string): { element: ReactNode; ms: number } {
  const t0 = performance.now();
  // react-markdown's Markdown is a plain synchronous function of its props (no hooks).
  const element = Markdown({ children: text, remarkPlugins: REMARK, rehypePlugins: REHYPE, components: COMPONENTS });
  return { element, ms: performance.now() - t0 };
}

/** A live block whose last parse took at least this long (ms) is re-parsed at most every `4 × cost` ms. */
const PARSE_BUDGET_MS = 4;
const MAX_STALE_MS = 500;

/**
 * One top-level block, re-rendered only when its own text changes. The last block of a streamed
 * answer (`live`) is re-parsed on every change while that is cheap; when its parse cost exceeds
 * {@link PARSE_BUDGET_MS} (a long code block, a huge paragraph) it is re-parsed at most every four
 * times that cost, and the text that arrived since shows as plain text after it meanwhile.
 */
const MarkdownBlock = memo(function MarkdownBlock({ text, live }: { text: string; live: boolean }) {
  const [shown, setShown] = useState(text);
  const latest = useRef(text);
  latest.current = text;
  const cost = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const throttled = live && cost.current >= PARSE_BUDGET_MS && text.startsWith(shown);
  const target = throttled ? shown : text;
  const md = useMemo(() => renderMarkdown(target), [target]);
  cost.current = md.ms;
  useEffect(() => {
    if (target === text || timer.current !== null) return;
    timer.current = setTimeout(
      () => {
        timer.current = null;
        setShown(latest.current);
      },
      Math.min(MAX_STALE_MS, cost.current * 4),
    );
  });
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  return (
    <div className="as-md-block">
      {md.element}
      {target !== text ? <span className="as-md-tail">{text.slice(target.length)}</span> : null}
    </div>
  );
});

/**
 * Assistant text as GitHub-flavoured markdown (react-markdown + remark-gfm, code highlighted by
 * {@link rehypeLowlight}), safely: raw HTML shows as text, unsafe URLs are dropped, images are not
 * loaded. Incremental: the text is cut into top-level blocks ({@link splitMarkdownBlocks}) and
 * each is a memoised component, so a streamed token re-parses and re-renders only the last
 * block, not the whole answer (and a costly last block at most every 4 × its parse time). Each block renders into a `div.as-md-block` of one `div.as-md`.
 *
 * ## Example
 * ```tsx
 * <AgentStream agentId="demo" renderText={(text) => <MarkdownText text={text} />} />
 * ```
 */
export function MarkdownText({ text }: { text: string }): ReactNode {
  const blocks = splitMarkdownBlocks(text);
  return (
    <div className="as-md">
      {blocks.map((block, i) => (
        <MarkdownBlock key={i} text={block} live={i === blocks.length - 1} />
      ))}
    </div>
  );
}
