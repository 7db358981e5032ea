import { memo } from 'react';
import type { LogRow } from './agent-log';

const STATUS_ICON: Record<string, string> = { pending: '…', running: '▶', completed: '✓', error: '✗' };

const json = (value: unknown): string => {
  try {
    return JSON.stringify(value, null, 2) ?? '';
  } catch {
    return String(value);
  }
};

/** Characters per text segment: appending a token re-renders only the last segment. */
const SEGMENT = 2048;

const Segment = memo(function Segment({ text }: { text: string }) {
  return <>{text}</>;
});

/** A long streamed text as fixed-size segments, so its DOM update per frame is O(segment), not O(text). */
function TextBody({ text }: { text: string }) {
  const segments: string[] = [];
  for (let i = 0; i < text.length; i += SEGMENT) segments.push(text.slice(i, i + SEGMENT));
  return (
    <div className="as-text-body">
      {segments.map((s, i) => (
        <Segment key={i} text={s} />
      ))}
    </div>
  );
}

/** Common attributes of every row: its kind and the id of the last event applied to it. */
const rowProps = (row: LogRow, className: string) => ({
  className: `as-row ${className}`,
  'data-row-type': row.kind,
  'data-seq': row.seq,
});

function ToolRow({ row }: { row: Extract<LogRow, { kind: 'tool' }> }) {
  const hasDetails = row.input !== undefined || row.output !== undefined || row.error !== undefined;
  return (
    <li {...rowProps(row, 'as-tool')} data-call-id={row.callId} data-tool={row.tool} data-tool-status={row.status}>
      <div className="as-tool-head">
        <span className="as-label">tool</span>
        <span className="as-status" data-status={row.status}>
          {STATUS_ICON[row.status] ?? ''} {row.status}
        </span>
        <span className="as-tool-name">{row.tool}</span>
        {row.title ? <span className="as-tool-title">{row.title}</span> : null}
      </div>
      {row.error !== undefined ? <div className="as-tool-error">{row.error}</div> : null}
      {hasDetails ? (
        <details className="as-details">
          <summary>input / output</summary>
          {row.input !== undefined ? (
            <pre className="as-pre" data-part="input">
              {typeof row.input === 'string' ? row.input : json(row.input)}
            </pre>
          ) : null}
          {row.output !== undefined ? (
            <pre className="as-pre" data-part="output">
              {row.output}
            </pre>
          ) : null}
          {row.truncated ? <div className="as-muted">cut to 64 KiB</div> : null}
        </details>
      ) : null}
    </li>
  );
}

function formatMessage(row: Extract<LogRow, { kind: 'message' }>): string {
  const parts = ['message done'];
  if (row.finish) parts.push(row.finish);
  const total = row.tokens ? (row.tokens.total ?? row.tokens.input + row.tokens.output) : undefined;
  if (total !== undefined) parts.push(`${total.toLocaleString('en-US')} tokens`);
  if (typeof row.cost === 'number' && row.cost > 0) parts.push(`$${row.cost.toFixed(4)}`);
  return parts.join(' · ');
}

function LogRowView({ row }: { row: LogRow }) {
  switch (row.kind) {
    case 'text': {
      const label = row.reasoning ? 'thinking' : row.role === 'user' ? 'prompt' : 'assistant';
      const cls = `as-text as-role-${row.role}${row.reasoning ? ' as-reasoning' : ''}`;
      return (
        <li {...rowProps(row, cls)} data-part-id={row.partId} data-role={row.role}>
          <span className="as-label">{label}</span>
          <TextBody text={row.text} />
        </li>
      );
    }
    case 'tool':
      return <ToolRow row={row} />;
    case 'file':
      return (
        <li {...rowProps(row, 'as-file-row')} data-path={row.path}>
          <span className="as-label">file</span> edited <span className="as-file">{row.path}</span>
        </li>
      );
    case 'message':
      return <li {...rowProps(row, 'as-message as-muted')}>{formatMessage(row)}</li>;
    case 'error':
      return (
        <li {...rowProps(row, 'as-error-row')}>
          <div className="as-error" role="alert">
            <strong>{row.name}</strong>: {row.message}
          </div>
        </li>
      );
    case 'gap':
      return (
        <li {...rowProps(row, 'as-gap-row')}>
          <div className="as-gap">
            events {row.after + 1}–{row.oldest - 1} are no longer available (missed while away)
          </div>
        </li>
      );
    case 'exit':
      return (
        <li {...rowProps(row, 'as-exit-row')} data-exit-reason={row.reason}>
          <div className="as-exit">
            agent exited ({row.reason}
            {row.code !== undefined && row.code !== null ? `, code ${row.code}` : ''})
          </div>
        </li>
      );
  }
}

/** One row of the agent log; re-renders only when its row object changes. */
export const AgentLogRow = memo(LogRowView);
