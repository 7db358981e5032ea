import { memo, type ReactNode } from 'react';
import type { LogRow } from './agent-log';
import { DiffView } from './diff-view';
import { toolDiffs } from './tool-diffs';

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
function PlainText({ text }: { text: string }) {
  const segments: string[] = [];
  for (let i = 0; i < text.length; i += SEGMENT) segments.push(text.slice(i, i + SEGMENT));
  return (
    <>
      {segments.map((s, i) => (
        <Segment key={i} text={s} />
      ))}
    </>
  );
}

/**
 * How assistant text and reasoning are shown: given the text so far and its row, the content of
 * the row's `.as-text-body` (e.g. rendered markdown: the dashboard passes `MarkdownText`). Must be
 * a stable function (defined once, not per render): rows re-render when it changes.
 */
export type RenderText = (text: string, row: Extract<LogRow, { kind: 'text' }>) => ReactNode;

/** Text longer than this (characters) in a reasoning or prompt row starts collapsed. */
const COLLAPSE_CHARS = 600;

const wordCount = (text: string): number => text.split(/\s+/).filter(Boolean).length;

function TextBody({ row, renderText }: { row: Extract<LogRow, { kind: 'text' }>; renderText?: RenderText }) {
  const rich = renderText !== undefined && row.role === 'assistant';
  const body = (
    <div className={`as-text-body${rich ? ' as-text-rich' : ''}`}>{rich ? renderText(row.text, row) : <PlainText text={row.text} />}</div>
  );
  if ((row.reasoning || row.role === 'user') && row.text.length > COLLAPSE_CHARS) {
    return (
      <details className="as-collapse" data-testid="collapsed-text">
        <summary>
          {row.reasoning ? 'thinking' : 'prompt'} · {wordCount(row.text).toLocaleString('en-US')} words
        </summary>
        {body}
      </details>
    );
  }
  return body;
}

/** Common attributes of every row: its kind and the id of the last event applied to it. */
const rowProps = (row: LogRow, className: string) => ({
  className: `as-row ${className}`,
  'data-row-type': row.kind,
  'data-seq': row.seq,
});

function ToolRow({ row }: { row: Extract<LogRow, { kind: 'tool' }> }) {
  const hasDetails = row.input !== undefined || row.output !== undefined || row.error !== undefined;
  const diffs = toolDiffs(row);
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
      {diffs.length > 0 ? <DiffView files={diffs} /> : null}
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

/** A duration as people read it: `850 ms`, `4.2 s`, `3 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** The end of a turn: when, how long, tokens, cost and why it finished (`14:02:11 · 4.2 s · 1,234 tokens · $0.0123 · stop`). */
export function formatMessage(row: Pick<Extract<LogRow, { kind: 'message' }>, 'finish' | 'tokens' | 'cost' | 'time'>): string {
  const parts: string[] = [];
  if (row.time) {
    parts.push(new Date(row.time.created).toLocaleTimeString('en-GB', { hour12: false }));
    if (row.time.completed !== undefined) parts.push(formatDuration(Math.max(0, row.time.completed - row.time.created)));
  } else parts.push('message done');
  const total = row.tokens ? (row.tokens.total ?? row.tokens.input + row.tokens.output) : undefined;
  if (total !== undefined) parts.push(`${total.toLocaleString('en-US')} tokens`);
  if (typeof row.cost === 'number') parts.push(`$${row.cost.toFixed(4)}`);
  if (row.finish) parts.push(row.finish);
  return parts.join(' · ');
}

type PermissionRow = Extract<LogRow, { kind: 'permission' }>;
type QuestionRow = Extract<LogRow, { kind: 'question' }>;
export type ActionRow = Extract<LogRow, { kind: 'action' }>;

/** How a permission reply reads: `allowed once`, `allowed always`, `rejected`. */
export function permissionVerb(response: string | undefined): string {
  if (response === 'once') return 'allowed once';
  if (response === 'always') return 'allowed always';
  if (response === 'reject') return 'rejected';
  return response ? `answered ${response}` : 'answered';
}

/** The chosen labels of a question's answers: `a, b / c` (one group per question). */
export const answersText = (answers: readonly (readonly string[])[]): string => answers.map((a) => a.join(', ')).join(' / ');

/** Cuts `text` to one line of at most `max` characters. */
const oneLine = (text: string, max = 200): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/**
 * The sentence of an `action` row: who did what, e.g. `alice (operator session ab12cd) allowed
 * once: external_directory: /etc/*`, `… sent a prompt: fix the tests`, `… stopped the turn`,
 * `… answered Color: red`, `… rejected the question: Color`.
 */
export function describeAction(
  row: Pick<ActionRow, 'action' | 'by' | 'text' | 'requestId' | 'response' | 'answers' | 'rejected' | 'subject'>,
): string {
  const what = row.subject ?? row.requestId ?? '';
  switch (row.action) {
    case 'prompt':
      return `${row.by} sent a prompt${row.text ? `: ${oneLine(row.text)}` : ''}`;
    case 'abort':
      return `${row.by} stopped the turn`;
    case 'permission':
      return `${row.by} ${permissionVerb(row.response)}${what ? `: ${what}` : ''}`;
    case 'question':
      if (row.rejected) return `${row.by} rejected the question${what ? `: ${what}` : ''}`;
      return `${row.by} answered${what ? ` ${what}` : ''}${row.answers ? `: ${oneLine(answersText(row.answers))}` : ''}`;
    default:
      return `${row.by} did ${String(row.action)}`;
  }
}

/** The outcome of an answered request: `allowed once by alice`, `rejected`, `answered red by bob`. */
export function requestOutcome(row: PermissionRow | QuestionRow): string {
  const by = row.by ? ` by ${row.by}` : '';
  if (row.kind === 'permission') return `${permissionVerb(row.response)}${by}`;
  if (row.rejected) return `rejected${by}`;
  return `answered${row.answers ? ` ${oneLine(answersText(row.answers))}` : ''}${by}`;
}

/** The attributes of a permission or question row. */
const requestProps = (row: PermissionRow | QuestionRow) => ({
  'data-request-id': row.requestId,
  'data-request-state': row.state,
  'data-call-id': row.callId,
  'data-by': row.by,
});

function PermissionRowView({ row }: { row: PermissionRow }) {
  const pending = row.state === 'asked';
  return (
    <li {...rowProps(row, `as-request-row${pending ? ' as-request-pending' : ''}`)} {...requestProps(row)} data-response={row.response}>
      <span className="as-label">permission</span>
      {row.tool ? <span className="as-tool-name">{row.tool}</span> : null} <span className="as-request-title">{row.title}</span>
      {' · '}
      <span className="as-request-outcome" data-testid={pending ? undefined : 'request-outcome'}>
        {pending ? 'waiting for an answer' : requestOutcome(row)}
      </span>
    </li>
  );
}

function QuestionRowView({ row }: { row: QuestionRow }) {
  const pending = row.state === 'asked';
  return (
    <li
      {...rowProps(row, `as-request-row${pending ? ' as-request-pending' : ''}`)}
      {...requestProps(row)}
      data-rejected={row.rejected ? 'true' : undefined}
    >
      <span className="as-label">question</span>
      <span className="as-request-title">{row.questions.map((q) => q.question).join(' / ')}</span>
      {' · '}
      <span className="as-request-outcome" data-testid={pending ? undefined : 'request-outcome'}>
        {pending ? 'waiting for an answer' : requestOutcome(row)}
      </span>
    </li>
  );
}

function LogRowView({ row, renderText }: { row: LogRow; renderText?: RenderText }) {
  switch (row.kind) {
    case 'text': {
      const label = row.reasoning ? 'thinking' : row.role === 'user' ? 'prompt' : 'assistant';
      const cls = `as-text as-role-${row.role}${row.reasoning ? ' as-reasoning' : ''}`;
      return (
        <li {...rowProps(row, cls)} data-part-id={row.partId} data-role={row.role}>
          <span className="as-label">{label}</span>
          <TextBody row={row} renderText={renderText} />
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
      return (
        <li
          {...rowProps(row, 'as-message as-muted')}
          data-testid="turn-info"
          data-created={row.time?.created}
          data-completed={row.time?.completed}
          data-tokens={row.tokens ? (row.tokens.total ?? row.tokens.input + row.tokens.output) : undefined}
          data-cost={row.cost}
          title={row.time ? new Date(row.time.created).toISOString() : undefined}
        >
          {formatMessage(row)}
        </li>
      );
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
    case 'permission':
      return <PermissionRowView row={row} />;
    case 'question':
      return <QuestionRowView row={row} />;
    case 'action':
      return (
        <li
          {...rowProps(row, 'as-action-row')}
          data-action-kind={row.action}
          data-by={row.by}
          data-request-id={row.requestId}
          title={row.at}
        >
          <span className="as-label">action</span>
          <span className="as-action">{describeAction(row)}</span>
        </li>
      );
    case 'exit':
      return (
        <li {...rowProps(row, 'as-exit-row')} data-exit-reason={row.reason}>
          <div className="as-exit">
            agent exited ({row.reason}
            {row.code !== undefined && row.code !== null ? `, code ${row.code}` : ''})
            {EXIT_EXPLAINED[row.reason] ? `: ${EXIT_EXPLAINED[row.reason]}` : ''}
          </div>
        </li>
      );
  }
}

/** What the exit reasons that are not self-explanatory mean, after `agent exited (reason)`. */
const EXIT_EXPLAINED: Partial<Record<string, string>> = {
  upstream_lost: 'kilo could not be reached',
  shutdown: 'the server shut down',
  node_lost: 'the server running it is gone',
};

/** One row of the agent log; re-renders only when its row object changes. */
export const AgentLogRow = memo(LogRowView);
