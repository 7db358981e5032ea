import type { FileDiff } from './tool-diffs';

const KIND_LABEL: Record<FileDiff['kind'], string> = { edit: 'edited', add: 'written', delete: 'deleted', move: 'moved' };

const lineClass = (line: string): string => (line.startsWith('+') ? 'as-diff-add' : line.startsWith('-') ? 'as-diff-del' : 'as-diff-ctx');

/**
 * Unified diffs, one collapsible `<details>` per file (open), the summary naming the file, what
 * happened and `+added −removed`; added lines green, removed lines red, each line also keeping
 * its `+`/`-` sign (colour is never the only cue). Hooks: `[data-testid=diff-file][data-path]`
 * (`data-kind`, `data-additions`, `data-deletions`), lines `[data-diff-line=add|del|ctx]`.
 *
 * ## Example
 * ```tsx
 * <DiffView files={toolDiffs(row)} />
 * ```
 */
export function DiffView({ files }: { files: readonly FileDiff[] }) {
  return (
    <div className="as-diffs">
      {files.map((f, i) => (
        <details
          key={`${f.path}:${i}`}
          className="as-diff"
          open
          data-testid="diff-file"
          data-path={f.path}
          data-kind={f.kind}
          data-additions={f.additions}
          data-deletions={f.deletions}
        >
          <summary className="as-diff-summary">
            <span className="as-file">{f.path}</span>
            {f.movedTo ? <span className="as-muted"> → {f.movedTo}</span> : null} <span className="as-muted">{KIND_LABEL[f.kind]}</span>{' '}
            <span className="as-diff-count-add" aria-label={`${f.additions} lines added`}>
              +{f.additions}
            </span>{' '}
            <span className="as-diff-count-del" aria-label={`${f.deletions} lines removed`}>
              −{f.deletions}
            </span>
          </summary>
          <pre className="as-diff-body">
            {f.hunks.map((h, j) => (
              <span key={j} className="as-diff-hunk">
                {h.header ? <span className="as-diff-hunk-head">{h.header}</span> : null}
                {h.lines.map((line, k) => (
                  <span key={k} className={lineClass(line)} data-diff-line={lineClass(line).slice('as-diff-'.length)}>
                    {line || ' '}
                  </span>
                ))}
              </span>
            ))}
          </pre>
        </details>
      ))}
    </div>
  );
}
