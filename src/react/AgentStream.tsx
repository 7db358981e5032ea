import { useCallback, useLayoutEffect, useRef, useState, type CSSProperties } from 'react';
import { PermissionCard, PromptBox, QuestionForm, useActRunner, type AgentActHandlers } from './agent-actions';
import type { LogRow } from './agent-log';
import { AgentLogRow, type RenderText } from './agent-log-row';
import { AGENT_STREAM_CSS } from './agent-stream-styles';
import { useAgentStream, useSecondsUntil, type AgentStreamView, type UseAgentStreamOptions } from './use-agent-stream';

/**
 * Props of {@link AgentStream}: the client options (plus `agentId`), log limits, looks, and the
 * optional acting callbacks (`onPrompt`, `onAbort`, `onPermission`, `onQuestion`: each control
 * appears only when its callback is given; see `createAgentActions` in `agent-stream/client` for
 * ones that call the control server's routes).
 */
export interface AgentStreamProps extends UseAgentStreamOptions, AgentActHandlers {
  /** The agent to watch. */
  agentId: string;
  /** Header text. Default: the agent id. */
  title?: string;
  /** Extra class on the root element. */
  className?: string;
  /** Height of the scrolling log (CSS length). Default `70vh`. */
  logHeight?: string;
  /** Leave out the built-in stylesheet (style the `as-` classes yourself). Default false. */
  unstyled?: boolean;
  /**
   * Whether this viewer may act on the agent (e.g. the agent list's `actionable` and the user's
   * right to act). When false the controls are shown disabled, with `actDisabledReason`. Default true.
   */
  canAct?: boolean;
  /** Why the controls are disabled, shown next to them, e.g. "you may only watch". Default "you may only watch". */
  actDisabledReason?: string;
  /**
   * How assistant text and reasoning are shown (e.g. as markdown: the dashboard passes its
   * `MarkdownText`). Default: plain text, whitespace kept. Pass a stable function.
   */
  renderText?: RenderText;
}

/** Distance from the bottom (px) under which the view counts as "at the bottom". */
const STICK_PX = 32;

/**
 * The tools running now. `status` frames come only when the agent state changes, so their
 * `activeTools` go stale within a turn: the tool rows (pending/running) are the live truth; the
 * status snapshot is used only before any tool row arrived. None once the agent is not busy.
 */
function runningToolsOf(log: AgentStreamView['log'], agentState: string): string[] {
  if (agentState !== 'busy' && agentState !== 'retry') return [];
  const tools = log.rows.filter((r) => r.kind === 'tool');
  if (tools.length === 0) return log.status?.activeTools ?? [];
  const names = tools.flatMap((r) => (r.kind === 'tool' && (r.status === 'running' || r.status === 'pending') ? [r.tool] : []));
  return [...new Set(names)];
}

/**
 * The text of the connection pill: the state, and while `reconnecting` when the next try comes
 * ("reconnecting · next try in 7 s", "reconnecting · trying now").
 */
function connectionLabel(connection: AgentStreamView['connection'], secondsLeft: number | null): string {
  if (connection !== 'reconnecting') return connection;
  return secondsLeft === null || secondsLeft <= 0 ? 'reconnecting · trying now' : `reconnecting · next try in ${secondsLeft} s`;
}

type PendingRow = Extract<LogRow, { kind: 'permission' | 'question' }>;

/** The requests still waiting for an answer, oldest first. */
const pendingRequestsOf = (rows: readonly LogRow[]): PendingRow[] =>
  rows.filter((r): r is PendingRow => (r.kind === 'permission' || r.kind === 'question') && r.state === 'asked');

/**
 * The live log of one agent: streaming assistant text (one row per part, updated in place), one
 * row per tool call (status, name, title, input/output in a `<details>`), file edits, errors,
 * the agent state and the connection state. Follows new rows unless the user scrolled up.
 *
 * Hooks for tests: root `[data-testid=agent-stream]` with `data-stream-agent-id`,
 * `data-received-seqs` (comma-separated ids), `data-received-count`, `data-last-seq`,
 * `data-autoscroll`; `[data-testid=connection-state][data-state]` (with `data-next-attempt-at`,
 * epoch ms, while `reconnecting`: the pill counts down "next try in 7 s"; a transient outage is
 * never shown as `failed`) and
 * `[data-testid=agent-state][data-agent-state]` (each attribute used by that element only);
 * rows `li[data-seq][data-row-type]`, tool rows with `data-call-id` and `data-tool-status`;
 * `permission` and `question` rows with `data-request-id` and `data-request-state`
 * (`asked`/`replied`), `action` rows with `data-action-kind` and `data-by`.
 *
 * **Acting** (docs/protocol.md §7), only when the callbacks are given: `[data-testid=act-panel]`
 * under the log (with `data-can-act`) holds a `[data-testid=permission-card][data-request-id]` per
 * pending permission (buttons `[data-response=once|always|reject]`), a
 * `form[data-testid=question-form][data-request-id]` per pending question (Submit
 * `[data-testid=question-submit]`, Reject `[data-testid=question-reject]`), the prompt box
 * `form[data-testid=prompt-box]` (`[data-testid=prompt-input]`, `[data-testid=prompt-send]`) and,
 * while the agent is busy, `[data-testid=stop-turn]`. The cards follow the stream, not the click:
 * a request answered by anyone (here, on another page, in kilo) leaves the panel for every viewer
 * and its log row shows who answered. While a call is in flight its buttons are disabled; a
 * callback that rejects with `status` 409 / `code` `not_pending` shows "already answered by
 * someone else" (`[data-testid=act-notice]`) for 5 s; other errors show inline
 * (`[data-testid=act-error]`). With `canAct={false}` (or once the agent exited) every control is
 * disabled and `[data-testid=act-disabled-reason]` says why.
 *
 * ## Example
 * ```tsx
 * <AgentStream agentId="demo" maxRows={300} onEvent={(e) => print(e.type)} />
 *
 * const act = createAgentActions({ agentId: 'a1', by: 'alice' }); // from agent-stream/client
 * <AgentStream agentId="a1" onPrompt={act.prompt} onAbort={act.abort} onPermission={act.permission} onQuestion={act.question} />
 * ```
 */
export function AgentStream(props: AgentStreamProps) {
  const {
    title,
    className,
    logHeight,
    unstyled,
    renderText,
    onPrompt,
    onAbort,
    onPermission,
    onQuestion,
    canAct,
    actDisabledReason,
    ...options
  } = props;
  const { log, connection, error, nextAttemptAt } = useAgentStream(options);
  const { status: actStatus, notice, run } = useActRunner();
  const waitingFor = connection === 'reconnecting' ? nextAttemptAt : null;
  const secondsLeft = useSecondsUntil(waitingFor);
  const listRef = useRef<HTMLOListElement>(null);
  const followRef = useRef(true);
  const [following, setFollowing] = useState(true);

  const onScroll = useCallback(() => {
    const el = listRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_PX;
    if (atBottom !== followRef.current) {
      followRef.current = atBottom;
      setFollowing(atBottom);
    }
  }, []);

  const jumpToLatest = useCallback(() => {
    const el = listRef.current;
    followRef.current = true;
    setFollowing(true);
    if (el) el.scrollTop = el.scrollHeight;
  }, []);

  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && followRef.current) el.scrollTop = el.scrollHeight;
  }, [log.rows]);

  const agentState = log.exit ? 'exited' : (log.status?.state ?? 'unknown');
  const activeTools = runningToolsOf(log, agentState);
  const style = logHeight ? ({ '--as-log-height': logHeight } as CSSProperties) : undefined;

  const acting = onPrompt !== undefined || onAbort !== undefined || onPermission !== undefined || onQuestion !== undefined;
  const ended = log.exit !== null || agentState === 'exited' || agentState === 'failed';
  const actOff = canAct === false || ended;
  const reason = canAct === false ? (actDisabledReason ?? 'you may only watch') : ended ? 'the agent has exited' : undefined;
  const pending = acting ? pendingRequestsOf(log.rows) : [];
  const busy = agentState === 'busy' || agentState === 'retry';

  return (
    <section
      className={`as-root${className ? ` ${className}` : ''}`}
      data-testid="agent-stream"
      data-stream-agent-id={props.agentId}
      data-received-seqs={log.receivedSeqs.join(',')}
      data-received-count={log.receivedCount}
      data-last-seq={log.lastSeq ?? ''}
      data-autoscroll={following ? 'true' : 'false'}
      style={style}
    >
      {unstyled ? null : <style>{AGENT_STREAM_CSS}</style>}
      <header className="as-header">
        <span className="as-title">{title ?? props.agentId}</span>
        <span>
          agent{' '}
          <span className="as-pill" data-testid="agent-state" data-agent-state={agentState}>
            {agentState}
          </span>
        </span>
        <span>
          connection{' '}
          <span className="as-pill" data-testid="connection-state" data-state={connection} data-next-attempt-at={waitingFor ?? undefined}>
            {connectionLabel(connection, secondsLeft)}
          </span>
        </span>
        {activeTools.length > 0 ? (
          <span className="as-muted" data-testid="active-tools">
            running: {activeTools.join(', ')}
          </span>
        ) : null}
        {error && connection !== 'live' ? (
          <span className="as-muted" data-testid="connection-error">
            {error.message}
          </span>
        ) : null}
      </header>
      <ol className="as-log" ref={listRef} onScroll={onScroll} data-testid="agent-log" aria-live="polite">
        {log.rows.length === 0 ? (
          <li className="as-empty" data-testid="empty">
            waiting for events…
          </li>
        ) : null}
        {log.rows.map((row) => (
          <AgentLogRow key={row.key} row={row} renderText={renderText} />
        ))}
      </ol>
      {following ? null : (
        <button type="button" className="as-jump" onClick={jumpToLatest} data-testid="jump-to-latest">
          ↓ latest
        </button>
      )}
      {acting ? (
        <div className="as-act" data-testid="act-panel" data-can-act={actOff ? 'false' : 'true'}>
          {reason ? (
            <p className="as-act-reason" data-testid="act-disabled-reason">
              {reason}
            </p>
          ) : null}
          {notice ? (
            <p className="as-act-notice" data-testid="act-notice" role="status">
              {notice}
            </p>
          ) : null}
          {pending.map((row) =>
            row.kind === 'permission' ? (
              onPermission ? (
                <PermissionCard
                  key={row.key}
                  row={row}
                  disabled={actOff}
                  reason={reason}
                  status={actStatus[row.key]}
                  onAnswer={(response) => void run(row.key, () => onPermission(row.requestId, response))}
                />
              ) : null
            ) : onQuestion ? (
              <QuestionForm
                key={row.key}
                row={row}
                disabled={actOff}
                reason={reason}
                status={actStatus[row.key]}
                onAnswer={(answers) => void run(row.key, () => onQuestion(row.requestId, answers))}
              />
            ) : null,
          )}
          {onPrompt || (onAbort && busy) ? (
            <div className="as-act-row">
              {onPrompt ? (
                <PromptBox
                  disabled={actOff}
                  reason={reason}
                  status={actStatus.prompt}
                  onSend={(text) => run('prompt', () => onPrompt(text))}
                />
              ) : null}
              {onAbort && busy ? (
                <button
                  type="button"
                  className="as-btn as-btn-danger as-stop"
                  data-testid="stop-turn"
                  disabled={actOff || actStatus.abort?.busy === true}
                  title={actOff ? reason : 'Stop the running turn'}
                  onClick={() => void run('abort', onAbort)}
                >
                  {actStatus.abort?.busy ? 'Stopping…' : '■ Stop'}
                </button>
              ) : null}
            </div>
          ) : null}
          {onAbort && actStatus.abort?.error ? (
            <div className="as-act-error" data-testid="act-error" role="alert">
              {actStatus.abort.error}
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
